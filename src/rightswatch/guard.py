"""Is a freshly extracted page fit to become the new baseline, or suspect?

A block page, an error page served with 200, or a truncated body must never replace a good
baseline: that is how other monitors end up alerting "everything was removed".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rightswatch.config import GuardSettings
from rightswatch.document import Document
from rightswatch.extract.shell import shell_reason
from rightswatch.textdiff import similarity

__all__ = ["GuardSettings", "Verdict", "assess", "assess_static"]

_BLOCK_TITLES = re.compile(
    r"just a moment|attention required|access denied|checking your browser|are you a robot|"
    r"security check|captcha|verify you are human|ddos protection|request rejected|"
    r"^\s*(?:log ?in|sign ?in)\b|\b(?:403 forbidden|404 not found|500 internal server error|"
    r"502 bad gateway|503 service unavailable|429 too many requests)\b|^\s*error\b",
    re.IGNORECASE,
)
_BLOCK_TEXT = re.compile(
    r"checking your browser|enable javascript and cookies to continue|verify you are human|"
    r"complete the (security check|captcha)|please (log|sign) in to (continue|view)|"
    r"access to this page has been denied|unusual traffic",
    re.IGNORECASE,
)
SMALL_PAGE_WORDS = 200


@dataclass(frozen=True)
class Verdict:
    """Why a page is suspect; `may_persist` is True for changes a site can really make (a big
    deletion, a new title or language), which are accepted once they persist for some runs."""

    reason: str
    may_persist: bool


def assess(
    doc: Document, baseline: Document | None, settings: GuardSettings | None = None
) -> Verdict | None:
    """Why `doc` is suspect, or None when it may replace `baseline`."""
    settings = settings or GuardSettings()
    paragraphs = sum(len(s.paragraphs) for s in doc.sections)
    if len(doc.sections) > settings.max_sections or paragraphs > settings.max_paragraphs:
        return Verdict(
            f"the page has {len(doc.sections):,} sections and {paragraphs:,} paragraphs, over "
            f"the limits (guard.max_sections {settings.max_sections:,}, guard.max_paragraphs "
            f"{settings.max_paragraphs:,}): a generated or hostile page, not a report",
            False,
        )
    if _BLOCK_TITLES.search(doc.title) and (
        baseline is None or not _BLOCK_TITLES.search(baseline.title)
    ):
        return Verdict(f"the title {doc.title!r} looks like a block, login or error page", False)
    words = doc.words  # counted once: it reads every paragraph
    if not doc.sections or words == 0:
        return Verdict("the page has no text in its content area", False)
    if words < SMALL_PAGE_WORDS:
        text = " ".join(s.text for s in doc.sections)
        match = _BLOCK_TEXT.search(text)
        if match:
            return Verdict(f"the page says {match.group(0)!r}: a block or interstitial page", False)
    return None if baseline is None else _sudden_loss(doc, words, baseline, settings)


def _sudden_loss(
    doc: Document, words: int, baseline: Document, settings: GuardSettings
) -> Verdict | None:
    """A page that lost much of what its baseline had at once; it may persist (accept_after)."""
    had = baseline.words
    if had and words < had * settings.min_words_ratio:
        return Verdict(
            f"the text shrank from {had:,} to {words:,} words at once "
            f"(guard.min_words_ratio {settings.min_words_ratio:g})",
            True,
        )
    if baseline.pages and baseline.pages >= 4 and (doc.pages or 0) < baseline.pages * 0.5:
        return Verdict(
            f"the PDF shrank from {baseline.pages} to {doc.pages or 0} pages at once", True
        )
    if (
        len(baseline.sections) >= 4
        and len(doc.sections) < len(baseline.sections) * settings.min_sections_ratio
    ):
        return Verdict(
            f"the sections dropped from {len(baseline.sections)} to {len(doc.sections)} "
            f"at once (guard.min_sections_ratio {settings.min_sections_ratio:g})",
            True,
        )
    if (
        doc.lang
        and baseline.lang
        and doc.lang.split("-")[0].lower() != baseline.lang.split("-")[0].lower()
    ):
        return Verdict(f"the language changed from {baseline.lang!r} to {doc.lang!r}", True)
    if (
        doc.title
        and baseline.title
        and similarity(doc.title, baseline.title) < settings.min_title_similarity
    ):
        return Verdict(
            f"the title changed wholesale from {baseline.title!r} to {doc.title!r}", True
        )
    return None


def assess_static(html: str, doc: Document) -> Verdict | None:
    """A static fetch of a page whose content a script builds is never a baseline."""
    reason = shell_reason(html, doc)
    return None if reason is None else Verdict(reason, False)
