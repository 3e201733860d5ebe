"""Changes and digests → what a person reads: terminal, Markdown, plain text, JSON.

Page text is untrusted: every renderer escapes it for its medium.
"""

from __future__ import annotations

from rightswatch.diff import SectionChange
from rightswatch.render.escape import md_edits, md_escape, one_line
from rightswatch.render.labels import change_label
from rightswatch.render.templates import diff_markdown, digest_html, digest_markdown, digest_text
from rightswatch.render.terminal import diff_rich, digest_rich

__all__ = [
    "change_dict",
    "change_label",
    "diff_markdown",
    "diff_rich",
    "digest_html",
    "digest_markdown",
    "digest_rich",
    "digest_text",
    "md_edits",
    "md_escape",
    "one_line",
]


def change_dict(change: SectionChange, *, with_edits: bool = False) -> dict[str, object]:
    """The JSON shape of a change: `section` and `kind` first, as `check --json` promises."""
    data = change.model_dump(mode="json", exclude=None if with_edits else {"edits"})
    return {"section": change.heading, "kind": change.kind, **data}
