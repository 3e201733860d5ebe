"""Page → Document, through an explicit registry of extraction profiles."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from bs4 import BeautifulSoup

from rightswatch.document import Document, Section
from rightswatch.extract.css import SelectorError, extract_css
from rightswatch.extract.generic import extract_generic
from rightswatch.extract.hrw import extract_hrw, looks_like_hrw
from rightswatch.extract.meta import page_meta
from rightswatch.profile_names import PROFILE_NAMES

__all__ = [
    "PROFILES",
    "PROFILE_NAMES",
    "ExtractError",
    "ExtractOptions",
    "extract",
    "resolve_profile",
]


class ExtractError(ValueError):
    """The page could not be turned into sections; the message says why and what to change."""


@dataclass(frozen=True)
class ExtractOptions:
    content: str | None = None  # css profile: selector of the content container
    heading: str | None = None  # css profile: selector of headings inside it


Extractor = Callable[[BeautifulSoup, str, ExtractOptions], list[Section]]

PROFILES: dict[str, Extractor] = {
    "hrw-world-report": lambda soup, url, _opts: extract_hrw(soup, url),
    "generic": lambda soup, url, _opts: extract_generic(soup, url),
    "css": lambda soup, url, opts: extract_css(soup, url, opts.content, opts.heading),
}
# `auto` picks by host first, then by page signature, else `generic`.
AUTO_BY_HOST: dict[str, str] = {"hrw.org": "hrw-world-report"}
AUTO_BY_SIGNATURE: dict[str, Callable[[BeautifulSoup], bool]] = {
    "hrw-world-report": looks_like_hrw,
}


def resolve_profile(name: str, url: str, soup: BeautifulSoup | None = None) -> str:
    if name != "auto":
        if name not in PROFILES:
            raise ExtractError(
                f"unknown profile {name!r}; choose one of {', '.join(PROFILE_NAMES)}"
            )
        return name
    host = (urlsplit(url).hostname or "").lower()
    for suffix, profile in AUTO_BY_HOST.items():
        if host == suffix or host.endswith("." + suffix):
            return profile
    if soup is not None:
        for profile, matches in AUTO_BY_SIGNATURE.items():
            if matches(soup):
                return profile
    return "generic"


def parse_html(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "lxml")


def extract(
    html: str,
    url: str,
    *,
    final_url: str | None = None,
    profile: str = "auto",
    options: ExtractOptions | None = None,
) -> Document:
    """Extract a Document; pure, so it is tested without any network or Prefect."""
    soup = parse_html(html)
    base = final_url or url
    chosen = resolve_profile(profile, base, soup)
    try:
        sections = PROFILES[chosen](soup, base, options or ExtractOptions())
    except SelectorError as exc:
        raise ExtractError(f"{url}: {exc}") from exc
    meta = page_meta(soup)
    return Document(
        url=url,
        final_url=base,
        title=meta.title,
        lang=meta.lang,
        published=meta.published,
        modified=meta.modified,
        profile=chosen,
        sections=sections,
    )
