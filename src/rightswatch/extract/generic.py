"""The `generic` profile: the main content of any article-like page, sections by h1–h4.

Fast path: <main>, role=main or the largest <article> holds the text, and chrome inside it
(comments, sidebars, teaser lists, bylines, newsletter boxes) is recognised by its class or id
words, as readability does, and by link density. A page with none of those containers is one
where the fast path is unsure: trafilatura then says which blocks are the article
(extract/locate.py), and the walk keeps only those.
"""

from __future__ import annotations

import re
from collections import defaultdict

from bs4 import BeautifulSoup, Tag

from rightswatch.document import Section
from rightswatch.extract.density import LinkDensity
from rightswatch.extract.locate import main_text
from rightswatch.extract.walk import IsChrome, looks_like_chrome, tag_text, walk
from rightswatch.segment import count_words

# Class/id words of page furniture (readability's "unlikely candidates", plus what report
# sites add). A word must stand alone between "-"/"_" or the ends: "comments", "post-meta".
_FURNITURE = re.compile(
    r"(?:^|[-_])(?:comments?|replies|disqus|sidebar|widgets?|widget-area|footer|masthead|"
    r"menu|navbar|leftnav|sidenav|subnav|pager|pagination|popup|modal|banner|consent|gdpr|"
    r"byline|dateline|author|meta|more|most-read|latest|teasers?|sponsor|rss|"
    r"contacts?|signup|tags|tag-list|print|breadcrumb|ms-footer|site-info|colophon)(?:[-_]|$)"
)
_LISTS = frozenset({"ul", "ol", "div", "section", "table"})
_LINK_DENSE = 0.35  # share of a list's or box's text that is link text: a teaser list


def _generic_heading(tag: Tag) -> int | None:
    if tag.name in ("h1", "h2", "h3", "h4"):
        return int(tag.name[1])
    return None


def _words(tag: Tag) -> list[str]:
    tokens = [str(c).lower() for c in tag.get("class") or []]
    ident = tag.get("id")
    if isinstance(ident, str):
        tokens.append(ident.lower())
    return tokens


def _link_dense(tag: Tag, density: LinkDensity) -> bool:
    measure = density.measure(tag)
    if measure.links < 3:
        return False
    if measure.exact:
        total, linked = measure.text.length, measure.linked
    else:  # NFC may join text across elements here: measured from the text itself
        total = len(tag_text(tag))
        linked = sum(len(tag_text(a)) for a in tag.find_all("a"))
    return total > 0 and linked / total > _LINK_DENSE


def _chrome_test() -> IsChrome:
    """The generic profile's chrome test, for one walk (its measures belong to one tree)."""
    density = LinkDensity()

    def is_chrome(tag: Tag) -> bool:
        # An <aside> is tangential by definition: related links, country pickers, pull quotes.
        if tag.name in ("aside", "footer", "figure") or looks_like_chrome(tag):
            return True
        if any(_FURNITURE.search(word) for word in _words(tag)):
            return True
        return tag.name in _LISTS and _link_dense(tag, density)

    return is_chrome


def densest_block(soup: BeautifulSoup) -> Tag | None:
    """Readability's idea in small: the element whose paragraphs hold the most text wins."""
    scores: dict[int, float] = defaultdict(float)
    by_id: dict[int, Tag] = {}
    for p in soup.find_all(["p", "li"]):
        length = len(tag_text(p))
        if length < 25 or (p.name == "li" and p.find("a") is not None):
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


def sure_content(soup: BeautifulSoup) -> Tag | None:
    """The container a page names as its content, if it names one."""
    for selector in ("main", "[role=main]"):
        found = soup.select_one(selector)
        if found is not None:
            return found
    articles = soup.find_all("article")
    return max(articles, key=lambda a: len(a.get_text())) if articles else None


def main_content(soup: BeautifulSoup) -> Tag:
    found = sure_content(soup) or densest_block(soup)
    if found is not None:
        return found
    body = soup.find("body")
    return body if isinstance(body, Tag) else soup


def _walk(container: Tag, base_url: str) -> list[Section]:
    return walk(container, base_url=base_url, is_heading=_generic_heading, is_chrome=_chrome_test())


def extract_generic(soup: BeautifulSoup, base_url: str) -> list[Section]:
    sure = sure_content(soup)
    if sure is not None:
        return _walk(sure, base_url)
    guess = main_content(soup)
    located = main_text(soup)
    if located is None:
        return _walk(guess, base_url)

    furniture = _chrome_test()

    def is_chrome(tag: Tag) -> bool:
        return furniture(tag) or not located.holds(tag)

    sections = located.prune(
        walk(located.scope, base_url=base_url, is_heading=_generic_heading, is_chrome=is_chrome)
    )
    # trafilatura keeping less than our own guess holds is a sign it missed the article.
    if sum(s.words for s in sections) < 0.5 * count_words(tag_text(guess)):
        return _walk(guess, base_url)
    return sections
