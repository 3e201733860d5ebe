"""Document × Document → section changes: aligned by key, then renamed, moved, added, removed.

Only sections whose text differs are word-diffed, so an unchanged 80 KB chapter costs a few
list comparisons.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from fnmatch import fnmatchcase
from typing import Literal

from pydantic import BaseModel, ConfigDict

from rightswatch.document import Document, Section
from rightswatch.extract.text import normalize
from rightswatch.segment import count_words
from rightswatch.textdiff import (
    Edit,
    FactChange,
    SentenceChange,
    canonical,
    fact_changes,
    sentence_changes,
    similarity,
    word_diff,
)

__all__ = [
    "ChangeKind",
    "DocumentDiff",
    "SectionChange",
    "diff_documents",
    "diff_prepared",
    "prepare",
]

ChangeKind = Literal["modified", "added", "removed", "renamed", "moved"]
RENAME_SIMILARITY = 0.6


class SectionChange(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: ChangeKind
    key: str  # the new key, or the old one for a removed section
    heading: str
    old_heading: str | None = None
    old_index: int | None = None
    new_index: int | None = None
    anchor: str | None = None
    moved: bool = False  # also moved, for a renamed or modified section
    minor: bool = False  # typography or whitespace only: not an alert
    words_added: int = 0
    words_removed: int = 0
    sentences: list[SentenceChange] = []
    facts: list[FactChange] = []
    edits: list[Edit] = []

    @property
    def is_alert(self) -> bool:
        return not self.minor


class DocumentDiff(BaseModel):
    model_config = ConfigDict(frozen=True)

    old_title: str
    new_title: str
    old_lang: str | None = None
    new_lang: str | None = None
    changes: list[SectionChange] = []

    @property
    def alerts(self) -> list[SectionChange]:
        return [c for c in self.changes if c.is_alert]

    def summary(self) -> str:
        if not self.changes:
            return "no change"
        counts: dict[str, int] = {}
        for change in self.changes:
            label = "minor" if change.minor else change.kind
            counts[label] = counts.get(label, 0) + 1
        return ", ".join(f"{n} {label}" for label, n in counts.items())


def diff_prepared(
    old: Document,
    new: Document,
    sections: Sequence[str] = ("*",),
    ignore: Sequence[str] = (),
    lang: str | None = None,
) -> DocumentDiff:
    """Diff as a watch sees it: both sides through its `sections` and `ignore` first."""
    return diff_documents(prepare(old, sections, ignore), prepare(new, sections, ignore), lang)


def prepare(
    doc: Document, sections: Sequence[str] = ("*",), ignore: Sequence[str] = ()
) -> Document:
    """Apply a watch's `sections` globs and `ignore` regexes before diffing."""
    patterns = [re.compile(p) for p in ignore]
    globs = [g.casefold() for g in sections]
    kept: list[Section] = []
    for section in doc.sections:
        if not any(fnmatchcase(section.heading.casefold(), g) for g in globs):
            continue
        if patterns:
            paragraphs = []
            for paragraph in section.paragraphs:
                for pattern in patterns:
                    paragraph = pattern.sub("", paragraph)
                paragraph = normalize(paragraph)
                if paragraph:
                    paragraphs.append(paragraph)
            section = section.model_copy(update={"paragraphs": paragraphs})
        kept.append(section)
    return doc.model_copy(update={"sections": kept})


def _count_words(edits: list[Edit], op: str) -> int:
    return sum(count_words(e.text) for e in edits if e.op == op and e.text.strip())


def _longest_increasing(values: list[int]) -> set[int]:
    """Indices (into `values`) of one longest increasing subsequence: the sections that stayed."""
    tails: list[int] = []
    tail_at: list[int] = []
    parent = [-1] * len(values)
    for i, value in enumerate(values):
        pos = bisect_left(tails, value)
        if pos == len(tails):
            tails.append(value)
            tail_at.append(i)
        else:
            tails[pos] = value
            tail_at[pos] = i
        parent[i] = tail_at[pos - 1] if pos else -1
    keep: set[int] = set()
    i = tail_at[-1] if tail_at else -1
    while i != -1:
        keep.add(i)
        i = parent[i]
    return keep


