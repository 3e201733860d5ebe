"""Changes → text a person reads: terminal (rich), Markdown (Jinja2 templates), JSON.

Page text is untrusted: every renderer escapes it for its medium.
"""

from __future__ import annotations

import re
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined
from rich.text import Text

from rightswatch.diff import DocumentDiff, SectionChange
from rightswatch.textdiff import Edit

__all__ = ["change_dict", "change_label", "diff_markdown", "diff_rich", "md_escape", "md_edits"]

# Inline text only (never at a line start), so list and heading markers need no escape.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~&])")


def md_escape(text: str) -> str:
    """Escape Markdown syntax and HTML so page text renders as text, never as markup or links."""
    return _MD_SPECIAL.sub(r"\\\1", text.replace("\r", " ").replace("\n", " "))


def md_edits(edits: list[Edit]) -> str:
    out = []
    for edit in edits:
        text = md_escape(edit.text)
        if edit.op == "equal" or not edit.text.strip():
            out.append(text)
        elif edit.op == "insert":
            out.append(f"**{text.strip()}**" if text.strip() else text)
        else:
            out.append(f"~~{text.strip()}~~" if text.strip() else text)
    return "".join(out)


def change_label(change: SectionChange) -> str:
    if change.minor:
        return "minor edit (typography or spacing only)"
    label: str = change.kind
    if change.kind == "renamed":
        label = f"renamed from “{change.old_heading}”"
    if change.moved and change.kind != "moved":
        label += ", moved"
    return label


@cache
def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("rightswatch.render", "templates"),
        autoescape=False,  # Markdown: escaping is explicit through md_escape
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = md_escape
    env.filters["md_edits"] = md_edits
    env.filters["label"] = change_label
    return env


def diff_markdown(
    diff: DocumentDiff,
    *,
    title: str,
    url: str | None = None,
    old: str = "",
    new: str = "",
    include_minor: bool = False,
) -> str:
    changes = [c for c in diff.changes if include_minor or not c.minor]
    return (
        _env()
        .get_template("diff.md.j2")
        .render(
            diff=diff,
            changes=changes,
            title=title,
            url=url,
            old=old,
            new=new,
            minor=[c for c in diff.changes if c.minor],
        )
    )


def change_dict(change: SectionChange, *, with_edits: bool = False) -> dict[str, object]:
    """The JSON shape of a change: `section` and `kind` first, as `check --json` promises."""
    data = change.model_dump(mode="json", exclude=None if with_edits else {"edits"})
    return {"section": change.heading, "kind": change.kind, **data}


def _rich_edits(edits: list[Edit]) -> Text:
    text = Text()
    for edit in edits:
        if edit.op == "equal":
            text.append(edit.text)
        elif edit.op == "insert":
            text.append(edit.text, style="bold green underline")
        else:
            text.append(edit.text, style="red strike")
    return text


def diff_rich(diff: DocumentDiff, *, include_minor: bool = False) -> list[Text]:
    """Lines for a terminal: coloured insertions and deletions; plain when not a TTY."""
    lines: list[Text] = []
    if diff.old_title != diff.new_title:
        lines.append(
            Text.assemble(
                ("Title: ", "bold"),
                (diff.old_title, "red strike"),
                " → ",
                (diff.new_title, "bold green"),
            )
        )
    for change in diff.changes:
        if change.minor and not include_minor:
            continue
        lines.append(
            Text.assemble(
                ("■ ", "cyan"), (change.heading, "bold cyan"), (f" — {change_label(change)}", "dim")
            )
        )
        if change.words_added or change.words_removed:
            lines.append(
                Text(f"  +{change.words_added} / −{change.words_removed} words", style="dim")
            )
        for fact in change.facts:
            lines.append(
                Text.assemble(
                    "  fact ",
                    (fact.old or "", "red strike"),
                    " → " if fact.old and fact.new else "",
                    (fact.new or "", "bold green"),
                    f" ({fact.type})",
                )
            )
        for sentence in change.sentences:
            if sentence.kind == "changed":
                lines.append(Text("  ~ ") + _rich_edits(sentence.edits))
            elif sentence.kind == "added":
                lines.append(Text("  + ") + Text(sentence.new or "", style="green"))
            else:
                lines.append(Text("  − ") + Text(sentence.old or "", style="red strike"))
    if not lines:
        lines.append(Text("no changes", style="dim"))
    return lines
