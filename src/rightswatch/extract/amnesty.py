"""The `amnesty` profile: an Amnesty International country report (WordPress, "humanity" theme).

The report body is `.article-content`; its unheaded summary and background paragraphs become
"Summary", then one section per h2 (h3 nest under them). The back link, share list, country
selector and related-content cards are chrome. The title is the h1 ("Kazakhstan 2023"): its year
is the edition, since the same URL is overwritten with next year's report and the <title> often
carries no year.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag

from rightswatch.document import Section
from rightswatch.extract.generic import extract_generic
from rightswatch.extract.outline import body_chrome, drop_hidden_helpers, first
from rightswatch.extract.text import normalize
from rightswatch.extract.walk import heading_level, tag_text, walk

CONTAINERS = (".article-content", "article .wp-block-post-content", "main article")
TITLES = ("h1.article-title", ".article-header h1", "main h1", "h1")
_CHROME_CLASS = re.compile(
    r"backlink|country-?selector|article-share|article-meta|post-meta|callout|topics", re.I
)


def _amnesty_chrome(tag: Tag) -> bool:
    return any(_CHROME_CLASS.search(c) for c in tag.get("class") or [])


def amnesty_title(soup: BeautifulSoup) -> str | None:
    found = first(soup, TITLES)
    if found is None:
        return None
    drop_hidden_helpers(found.parent if isinstance(found.parent, Tag) else found)
    return normalize(tag_text(found)) or None


def extract_amnesty(soup: BeautifulSoup, base_url: str) -> list[Section]:
    container = first(soup, CONTAINERS)
    if container is None:
        return extract_generic(soup, base_url)
    drop_hidden_helpers(container)
    is_chrome = body_chrome(_amnesty_chrome)

    def is_heading(tag: Tag) -> int | None:
        level = heading_level(tag)
        return None if tag.name == "h1" else level  # the h1 is the page title, not a section

    return walk(container, base_url=base_url, is_heading=is_heading, is_chrome=is_chrome)
