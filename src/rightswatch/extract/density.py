"""The link density of every box under a container, each element measured once.

The generic profile drops a list or box whose text is mostly link text (a teaser list). Measured
box by box, a box's text is read again for every box around it, so a page of wrappers inside
wrappers cost time in the square of its depth: 20 s for 10,000 levels. Here an element's
measure is built from its children's, to exactly the length `tag_text` gives.
"""

from __future__ import annotations

import unicodedata
from typing import NamedTuple

from bs4.element import NavigableString, Tag

from rightswatch.extract.text import clean
from rightswatch.extract.walk import SKIP_TAGS


class Span(NamedTuple):
    """Text once normalised: its length, white space at either end, and whether the length is
    exact (NFC could join its first character to the text before it)."""

    length: int
    space_before: bool
    space_after: bool
    exact: bool


class Measure(NamedTuple):
    text: Span  # what tag_text(tag) gives
    links: int  # <a> elements inside, as tag.find_all("a") counts them
    linked: int  # their tag_text lengths, added up
    exact: bool  # every length inside is exact


EMPTY = Span(0, False, False, True)
SPACE = Span(0, True, True, True)  # a <br>
# Characters of no combining class that NFC still joins to the character before them (found by
# decomposition; tests/test_density.py checks the set against Python's Unicode data).
JOINS_BACK = frozenset(
    "\u09be\u09d7\u0b3e\u0b56\u0b57\u0bbe\u0bd7\u0cc2\u0cd5\u0cd6\u0d3e\u0d57\u0dcf\u0ddf"
    "\u0fb5\u0fb7\u102e\u1b35\U00011127\U0001133e\U00011357\U000114b0\U000114ba\U000114bd"
    "\U000115af\U00011930"
)


def joins_back(char: str) -> bool:
    code = ord(char)
    hangul_vowel_or_final = 0x1161 <= code <= 0x1175 or 0x11A8 <= code <= 0x11C2
    return unicodedata.combining(char) != 0 or char in JOINS_BACK or hangul_vowel_or_final


def span(raw: str) -> Span:
    exact = raw.isascii() or not joins_back(raw[0])
    text = clean(raw)
    words = text.split()
    if not words:
        return Span(0, bool(text), bool(text), exact)
    length = sum(map(len, words)) + len(words) - 1
    return Span(length, text[0].isspace(), text[-1].isspace(), exact)


def join(a: Span, b: Span) -> Span:
    exact = a.exact and b.exact
    if not a.length and not b.length:  # blank: white space before it is white space after it
        space = a.space_before or b.space_before
        return Span(0, space, space, exact)
    if not b.length:
        return Span(a.length, a.space_before, a.space_after or b.space_before, exact)
    if not a.length:
        return Span(b.length, a.space_before or b.space_before, b.space_after, exact)
    gap = 1 if a.space_after or b.space_before else 0
    return Span(a.length + gap + b.length, a.space_before, b.space_after, exact)


class LinkDensity:
    """Measures of one tree's elements, kept while the walk over that tree lasts."""

    def __init__(self) -> None:
        self._measures: dict[int, Measure] = {}

    def measure(self, tag: Tag) -> Measure:
        """The element's measure; the first call inside a subtree measures all of it."""
        known = self._measures.get(id(tag))
        if known is not None:
            return known
        stack: list[tuple[Tag, bool]] = [(tag, False)]
        while stack:  # post-order without recursion: 10,000-deep pages exist
            node, children_done = stack.pop()
            if children_done:
                self._measures[id(node)] = self._combine(node)
            elif id(node) not in self._measures:
                stack.append((node, True))
                stack.extend((c, False) for c in node.contents if isinstance(c, Tag))
        return self._measures[id(tag)]

    def _combine(self, tag: Tag) -> Measure:
        text, links, linked, exact = EMPTY, 0, 0, True
        for child in tag.contents:
            if isinstance(child, Tag):
                inner = self._measures[id(child)]
                text = join(text, inner.text)
                links += inner.links
                linked += inner.linked
                exact = exact and inner.exact
                if child.name == "a":
                    links, linked = links + 1, linked + inner.text.length
            elif type(child) is NavigableString:
                text = join(text, span(str(child)))
        exact = exact and text.exact
        if tag.name in SKIP_TAGS:
            text = EMPTY
        elif tag.name == "br":
            text = SPACE
        return Measure(text, links, linked, exact)
