"""Diffs and digests for a terminal: coloured insertions and deletions with rich."""

from __future__ import annotations

from rich.text import Text

from rightswatch.diff import DocumentDiff, SectionChange
from rightswatch.digest import Digest, section_link
from rightswatch.render.labels import change_label
from rightswatch.textdiff import Edit


def _edits(edits: list[Edit], plain: bool) -> Text:
    """Styled in a colour terminal; wdiff-style [-old-]{+new+} where styles would be lost."""
    text = Text()
    for edit in edits:
        if edit.op == "equal":
            text.append(edit.text)
        elif edit.op == "insert":
            text.append(f"{{+{edit.text}+}}" if plain else edit.text, style="bold green underline")
        else:
            text.append(f"[-{edit.text}-]" if plain else edit.text, style="red strike")
    return text


def change_lines(
    change: SectionChange, link: str | None = None, *, plain: bool = False
) -> list[Text]:
    lines = [
        Text.assemble(
            ("■ ", "cyan"), (change.heading, "bold cyan"), (f" — {change_label(change)}", "dim")
        )
    ]
    if link:
        lines.append(Text(f"  {link}", style="dim"))
    if change.words_added or change.words_removed:
        lines.append(Text(f"  +{change.words_added} / −{change.words_removed} words", style="dim"))
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
            lines.append(Text("  ~ ") + _edits(sentence.edits, plain))
        elif sentence.kind == "added":
            lines.append(Text("  + ") + Text(sentence.new or "", style="green"))
        else:
            lines.append(Text("  − ") + Text(sentence.old or "", style="red strike"))
    return lines


def diff_rich(
    diff: DocumentDiff, *, include_minor: bool = False, plain: bool = False
) -> list[Text]:
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
        if include_minor or not change.minor:
            lines.extend(change_lines(change, plain=plain))
    if not lines:
        lines.append(Text("no changes", style="dim"))
    return lines


def digest_rich(digest: Digest, *, plain: bool = False) -> list[Text]:
    lines: list[Text] = []
    for watch in digest.watches:
        lines.append(
            Text.assemble(
                ("▶ ", "bold magenta"), (watch.title, "bold"), (f"  ({watch.watch_id})", "dim")
            )
        )
        lines.append(Text(f"  {watch.url}", style="dim"))
        for event in watch.events:
            if link := digest.report_link(event):
                lines.append(Text(f"  full report: {link}", style="dim"))
            for change in event.changes:
                lines.extend(
                    Text("  ") + line
                    for line in change_lines(change, section_link(watch.url, change), plain=plain)
                )
        lines.append(Text(""))
    for mention in digest.mentions:
        lines.append(
            Text.assemble(
                ("* ", "bold cyan"), (f"{mention.headline()}: ", "bold"), mention.sentence
            )
        )
        lines.append(Text(f"  {mention.link}", style="dim"))
    for notice in digest.notices:
        lines.append(
            Text.assemble(
                ("! ", "bold yellow"), (f"{notice.title}: ", "bold"), notice.message or notice.kind
            )
        )
    return lines
