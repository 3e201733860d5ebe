"""Page bytes → text, as browsers decode them, and a check that bytes are text at all."""

from __future__ import annotations

import codecs
import re

import charset_normalizer

__all__ = ["decode_html", "looks_binary"]

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# WHATWG: labels that browsers decode as windows-1252.
_AS_1252 = {"latin-1", "iso8859-1", "ascii", "iso-8859-1", "us-ascii", "cp1252"}


def _norm_encoding(label: str | None) -> str | None:
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None
    return "cp1252" if name in _AS_1252 else name


def decode_html(body: bytes, header_charset: str | None = None) -> tuple[str, str]:
    """Decode in the browsers' order: BOM, HTTP charset, <meta> charset, UTF-8, windows-1252.

    A declared charset that does not fit the bytes is skipped rather than trusted, so a server
    claiming UTF-8 for a windows-1251 page still comes out right when the page's meta says so.
    """
    for bom, bom_codec in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(bom_codec, errors="replace"), bom_codec
    meta = _META_CHARSET.search(body[:4096])
    candidates: list[str | None] = [
        _norm_encoding(header_charset),
        _norm_encoding(meta.group(1).decode("ascii", "ignore")) if meta else None,
        "utf-8",
    ]
    for name in candidates:
        if name is None or name.startswith("utf-16"):  # a utf-16 meta label means utf-8 here
            continue
        try:
            return body.decode(name), name
        except UnicodeDecodeError:
            continue
    # Nothing declared fits: let charset-normalizer (requests' own detector) guess, then 1252.
    guess = charset_normalizer.from_bytes(body[:262144]).best()
    if guess is not None and guess.encoding:
        name = _norm_encoding(guess.encoding) or "cp1252"
        return body.decode(name, errors="replace"), name
    return body.decode("cp1252", errors="replace"), "cp1252"


_CONTROL = bytes(range(0, 9)) + bytes(range(14, 32))


def looks_binary(body: bytes) -> bool:
    """NUL bytes or many control characters: no HTML page looks like that."""
    sample = body[:65536]
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    controls = len(sample) - len(sample.translate(None, _CONTROL))  # one pass, not 25
    return controls > len(sample) * 0.05
