"""The `css` profile: the user names the content and heading selectors in the watch."""

from __future__ import annotations

from bs4 import BeautifulSoup, Tag

from rightswatch.document import Section
from rightswatch.extract.walk import HEADING_LEVELS, looks_like_chrome, walk

DEFAULT_HEADING = "h1, h2, h3, h4"


class SelectorError(ValueError):
    """A `css` watch whose selectors do not match the page."""


def extract_css(
    soup: BeautifulSoup, base_url: str, content: str | None, heading: str | None
) -> list[Section]:
    if not content:
        raise SelectorError("profile 'css' needs a `content` selector in the watch")
    try:
        container = soup.select_one(content)
        headings = container.select(heading or DEFAULT_HEADING) if container is not None else []
    except Exception as exc:  # soupsieve raises its own SelectorSyntaxError
        raise SelectorError(f"invalid CSS selector: {exc}") from exc
    if container is None:
        raise SelectorError(f"content selector {content!r} matched nothing on the page")
    marked = {id(tag) for tag in headings}

    def is_heading(tag: Tag) -> int | None:
        if id(tag) not in marked:
            return None
        return HEADING_LEVELS.get(tag.name, 2)

    return walk(container, base_url=base_url, is_heading=is_heading, is_chrome=looks_like_chrome)
