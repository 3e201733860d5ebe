"""Outline rules the publisher profiles share.

A heading is its visible text: helper text for screen readers (`header1`, "opens in a new
window") is removed, its lines are joined by one space, and the case is kept as on the page. A
heading in the body is never chrome, even when its id contains a word such as `toc`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bs4 import Tag

from rightswatch.extract.walk import SKIP_TAGS, looks_like_chrome

HIDDEN_HELPER = re.compile(
    r"(?:^|[-_])(?:sr-only|visually-hidden|element-invisible|screen-reader-text|"
    r"screen-reader-only|hidden|invisible|u-hiddenVisually)(?:[-_]|$)",
    re.I,
)
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_LINES = ("div", "p", "br")


def _is_hidden_helper(tag: Tag) -> bool:
    if tag.get("aria-hidden") == "true" or tag.has_attr("hidden"):
        return True
    return any(HIDDEN_HELPER.search(c) for c in tag.get("class") or [])


def drop_hidden_helpers(container: Tag) -> None:
    """Remove visually hidden helper text inside headings, so it never reaches a heading, and
    part a heading's lines (block children) with a space: "Section 1." + "Respect for …"."""
    for heading in container.find_all(HEADINGS):
        for helper in heading.find_all(_is_hidden_helper):
            helper.decompose()
        for line in heading.find_all(_LINES):
            line.insert_after(" ")


def body_chrome(
    extra: Callable[[Tag], bool] | None = None, *, keep_heading_wrappers: bool = False
) -> Callable[[Tag], bool]:
    """Chrome inside a content container; a heading is never chrome by its class or id, and
    with `keep_heading_wrappers` neither is a wrapper around body headings (`id="toc-sec-2"`)."""

    def is_chrome(tag: Tag) -> bool:
        if tag.name in HEADINGS:
            return False
        if extra is not None and extra(tag):
            return True
        if tag.name in ("aside", "figure"):
            return True
        if not looks_like_chrome(tag):
            return False
        # checked only for flagged tags, so a long page is not rescanned
        return not (keep_heading_wrappers and tag.name not in SKIP_TAGS and tag.find(HEADINGS))

    return is_chrome


def first(soup: Tag, selectors: tuple[str, ...]) -> Tag | None:
    for selector in selectors:
        found = soup.select_one(selector)
        if found is not None:
            return found
    return None
