"""Lines of a PDF → sections and paragraphs: drop page furniture, find headings, re-flow.

Library-neutral: a reader (pdfminer.six in extract/pdf.py, others in benchmarks/pdf_libs.py)
turns pages into `Line`s with their font size and weight; everything a reader sees in the
Document is decided here, once.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass

from rightswatch.document import Section
from rightswatch.extract.text import normalize, slugify, unique_key

__all__ = ["Line", "Outline", "build_sections", "drop_furniture"]

_PAGE_NUMBER = re.compile(
    r"^(?:page\s+)?[-–—(\[]?\s*\d{1,4}\s*[-–—)\]]?(?:\s*(?:of|/)\s*\d{1,4})?$", re.IGNORECASE
)
_DIGITS = re.compile(r"\d+")
_SENTENCE_END = re.compile(r"[.!?:;…][\"'”’)\]]*$")
MARGIN = 0.1  # share of the page height at top and bottom where furniture lives


@dataclass(frozen=True)
class Line:
    """One text line: its page, vertical position (0 = top) and font."""

    text: str
    page: int
    top: float
    bottom: float
    x0: float
    x1: float
    size: float
    bold: bool
    page_height: float


@dataclass(frozen=True)
class Outline:
    """A bookmark: its title and depth (1 = top level)."""

    title: str
    level: int


def _in_margin(line: Line) -> bool:
    band = line.page_height * MARGIN
    return line.top < band or line.bottom > line.page_height - band


def drop_furniture(lines: list[Line], pages: int) -> list[Line]:
    """Running headers, footers and page numbers: margin lines that are page numbers, or whose
    text (digits aside) repeats on at least half the pages."""
    repeats = Counter(
        _DIGITS.sub("#", normalize(ln.text).casefold()) for ln in lines if _in_margin(ln)
    )
    needed = max(2, pages // 2)
    kept = []
    for line in lines:
        if _in_margin(line):
            text = normalize(line.text)
            if _PAGE_NUMBER.match(text) or repeats[_DIGITS.sub("#", text.casefold())] >= needed:
                continue
        kept.append(line)
    return kept


def _body_size(lines: list[Line]) -> float:
    weights: Counter[float] = Counter()
    for line in lines:
        weights[round(line.size, 1)] += len(line.text)
    return weights.most_common(1)[0][0] if weights else 0.0


def _heading_sizes(lines: list[Line], body: float) -> dict[float, int]:
    """Heading font sizes, largest first, as levels 1, 2, 3…; a bold body-sized line is last."""
    sizes = sorted({round(ln.size, 1) for ln in lines if _is_heading_font(ln, body)}, reverse=True)
    return {size: n + 1 for n, size in enumerate(sizes[:5])}


def _is_heading_font(line: Line, body: float) -> bool:
    short = len(line.text.split()) <= 15 and not _SENTENCE_END.search(line.text.strip())
    return short and (line.size >= body * 1.15 or (line.bold and line.size >= body * 0.95))


_WORD = re.compile(r"[^\W_][\w\-’']*")


def vocabulary(lines: list[Line]) -> frozenset[str]:
    """Every word written whole on some line, to tell anti-/torture from inter-/national."""
    return frozenset(w.casefold() for ln in lines for w in _WORD.findall(ln.text))


def _joined(previous: str, line: str, words: frozenset[str] = frozenset()) -> str:
    """Join two lines of a paragraph, undoing a hyphen that only split a word at the line end:
    inter-/national is one word, but Covid-/19, Kasym-/Jomart and anti-/torture (written so
    elsewhere in the document) keep their hyphen."""
    if not re.search(r"[^\W\d_]-$", previous):
        return f"{previous} {line}"
    if not line[:1].islower():
        return previous + line
    head = _WORD.findall(previous[:-1])[-1:] or [""]
    tail = _WORD.findall(line)[:1] or [""]
    compound = f"{head[0]}-{tail[0]}".casefold()
    if compound in words and f"{head[0]}{tail[0]}".casefold() not in words:
        return previous + line
    return previous[:-1] + line


@dataclass
class _Flow:
    """Paragraph state while the lines of the body stream past."""

    leading: float
    body: float
    right: float
    paragraphs: list[str]
    words: frozenset[str] = frozenset()
    floor: float = 0.0  # the lowest body line on any page: where full pages end
    current: str = ""
    last: Line | None = None

    def starts_paragraph(self, line: Line) -> bool:
        last = self.last
        if last is None or not self.current:
            return True
        sentence = bool(_SENTENCE_END.search(last.text.strip()))
        ended = sentence and last.x1 < self.right * 0.9
        if last.page != line.page:  # across a page break: a short last line, or room left
            room = last.bottom < self.floor - (self.leading + self.body)
            return ended or (sentence and room)
        gap = line.top - last.bottom
        return gap > self.leading + self.body * 0.3 or ended or line.top < last.top

    def add(self, line: Line) -> None:
        text = normalize(line.text)
        if not text:
            return
        if self.starts_paragraph(line):
            self.flush()
            self.current = text
        else:
            self.current = _joined(self.current, text, self.words)
        self.last = line

    def flush(self) -> None:
        if self.current:
            self.paragraphs.append(self.current)
        self.current, self.last = "", None


def _leading(lines: list[Line], body: float) -> float:
    """The usual gap between two body lines of one paragraph."""
    gaps = Counter(
        round(b.top - a.bottom, 1)
        for a, b in itertools.pairwise(lines)
        if a.page == b.page and 0 <= b.top - a.bottom < body * 2 and round(a.size, 1) == body
    )
    return max(gaps.most_common(1)[0][0], body * 0.3) if gaps else body * 0.4


@dataclass
class _Sections:
    intro: str
    sections: list[Section]
    keys: dict[str, int]
    stack: list[tuple[int, str]]

    def close(self, heading: str | None, level: int, paragraphs: list[str]) -> None:
        if heading is None and not paragraphs:
            return
        name = heading or self.intro
        while self.stack and self.stack[-1][0] >= level and heading is not None:
            self.stack.pop()
        path = [h for _, h in self.stack]
        if heading is not None:
            self.stack.append((level, heading))
        self.sections.append(
            Section(
                key=unique_key(slugify(name), self.keys),
                heading=name,
                level=level,
                path=path,
                paragraphs=list(paragraphs),
            )
        )


def _outline_levels(lines: list[Line], outline: list[Outline]) -> dict[int, int]:
    """Line index → level for each bookmark, matched in order to the line that carries it."""
    found: dict[int, int] = {}
    start = 0
    for entry in outline:
        want = normalize(entry.title).casefold()
        for i in range(start, len(lines)):
            if normalize(lines[i].text).casefold() == want:
                found[i], start = entry.level, i + 1
                break
    return found


def _title_lines(lines: list[Line], levels: dict[int, int], body: float) -> int:
    """How many lines at the top are the display title: large type, before any body text, and
    not one of several headings of its level."""
    if not lines or lines[0].page != 0 or lines[0].size < body * 1.3:
        return 0
    if 0 in levels and sum(lv == levels[0] for lv in levels.values()) > 1:
        return 0
    n = 1
    while n < len(lines) and lines[n].page == 0 and lines[n].size == lines[0].size and n < 3:
        n += 1
    return n


def _renumber(levels: dict[int, int]) -> dict[int, int]:
    """Levels 1, 2, 3… in the order of their depth, whatever the fonts or outline said."""
    ranks = {lv: n + 1 for n, lv in enumerate(sorted(set(levels.values())))}
    return {i: ranks[lv] for i, lv in levels.items()}


def _heading_levels(lines: list[Line], outline: list[Outline]) -> dict[int, int]:
    levels = _outline_levels(lines, outline) if outline else {}
    if levels:
        return levels
    body = _body_size(lines)
    sizes = _heading_sizes(lines, body)
    return {i: sizes[round(ln.size, 1)] for i, ln in enumerate(lines) if _is_heading_font(ln, body)}


def build_sections(
    lines: list[Line], outline: list[Outline], title: str, intro: str = "Summary"
) -> tuple[str, list[Section]]:
    """(title, sections) from furniture-free lines; bookmarks name the headings when present."""
    body = _body_size(lines)
    levels = _heading_levels(lines, outline)
    skip = _title_lines(lines, levels, body)
    if skip:
        title = title or " ".join(normalize(ln.text) for ln in lines[:skip])
    levels = _renumber({i: lv for i, lv in levels.items() if i >= skip})
    right = max((ln.x1 for ln in lines), default=0.0)
    floor = max((ln.bottom for ln in lines), default=0.0)
    flow = _Flow(_leading(lines, body), body, right, [], vocabulary(lines), floor)
    out = _Sections(intro, [], {}, [])
    heading: str | None = None
    level, previous = 0, -2
    for i, line in enumerate(lines):
        if i < skip:
            continue
        if i not in levels:
            flow.add(line)
            continue
        text = normalize(line.text)
        if previous == i - 1 and heading is not None and levels[i] == level:
            heading = f"{heading} {text}"  # a heading wrapped onto a second line
        else:
            flow.flush()
            out.close(heading, level, flow.paragraphs)
            heading, level, flow.paragraphs = text, levels[i], []
        previous = i
    flow.flush()
    out.close(heading, level, flow.paragraphs)
    return title or (out.sections[0].heading if out.sections else ""), out.sections