def _pair_change(
    old: Section, new: Section, old_i: int, new_i: int, moved: bool, lang: str | None = None
) -> SectionChange | None:
    renamed = old.heading != new.heading
    text_changed = old.paragraphs != new.paragraphs
    if not (renamed or text_changed or moved):
        return None
    kind: ChangeKind = "renamed" if renamed else ("modified" if text_changed else "moved")
    change = SectionChange(
        kind=kind,
        key=new.key,
        heading=new.heading,
        old_heading=old.heading if renamed else None,
        old_index=old_i,
        new_index=new_i,
        anchor=new.anchor,
        moved=moved,
    )
    if not text_changed:
        return change
    old_text, new_text = old.text, new.text
    edits = word_diff(old_text, new_text)
    sentences = sentence_changes(old_text, new_text, lang)
    minor = not renamed and not moved and canonical(old_text) == canonical(new_text)
    return change.model_copy(
        update={
            "minor": minor,
            "edits": edits,
            "sentences": sentences,
            "facts": fact_changes(sentences),
            "words_added": _count_words(edits, "insert"),
            "words_removed": _count_words(edits, "delete"),
        }
    )


def _whole(
    kind: Literal["added", "removed"], section: Section, index: int, lang: str | None = None
) -> SectionChange:
    text = section.text
    old, new = ("", text) if kind == "added" else (text, "")
    sentences = sentence_changes(old, new, lang)
    return SectionChange(
        kind=kind,
        key=section.key,
        heading=section.heading,
        anchor=section.anchor,
        old_index=index if kind == "removed" else None,
        new_index=index if kind == "added" else None,
        sentences=sentences,
        facts=fact_changes(sentences),
        edits=[Edit(op="insert" if kind == "added" else "delete", text=text)] if text else [],
        words_added=section.words if kind == "added" else 0,
        words_removed=section.words if kind == "removed" else 0,
    )


def _pair_sections(old: Document, new: Document) -> dict[int, int]:
    """Old section index -> new: by key, then renamed (an unmatched old section whose text
    closely matches an unmatched new one)."""
    old_by_key = {s.key: i for i, s in enumerate(old.sections)}
    pairs: dict[int, int] = {}
    for j, section in enumerate(new.sections):
        i = old_by_key.get(section.key)
        if i is not None:
            pairs[i] = j
    lone_old = [i for i in range(len(old.sections)) if i not in pairs]
    lone_new = [j for j in range(len(new.sections)) if j not in pairs.values()]
    candidates = sorted(
        (
            (similarity(old.sections[i].text, new.sections[j].text), i, j)
            for i in lone_old
            for j in lone_new
            if old.sections[i].paragraphs and new.sections[j].paragraphs
        ),
        reverse=True,
    )
    for score, i, j in candidates:
        if score < RENAME_SIMILARITY:
            break
        if i not in pairs and j not in pairs.values():
            pairs[i] = j
    return pairs


def diff_documents(old: Document, new: Document, lang: str | None = None) -> DocumentDiff:
    """Pure: the changes a reader of `new` should be told about, in new-document order.

    `lang` (a watch's) picks the sentence rules; else the page's own language decides.
    """
    lang = lang or new.lang or old.lang
    pairs = _pair_sections(old, new)
    # Moved: paired sections outside one longest run that kept its relative order.
    ordered = sorted(pairs)
    stayed = _longest_increasing([pairs[i] for i in ordered])
    moved = {ordered[k] for k in range(len(ordered)) if k not in stayed}
    changes: list[tuple[float, SectionChange]] = []
    for i, j in pairs.items():
        change = _pair_change(old.sections[i], new.sections[j], i, j, i in moved, lang)
        if change is not None:
            changes.append((j, change))
    matched_new = set(pairs.values())
    for j, section in enumerate(new.sections):
        if j not in matched_new:
            changes.append((j, _whole("added", section, j, lang)))
    for i, section in enumerate(old.sections):
        if i not in pairs:
            # Place a removed section where it stood, relative to its old neighbours.
            after = max((pairs[k] for k in pairs if k < i), default=-1)
            changes.append((after + 0.5, _whole("removed", section, i, lang)))
    changes.sort(key=lambda item: item[0])
    return DocumentDiff(
        old_title=old.title,
        new_title=new.title,
        old_lang=old.lang,
        new_lang=new.lang,
        changes=[c for _, c in changes],
    )
