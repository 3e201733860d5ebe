"""The `hrw-world-report` profile: a Human Rights Watch World Report country chapter.

The chapter body on hrw.org sits in `.article-body`; the intro before the first heading becomes
"Summary". Everything around it (hero, share bars, language switcher, table of contents,
essays menu, "Browse countries", newsletter, footer) is page chrome.
"""

from __future__ import annotations

from bs4 import BeautifulSoup, Tag

from rightswatch.document import Section
from rightswatch.extract.generic import extract_generic
from rightswatch.extract.walk import heading_level, looks_like_chrome, walk

BODY_SELECTORS = (
    ".article-body",
    "[class*='article-body']",
    ".chapter-body",
    "[class*='chapter__body']",
    "article .rich-text",
)
# Inside the body, HRW places photo credits, pull quotes and inline calls to action.
_CHROME_TAGS = frozenset({"figure", "aside"})


def _is_chrome(tag: Tag) -> bool:
    return tag.name in _CHROME_TAGS or looks_like_chrome(tag)


def extract_hrw(soup: BeautifulSoup, base_url: str) -> list[Section]:
    for selector in BODY_SELECTORS:
        body = soup.select_one(selector)
        if body is not None:
            return walk(body, base_url=base_url, is_heading=heading_level, is_chrome=_is_chrome)
    return extract_generic(soup, base_url)
