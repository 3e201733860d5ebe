"""Sentences and words in every language the publishers translate into.

Sentences come from pysbd (rule-based, maintained, per-language abbreviation and punctuation
rules: `。`, `؟`, `« … »`, "z. B.", "г."); words from one tokenizer that keeps Latin, Cyrillic
and Arabic words whole and splits CJK text into characters, because Chinese and Japanese put
no spaces between words and a character is the smallest unit a reader can point at.

The language is the watch's `lang`, else the page's `<html lang>`, else guessed from the
script of the text. A language pysbd lacks falls back to its nearest relative (Portuguese to
Spanish) or to English rules; a segmentation that does not spell its paragraph again falls back
to a plain punctuation split, so no text is ever lost between sentences.
"""

from __future__ import annotations

import itertools
import re
import threading
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pysbd

__all__ = [
    "CJK",
    "count_words",
    "has_cjk",
    "segmenter_language",
    "split_sentences",
    "to_ascii_digits",
    "tokens",
    "units",
]

# Hiragana, Katakana, CJK Unified Ideographs (+ extension A), compatibility ideographs.
CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)
_CJK_TOKEN = re.compile(rf"[{CJK}]|[^\W{CJK}]+|\s+|[^\w\s]", re.UNICODE)
_WORD = re.compile(rf"[{CJK}]|[^\W{CJK}]+", re.UNICODE)
_HAS_CJK = re.compile(rf"[{CJK}]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
# The fallback splitter: a terminator (Latin, CJK, Arabic), closing quotes, then space or not.
_SENTENCE_END = re.compile(r"(?<=[。！？])[」』）”]*\s*(?=\S)|(?<=[.!?…؟])[\"”’»)\]]*\s+(?=\S)")
# Where a sentence may end: Latin/Arabic stops before a space, CJK stops anywhere; with closers.
_CANDIDATE = re.compile(r"[.!?…؟]+[\"”’»)\]]*(?=\s)|[。！？]+[」』）”]*")
# Languages pysbd has no rules for, mapped to the closest one it has.
_NEAREST = {"pt": "es", "gl": "es", "ca": "es", "uk": "ru", "be": "ru", "sr": "bg", "mk": "bg"}
# Titles pysbd's rules split after ("قال د. أحمد", "El Sr. Pérez"): a segment ending in one
# is glued to the next.
_TITLES = {
    "ar": frozenset({"د.", "أ.", "م.", "أ.د."}),
    "es": frozenset({"Sr.", "Sra.", "Srta.", "Sres.", "Dr.", "Dra.", "Lic.", "Dña.", "Exmo."}),
}
_DIGITS = str.maketrans(
    {chr(base + i): str(i) for base in (0x660, 0x6F0, 0xFF10, 0x966) for i in range(10)}
)


def tokens(text: str) -> list[str]:
    """Words, runs of space and single punctuation marks; they concatenate back to `text`."""
    return (_CJK_TOKEN if has_cjk(text) else _TOKEN).findall(text)


def units(text: str) -> list[str]:
    """What similarity counts: space-separated words, or characters in CJK text."""
    return _WORD.findall(text) if has_cjk(text) else text.split()


def count_words(text: str) -> int:
    """Words a reader would count: a CJK character counts as one."""
    return len(_WORD.findall(text)) if has_cjk(text) else len(text.split())


def has_cjk(text: str) -> bool:
    return _HAS_CJK.search(text) is not None


def to_ascii_digits(text: str) -> str:
    """'١٤٠', '۱۴۰' and '１４０' → '140': the same figure written in another digit set."""
    return text.translate(_DIGITS)


def _guess(text: str) -> str:
    if _KANA.search(text):
        return "ja"
    if has_cjk(text):
        return "zh"
    if _ARABIC.search(text):
        return "ar"
    if _CYRILLIC.search(text):
        return "ru"
    return "en"


def segmenter_language(lang: str | None, text: str = "") -> str:
    """The pysbd language for a BCP 47 tag ('zh-Hant-TW' → 'zh'), else a guess from the text."""
    primary = (lang or "").strip().lower().replace("_", "-").split("-")[0]
    primary = _NEAREST.get(primary, primary)
    if primary in _languages():
        return primary
    return _guess(text)


@lru_cache(maxsize=1)
def _languages() -> frozenset[str]:
    from pysbd.languages import LANGUAGE_CODES  # imported on first use: 50 ms at start-up

    return frozenset(LANGUAGE_CODES)


_PER_THREAD = threading.local()


def _segmenter(language: str) -> pysbd.Segmenter:
    """One per thread and language: Segmenter.segment keeps the text on `self`."""
    import pysbd

    cache: dict[str, pysbd.Segmenter] = _PER_THREAD.__dict__.setdefault("segmenters", {})
    if language not in cache:
        cache[language] = pysbd.Segmenter(language=language, clean=False)
    return cache[language]


def _fallback(paragraph: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(paragraph) if s.strip()]


def _glue_titles(sentences: list[str], titles: frozenset[str]) -> list[str]:
    out: list[str] = []
    for sentence in sentences:
        if out and out[-1].split()[-1] in titles:
            out[-1] = f"{out[-1]} {sentence}"
        else:
            out.append(sentence)
    return out


def _plain_split(paragraph: str) -> list[str] | None:
    """Sentences where no boundary is in doubt, else None (pysbd decides).

    pysbd costs about 2 µs a character; most boundaries in report prose are a long word, a
    stop and a capital. A boundary is in doubt after a short or dotted word ("Mr.", "U.S.",
    "z.", "3."), before a lower-case letter or digit, or where a quote closes after a CJK stop.
    """
    cuts = [0]
    for m in _CANDIDATE.finditer(paragraph):
        stop, end = m.group(), m.end()
        rest = paragraph[end:].lstrip()
        if stop[0] in "。！？":
            if stop[-1] not in "。！？" and rest:
                return None
        elif rest:
            before = paragraph[: m.start()]
            word = before.split()[-1] if before.strip() and not before[-1].isspace() else ""
            if len(word) <= 3 or "." in word or rest[0].islower() or rest[0].isdigit():
                return None
        if rest:
            cuts.append(end)
    cuts.append(len(paragraph))
    return [s for a, b in itertools.pairwise(cuts) if (s := paragraph[a:b].strip())]


@lru_cache(maxsize=4096)
def _split_paragraph(paragraph: str, language: str) -> tuple[str, ...]:
    plain = _plain_split(paragraph)
    if plain is not None:
        return tuple(plain)
    try:
        found = [s.strip() for s in _segmenter(language).segment(paragraph)]
    except Exception:  # pysbd's rules are regexes over odd input; never lose the text
        found = []
    sentences = _glue_titles([s for s in found if s], _TITLES.get(language, frozenset()))
    if "".join("".join(sentences).split()) != "".join(paragraph.split()):
        sentences = _fallback(paragraph)
    return tuple(sentences)


def split_sentences(text: str, lang: str | None = None) -> list[str]:
    """Sentences of each paragraph (paragraphs are separated by a blank line)."""
    out: list[str] = []
    for paragraph in text.split("\n\n"):
        paragraph = paragraph.strip()
        if paragraph:
            out.extend(_split_paragraph(paragraph, segmenter_language(lang, paragraph)))
    return out
