"""Text normalisation shared by every extraction profile."""

from __future__ import annotations

import re
import unicodedata

# Invisible characters that editors and CMSs insert and readers never see.
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
_SLUG_DROP = re.compile(r"[^\w]+")


def clean(text: str) -> str:
    """NFC with invisible characters dropped; spaces are left as they are."""
    if text.isascii():  # NFC and the invisible characters concern non-ASCII text only
        return text
    return _INVISIBLE.sub("", unicodedata.normalize("NFC", text))


def normalize(text: str) -> str:
    """NFC, invisible characters dropped, all runs of space one space; typographic quotes kept."""
    text = clean(text)
    # str.split() splits at exactly what re's \s matches (Unicode white space, no-break and
    # ideographic spaces included), at a third of a regex substitution's cost.
    return " ".join(text.split())


def slugify(heading: str) -> str:
    """A stable key from a heading; keeps non-Latin letters so Cyrillic keys stay readable."""
    slug = _SLUG_DROP.sub("-", normalize(heading).casefold()).strip("-_")
    return slug.replace("_", "-")[:80] or "section"


def unique_key(base: str, seen: dict[str, int]) -> str:
    """De-duplicate keys in document order: torture, torture-2, torture-3."""
    count = seen.get(base, 0) + 1
    seen[base] = count
    return base if count == 1 else f"{base}-{count}"
