"""The `slack` channel: an incoming webhook with Block Kit, within Slack's limits.

Limits respected: 3,000 characters per section text, 150 per header, 50 blocks per message.
A long digest is split across messages in order; a section too long for one block ends at a
word boundary with "…and N more". Page text is escaped (&, <, >) so it can never ping
<!channel> or forge a link.
"""

from __future__ import annotations

from typing import Any

from rightswatch.config import SlackChannel as SlackConfig
from rightswatch.diff import SectionChange
from rightswatch.digest import Digest, section_link
from rightswatch.notify.base import DeliveryError
from rightswatch.notify.http import post_json
from rightswatch.render import change_label, one_line
from rightswatch.secrets import reveal
from rightswatch.textdiff import Edit

MAX_TEXT = 3000
MAX_HEADER = 150
MAX_BLOCKS = 50
Block = dict[str, Any]


def mrkdwn_escape(text: str) -> str:
    """Slack's three control characters; the rest of mrkdwn is harmless in quoted page text."""
    return one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _edits(edits: list[Edit]) -> str:
    out = []
    previous = "equal"
    for edit in edits:
        text = mrkdwn_escape(edit.text)
        if edit.op == "equal" or not text.strip():
            out.append(text)
        else:
            mark = "*" if edit.op == "insert" else "~"
            # Slack needs a space between ~old~ and *new* for both to render.
            lead = " " if text[:1] == " " or previous != "equal" else ""
            trail = " " if text[-1:] == " " else ""
            out.append(f"{lead}{mark}{text.strip()}{mark}{trail}")
        previous = edit.op if text.strip() else "equal"
    return "".join(out)


def plain_escape(text: str) -> str:
    """Header text is plain_text, where entities show literally: drop angle brackets instead."""
    return one_line(text).replace("<", "‹").replace(">", "›")


def change_lines(change: SectionChange) -> list[str]:
    lines = []
    for fact in change.facts:
        old = f"~{mrkdwn_escape(fact.old)}~" if fact.old else ""
        new = f"*{mrkdwn_escape(fact.new)}*" if fact.new else ""
        lines.append(f"• Fact {fact.kind}: {old}{' → ' if old and new else ''}{new}")
    for s in change.sentences:
        if s.kind == "changed":
            lines.append(f"• Corrected: “{_edits(s.edits)}”")
        elif s.kind == "added":
            lines.append(f"• Added: “{mrkdwn_escape(s.new or '')}”")
        else:
            lines.append(f"• Removed: ~“{mrkdwn_escape(s.old or '')}”~")
    return lines


def fit(head: str, lines: list[str], limit: int = MAX_TEXT) -> str:
    """Head plus as many whole lines as fit; what is left is cut at a word and counted."""
    text = head
    for n, line in enumerate(lines):
        after = len(lines) - n - 1
        reserve = len(f"\n…and {after} more") if after else 0
        if len(text) + 1 + len(line) + reserve <= limit:
            text += "\n" + line
            continue
        note = f"\n…and {after} more" if after else ""
        room = limit - len(text) - 1 - len(note) - 2
        if room >= 80:  # keep the start of a long sentence, cut at a word boundary
            text += "\n" + line[:room].rsplit(" ", 1)[0] + " …"
            return text + note
        return text + f"\n…and {after + 1} more"
    return text


def section_block(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def digest_blocks(digest: Digest) -> list[Block]:
    blocks: list[Block] = []
    for watch in digest.watches:
        title = mrkdwn_escape(watch.title)
        blocks.append(section_block(f"*<{watch.url}|{title}>*"))
        times = sorted({e.detected_at for e in watch.events})
        context = (
            f"detected {times[-1]:%Y-%m-%d %H:%M} UTC · "
            f"`{mrkdwn_escape(watch.watch_id)}` · <{watch.url}|open the page>"
        )
        reports = [link for e in watch.events if (link := digest.report_link(e))]
        if reports:
            context += f" · <{reports[-1]}|full report>"
        copies = [e.archive_url for e in watch.events if e.archive_url]
        if copies:  # preservation: the archived copy, once a save succeeded
            context += f" · <{copies[-1]}|archived copy>"
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
        for change in watch.changes:
            head = (
                f"*<{section_link(watch.url, change)}|{mrkdwn_escape(change.heading)}>* — "
                f"{mrkdwn_escape(change_label(change))}"
            )
            blocks.append(section_block(fit(head, change_lines(change))))
        blocks.append({"type": "divider"})
    for mention in digest.mentions:
        head = f"*<{mention.link}|{mrkdwn_escape(mention.headline())}>*"
        blocks.append(section_block(fit(head, [f"“{mrkdwn_escape(mention.sentence)}”"])))
    for notice in digest.notices:
        blocks.append(
            section_block(
                fit(
                    f"*{mrkdwn_escape(notice.title)}*",
                    [mrkdwn_escape(notice.message or notice.kind)],
                )
            )
        )
    return blocks


def messages(digest: Digest) -> list[dict[str, Any]]:
    """Slack payloads in order, each within the block limit, each with a text fallback."""
    body = digest_blocks(digest)
    per_message = MAX_BLOCKS - 1  # one header each
    chunks = [body[i : i + per_message] for i in range(0, len(body), per_message)] or [[]]
    subject = digest.subject()
    out = []
    for n, chunk in enumerate(chunks, start=1):
        part = f" ({n}/{len(chunks)})" if len(chunks) > 1 else ""
        header = plain_escape(subject + part)[:MAX_HEADER]
        out.append(
            {
                "text": mrkdwn_escape(subject + part),
                "blocks": [
                    {"type": "header", "text": {"type": "plain_text", "text": header}},
                    *chunk,
                ],
            }
        )
    return out


class SlackChannel:
    def __init__(self, name: str, config: SlackConfig) -> None:
        self.name = name
        self.config = config

    def send(self, digest: Digest, idempotency_key: str) -> None:
        self.send_from(digest, idempotency_key, 0)

    def send_from(self, digest: Digest, idempotency_key: str, skip_parts: int) -> None:  # noqa: ARG002 - the PartedChannel interface
        """Messages go in order; a failure says how many parts Slack already accepted, so a
        retry with the same key resumes instead of repeating them."""
        url = reveal(self.config.webhook_url)
        for n, payload in enumerate(messages(digest)):
            if n < skip_parts:
                continue
            try:
                post_json(f"slack channel {self.name!r}", url, payload)
            except DeliveryError as exc:
                exc.parts_sent = n
                raise
