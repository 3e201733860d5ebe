"""Word- and sentence-level differences between two texts, with diff-match-patch.

Words, not characters, are the unit a reader cares about: tokens are mapped to single
characters (as diff-match-patch does for lines), diffed, semantically cleaned up and mapped back.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from difflib import SequenceMatcher
from itertools import chain
from typing import Literal

from diff_match_patch import diff_match_patch
from pydantic import BaseModel, ConfigDict

from rightswatch.segment import CJK, split_sentences, to_ascii_digits, tokens, units

__all__ = [
    "Edit",
    "Fact",
    "FactChange",
    "SentenceChange",
    "canonical",
    "fact_changes",
    "sentence_changes",
    "similarity",
    "split_sentences",  # re-exported from rightswatch.segment
    "word_diff",
]

_TYPOGRAPHY = {"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'", "‚": "'",
               "–": "-", "—": "-", "‐": "-", "‑": "-", "…": "...", "\u00a0": " "}  # fmt: skip
# One regex pass, not str.translate: a table with a multi-character value ("…") takes
# translate's slow path, about 50 ns a character.
_TYPOGRAPHIC = re.compile("[" + "".join(map(re.escape, _TYPOGRAPHY)) + "]")
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
# A figure starts and ends where no other letter or digit touches it, except a CJK character:
# "收到140起" holds the figure 140. \d is Unicode: Arabic-Indic and full-width digits count.
_START = rf"(?<![^\W{CJK}])(?<![.-])"
_END = rf"(?![^\W{CJK}])"
_PER_CENT = r"%|٪|％|percent\b|per cent\b|pour cent\b|por ciento\b|por cento\b|Prozent\b|процент"
_FACT = re.compile(
    rf"(?P<date>(?:\b\d{{1,2}}\s+(?:{_MONTHS})|(?:{_MONTHS})\s+\d{{1,2}}\b)(?:,?\s+\d{{4}})?"
    rf"|(?:{_MONTHS})\s+\d{{4}}|\b\d{{4}}-\d{{2}}-\d{{2}}\b"
    rf"|{_START}\d{{4}}\s?年\s?\d{{1,2}}\s?月(?:\s?\d{{1,2}}\s?日)?|{_START}\d{{1,2}}\s?月\s?\d{{1,2}}\s?日)"
    r"|(?P<score>(?<![\w./-])\d+(?:\.\d+)?\s?/\s?\d+(?![\d/.]))"  # "23 / 100", "0 / 4"
    rf"|(?P<percent>{_START}\d+(?:[.,٫]\d+)?\s?(?:{_PER_CENT}))"
    rf"|(?P<number>{_START}\d{{1,3}}(?:[,٬\u00a0\u202f ]\d{{3}})+(?:[.٫]\d+)?{_END}"
    rf"|{_START}\d+(?:[.٫]\d+)?{_END})"
    r"(?:\s(?P<unit>[^\W\d_]{3,}))?"
    r"|(?P<name>“[^”]{2,120}”|«[^»]{2,120}»|„[^“”]{2,120}[“”]|「[^」]{1,120}」|\"[^\"]{2,120}\")"
)

# Every fact starts with a digit, a month's name or an opening quote: where none is, the
# figure regex (slow at each position, for its look-behinds) need not run.
_FACT_START = re.compile(rf"[\d“«„「\"]|{_MONTHS}")

# The same figure in another script's marks: ١٬٢٠٠٫٥ is 1,200.5; ％ and ٪ are %.
_MARKS = str.maketrans({"٬": ",", "٫": ".", "％": "%", "٪": "%", "\u00a0": " ", "\u202f": " "})

Op = Literal["equal", "insert", "delete"]
_OPS: dict[int, Op] = {0: "equal", 1: "insert", -1: "delete"}


class Edit(BaseModel):
    model_config = ConfigDict(frozen=True)

    op: Op
    text: str


class SentenceChange(BaseModel):
    """A sentence added, removed, or changed (with its word-level edits)."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["added", "removed", "changed"]
    old: str | None = None
    new: str | None = None
    edits: list[Edit] = []


class Fact(BaseModel):
    model_config = ConfigDict(frozen=True)

    type: Literal["number", "percent", "date", "name", "score"]
    value: str  # what identifies it: "140", "June 6", "“insult”"
    text: str  # as a reader sees it: "140 complaints"
    sentence: str


