"""The `state-country-report` profile: a US State Department Country Report on Human Rights
Practices (WordPress).

The body is `div.report__content`. Its outline is read from the headings' text, not their tags,
because the markup changed over the years: "EXECUTIVE SUMMARY" and "Section 1. Respect for the
Integrity of the Person" (label and title may sit on two lines of one heading) are top level;
lettered subsections ("A. ARBITRARY DEPRIVATION OF LIFE…", "a." in older years) nest under their
Section; run-in subheads (an h4, or a paragraph that is bold only, such as "Prison and Detention
Center Conditions") nest under the lettered subsection. Heading ids such as `toc_1` are anchors,
never chrome.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag
from bs4.element import NavigableString

from rightswatch.document import Section
from rightswatch.extract.generic import extract_generic
from rightswatch.extract.outline import HEADINGS, body_chrome, drop_hidden_helpers, first
from rightswatch.extract.walk import tag_text, walk

CONTAINERS = ("div.report__content", ".report__content", "main .entry-content")
TITLES = (".featured-content__headline", "main h1")
_LETTERED = re.compile(r"^[A-Ga-g]\.\s")
_TOP = re.compile(r"^(?:Section\s+\d+\.?|EXECUTIVE SUMMARY|Executive Summary|Appendix)", re.I)
_BOLD = ("strong", "b")
MAX_RUN_IN = 120  # a bold paragraph longer than this is emphasis, not a subhead


def bold_only(tag: Tag) -> bool:
    """A paragraph whose whole visible text is bold: a run-in subhead."""
    if tag.name != "p":
        return False
    kids = [k for k in tag.contents if not (isinstance(k, NavigableString) and not k.strip())]
    if len(kids) != 1 or not isinstance(kids[0], Tag) or kids[0].name not in _BOLD:
        return False
    text = tag_text(tag)
    if _LETTERED.match(text) or _TOP.match(text):
        return True
    return 0 < len(text) <= MAX_RUN_IN and not text.endswith((".", ":"))


def state_level(tag: Tag) -> int | None:
    if tag.name not in HEADINGS and not bold_only(tag):
        return None
    text = tag_text(tag)
    if _LETTERED.match(text):
        return 3
    if _TOP.match(text) or tag.name in ("h1", "h2"):
        return 2
    return 4


def extract_state(soup: BeautifulSoup, base_url: str) -> list[Section]:
    container = first(soup, CONTAINERS)
    if container is None:
        return extract_generic(soup, base_url)
    drop_hidden_helpers(container)
    return walk(
        container,
        base_url=base_url,
        is_heading=state_level,
        is_chrome=body_chrome(keep_heading_wrappers=True),
    )


def state_title(soup: BeautifulSoup) -> str | None:
    """The report's own headline ("2023 Country Reports on Human Rights Practices: Kazakhstan"):
    the <title> says only "Kazakhstan", which hides the report year (the edition)."""
    found = first(soup, TITLES)
    return tag_text(found) or None if found is not None else None
