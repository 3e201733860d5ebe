"""The `generic` profile: the main content of any article-like page, sections by h1–h4."""

from __future__ import annotations

from collections import defaultdict

from bs4 import BeautifulSoup, Tag

from rightswatch.document import Section
from rightswatch.extract.walk import looks_like_chrome, tag_text, walk


def _generic_heading(tag: Tag) -> int | None:
    if tag.name in ("h1", "h2", "h3", "h4"):
        return int(tag.name[1])
    return None


def densest_block(soup: BeautifulSoup) -> Tag | None:
    """Readability's idea in small: the element whose paragraphs hold the most text wins."""
    scores: dict[int, float] = defaultdict(float)
    by_id: dict[int, Tag] = {}
    for p in soup.find_all("p"):
        length = len(tag_text(p))
        if length < 25:
            continue
        parent = p.parent
        for weight in (1.0, 0.5):
            if not isinstance(parent, Tag) or parent.name in ("body", "html", "[document]"):
                break
            scores[id(parent)] += length * weight
            by_id[id(parent)] = parent
            parent = parent.parent
    if not scores:
        return None
    return by_id[max(scores, key=lambda k: scores[k])]


def main_content(soup: BeautifulSoup) -> Tag:
    for selector in ("main", "[role=main]"):
        found = soup.select_one(selector)
        if found is not None:
            return found
    articles = soup.find_all("article")
    if articles:
        return max(articles, key=lambda a: len(a.get_text()))
    dense = densest_block(soup)
    if dense is not None:
        return dense
    body = soup.find("body")
    return body if isinstance(body, Tag) else soup


def _is_chrome(tag: Tag) -> bool:
    # An <aside> is tangential by definition: related links, country pickers, pull quotes.
    return tag.name == "aside" or looks_like_chrome(tag)


def extract_generic(soup: BeautifulSoup, base_url: str) -> list[Section]:
    return walk(
        main_content(soup), base_url=base_url, is_heading=_generic_heading, is_chrome=_is_chrome
    )
