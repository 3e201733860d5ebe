"""The self-contained HTML report of one change: inline CSS, no external assets, no JavaScript.

Every piece of page text is escaped (Jinja2 autoescape, markupsafe here), so a hostile page can
never run anything in the report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape

from rightswatch.diff import DocumentDiff, SectionChange
from rightswatch.document import Document
from rightswatch.render.templates import environment
from rightswatch.textdiff import Edit

__all__ = ["ReportSide", "edits_html", "render_report"]


@dataclass(frozen=True)
class ReportSide:
    """One end of the comparison: when it was fetched and which content it was."""

    taken_at: datetime
    content_hash: str
    document: Document


def edits_html(edits: list[Edit], side: str = "both") -> Markup:
    """Paragraphs with <ins>/<del>; `side` old keeps deletions only, new keeps insertions only."""
    paragraphs: list[str] = []
    current: list[str] = []
    for edit in edits:
        if (side == "old" and edit.op == "insert") or (side == "new" and edit.op == "delete"):
            continue
        tag = (
            {"insert": "ins", "delete": "del"}.get(edit.op)
            if side == "both" or edit.op != "equal"
            else None
        )
        pieces = edit.text.split("\n\n")
        for n, piece in enumerate(pieces):
            if n:
                paragraphs.append("".join(current))
                current = []
            if piece and tag and piece.strip():
                # Spaces stay outside the mark, so only the changed words are underlined.
                core = piece.strip()
                lead, trail = (
                    piece[: len(piece) - len(piece.lstrip())],
                    piece[len(piece.rstrip()) :],
                )
                current.append(f"{lead}<{tag}>{escape(core)}</{tag}>{trail}")
            elif piece:
                current.append(str(escape(piece)))
    paragraphs.append("".join(current))
    return Markup("".join(f"<p>{p}</p>" for p in paragraphs if p.strip()))


def _anchor(change: SectionChange) -> str:
    return f"change-{change.key}"


def render_report(
    title: str, url: str, old: ReportSide, new: ReportSide, diff: DocumentDiff
) -> str:
    changed = {c.key: c for c in diff.changes if c.kind != "removed"}
    removed = [c for c in diff.changes if c.kind == "removed"]
    rows = []
    for section in new.document.sections:
        rows.append((section, changed.get(section.key)))
    env = environment()
    return env.get_template("report.html.j2").render(
        title=title,
        url=url,
        old=old,
        new=new,
        diff=diff,
        rows=rows,
        removed=removed,
        changes=diff.changes,
        lang=new.document.lang or "en",
        edits_html=edits_html,
        anchor=_anchor,
    )