class FactChange(BaseModel):
    """A number, percentage, date or quoted name that appeared, disappeared or was corrected."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["added", "removed", "changed"]
    type: Literal["number", "percent", "date", "name", "score"]
    old: str | None = None
    new: str | None = None
    sentence: str


def canonical(text: str) -> str:
    """Text with typography folded away, to tell a real edit from a quote or space change."""
    folded = _TYPOGRAPHIC.sub(lambda m: _TYPOGRAPHY[m.group()], text)
    return " ".join(folded.split())


def _encode(old: list[str], new: list[str]) -> tuple[str, str]:
    """Each distinct token as one character, numbered in order of first appearance in `old`
    then `new` (dict.fromkeys, zip and join do the work in C)."""
    distinct = dict.fromkeys(chain(old, new))
    end = 0x100 + len(distinct)
    codes: Iterable[int] = range(0x100, end)
    if end > 0xD800:  # skip the surrogate range
        codes = chain(range(0x100, 0xD800), range(0xE000, end + 0x800))
    table = dict(zip(distinct, map(chr, codes), strict=False))
    return "".join(map(table.__getitem__, old)), "".join(map(table.__getitem__, new))


def _dmp() -> diff_match_patch:
    dmp = diff_match_patch()
    dmp.Diff_Timeout = 2.0
    return dmp


def _token_diff(old: list[str], new: list[str], cleanup: bool) -> list[tuple[Op, list[str]]]:
    a, b = _encode(old, new)
    dmp = _dmp()
    diffs = dmp.diff_main(a, b, False)
    if cleanup:
        dmp.diff_cleanupSemantic(diffs)
    # One character per token, so each run is a slice of its side's tokens: equal and deleted
    # runs advance through `old`, equal and inserted runs through `new`.
    out: list[tuple[Op, list[str]]] = []
    i = j = 0
    for op, chars in diffs:
        n = len(chars)
        if n:
            out.append((_OPS[op], new[j : j + n] if op == 1 else old[i : i + n]))
        i += n if op != 1 else 0
        j += n if op != -1 else 0
    return out


def word_diff(old: str, new: str) -> list[Edit]:
    """Edits whose non-inserted parts spell `old` and whose non-deleted parts spell `new`."""
    if old == new:
        return [Edit(op="equal", text=old)] if old else []
    diffs = _token_diff(tokens(old), tokens(new), cleanup=True)
    return [Edit(op=op, text="".join(tokens)) for op, tokens in diffs]


def similarity(a: str, b: str) -> float:
    matcher = SequenceMatcher(None, units(a), units(b), autojunk=False)
    quick = matcher.quick_ratio()  # an upper bound of ratio(), and cheap
    return quick if quick < 0.3 else matcher.ratio()


def _units(text: str, shared: set[str], lang: str | None) -> list[str]:
    """A paragraph both sides share stays whole (nothing to quote there, nothing to segment)."""
    out: list[str] = []
    for paragraph in text.split("\n\n"):
        out.extend([paragraph] if paragraph in shared else split_sentences(paragraph, lang))
    return out


def _sentence_runs(old: str, new: str, lang: str | None) -> list[tuple[Op, list[str]]]:
    shared = set(old.split("\n\n")) & set(new.split("\n\n"))
    runs = _token_diff(_units(old, shared, lang), _units(new, shared, lang), cleanup=False)
    # A shared paragraph that moved is still told sentence by sentence.
    return [
        (op, units if op == "equal" else [s for u in units for s in _units(u, set(), lang)])
        for op, units in runs
    ]


def sentence_changes(old: str, new: str, lang: str | None = None) -> list[SentenceChange]:
    """Sentences removed and added; a removed one close to an added one is a correction."""
    changes: list[SentenceChange] = []
    removed: list[str] = []
    for op, sentences in _sentence_runs(old, new, lang):
        if op == "delete":
            removed.extend(sentences)
            continue
        if op == "insert":
            for sentence in sentences:
                scores = [similarity(r, sentence) for r in removed]
                i = max(range(len(scores)), key=scores.__getitem__, default=-1)
                if i >= 0 and scores[i] >= 0.5:
                    match = removed[i]
                    changes.extend(SentenceChange(kind="removed", old=r) for r in removed[:i])
                    removed = removed[i + 1 :]
                    edits = word_diff(match, sentence)
                    changes.append(
                        SentenceChange(kind="changed", old=match, new=sentence, edits=edits)
                    )
                else:
                    changes.append(SentenceChange(kind="added", new=sentence))
            continue
        changes.extend(SentenceChange(kind="removed", old=r) for r in removed)
        removed = []
    changes.extend(SentenceChange(kind="removed", old=r) for r in removed)
    return changes


def facts_in(sentence: str) -> list[Fact]:
    facts: list[Fact] = []
    start = _FACT_START.search(sentence)
    if start is None:
        return facts
    for m in _FACT.finditer(sentence, start.start()):
        if m.group("date"):
            kind, text = "date", m.group("date")
        elif m.group("score"):
            kind, text = "score", m.group("score")
        elif m.group("percent"):
            kind, text = "percent", m.group("percent")
        elif m.group("number"):
            kind, text = "number", m.group("number")
            text += f" {m.group('unit')}" if m.group("unit") else ""
        else:
            kind, text = "name", m.group("name")
        if kind == "score":
            value = " / ".join(to_ascii_digits(part.strip()) for part in text.split("/"))
        elif kind == "name":
            value = text
        else:
            value = to_ascii_digits(m.group(kind)).translate(_MARKS)
        facts.append(Fact(type=kind, value=value, text=text, sentence=sentence))
    return facts


def fact_changes(changes: list[SentenceChange]) -> list[FactChange]:
    """Facts that differ between the old and new sentences, corrections paired old → new."""
    out: list[FactChange] = []
    for change in changes:
        old = facts_in(change.old) if change.old else []
        new = facts_in(change.new) if change.new else []
        old_count = Counter((f.type, f.value) for f in old)
        new_count = Counter((f.type, f.value) for f in new)
        gone = [f for f in old if (old_count - new_count)[(f.type, f.value)] > 0]
        came = [f for f in new if (new_count - old_count)[(f.type, f.value)] > 0]
        for fact in gone:
            partner = next((f for f in came if f.type == fact.type), None)
            if partner is not None and change.kind == "changed":
                came.remove(partner)
                if canonical(fact.text) == canonical(partner.text):
                    continue  # “quote” → "quote" is typography, not a corrected fact
                out.append(
                    FactChange(
                        kind="changed",
                        type=fact.type,
                        old=fact.text,
                        new=partner.text,
                        sentence=partner.sentence,
                    )
                )
            else:
                out.append(
                    FactChange(
                        kind="removed", type=fact.type, old=fact.text, sentence=fact.sentence
                    )
                )
        out.extend(
            FactChange(kind="added", type=f.type, new=f.text, sentence=f.sentence) for f in came
        )
    return out
