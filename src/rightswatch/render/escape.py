"""Escaping page text for each medium it is shown in. Page text is always untrusted."""

from __future__ import annotations

import re

from rightswatch.textdiff import Edit

# Inline text only (never at a line start), so list and heading markers need no escape.
_BREAKS = re.compile(r"\s+")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~&])")


def one_line(text: str) -> str:
    """CR/LF and other line breaks folded to spaces: nothing in page text can start a new line."""
    return _BREAKS.sub(" ", text)


def md_escape(text: str) -> str:
    """Escape Markdown syntax and HTML so page text renders as text, never as markup or links."""
    return _MD_SPECIAL.sub(r"\\\1", one_line(text))


def md_edits(edits: list[Edit]) -> str:
    out = []
    for edit in edits:
        text = md_escape(edit.text)
        if edit.op == "equal" or not edit.text.strip():
            out.append(text)
        elif edit.op == "insert":
            out.append(_around(edit.text, f"**{text.strip()}**"))
        else:
            out.append(_around(edit.text, f"~~{text.strip()}~~"))
    return "".join(out)


def _around(raw: str, marked: str) -> str:
    """Keep the spaces outside the emphasis markers, where Markdown needs them."""
    lead = " " if raw[:1].isspace() else ""
    trail = " " if raw[-1:].isspace() else ""
    return lead + marked + trail
