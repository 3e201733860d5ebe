"""The `freedom-house` profile: a Freedom House "Freedom in the World" country report (Drupal).

The score block (status, total "23 / 100", Political Rights, Civil Liberties, last year's score)
becomes one "Scores" section with one paragraph per score, so a changed score is a fact change
with both numbers and never mixes with the tabs. The narrative follows: "Overview", "Key
Developments in <year>", then "Political Rights" → categories ("A. Electoral Process") →
indicators ("A1 0-4 pts": the question, the score "0 / 4", the narrative), and "Civil Liberties"
→ D–G. Every heading carries hidden helper text (`header1`, …) that is removed.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag

from rightswatch.document import Section
from rightswatch.extract.generic import extract_generic
from rightswatch.extract.outline import HEADINGS, body_chrome, drop_hidden_helpers, first
from rightswatch.extract.text import unique_key
from rightswatch.extract.walk import tag_text, walk

CONTAINERS = (".country-report", "main article", "main")
SCORE_BLOCKS = (".country-score-block", ".report-scores", "[class*='score-block']")
NARRATIVE = (".country-report__body", ".field--name-body", "[class*='report-body']")
_INDICATOR = re.compile(r"^[A-G]\d{1,2}\b")
_CATEGORY = re.compile(r"^[A-G]\.\s")
_CHROME_CLASS = re.compile(r"tabs?(?:[-_]|$)|country-nav|sidebar|explore|report-links", re.I)


def _fh_chrome(tag: Tag) -> bool:
    return any(_CHROME_CLASS.search(c) for c in tag.get("class") or [])


def fh_level(tag: Tag) -> int | None:
    if tag.name not in HEADINGS:
        return None
    text = tag_text(tag)
    if _INDICATOR.match(text):
        return 4
    if _CATEGORY.match(text):
        return 3
    return 2


def _scores(block: Tag, base_url: str) -> list[Section]:
    found = walk(block, base_url=base_url, is_heading=lambda _t: None, intro_heading="Scores")
    return [s.model_copy(update={"key": "scores", "level": 2}) for s in found[:1]]


def extract_freedom_house(soup: BeautifulSoup, base_url: str) -> list[Section]:
    container = first(soup, CONTAINERS)
    if container is None:
        return extract_generic(soup, base_url)
    drop_hidden_helpers(container)
    block = first(container, SCORE_BLOCKS)
    sections = _scores(block, base_url) if block is not None else []
    if block is not None:
        block.extract()
    narrative = first(container, NARRATIVE) or container
    chrome = body_chrome(_fh_chrome)

    def is_chrome(tag: Tag) -> bool:
        return tag.name == "h1" or chrome(tag)  # the country name: the title, not content

    body = walk(narrative, base_url=base_url, is_heading=fh_level, is_chrome=is_chrome)
    seen = {"scores": 1} if sections else {}
    for section in body:
        key = unique_key(section.key, seen)
        sections.append(section if key == section.key else section.model_copy(update={"key": key}))
    return sections
