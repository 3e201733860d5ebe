"""Pending change events → one Digest per channel, through the channel's filters."""

from __future__ import annotations

from datetime import UTC, datetime
from fnmatch import fnmatchcase

from pydantic import BaseModel, ConfigDict, Field

from rightswatch.config import CHANGE_KINDS, ChannelConfig
from rightswatch.diff import SectionChange
from rightswatch.outbox import ChangeEvent
from rightswatch.subscribe import Mention, matchers, mentions

__all__ = ["Digest", "WatchDigest", "build_digest", "section_link"]


class WatchDigest(BaseModel):
    model_config = ConfigDict(frozen=True)

    watch_id: str
    title: str
    url: str
    events: list[ChangeEvent]

    @property
    def changes(self) -> list[SectionChange]:
        return [c for e in self.events for c in e.changes]


class Digest(BaseModel):
    model_config = ConfigDict(frozen=True)

    channel: str
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    watches: list[WatchDigest] = []
    notices: list[ChangeEvent] = []  # health, publication, edition and lag notices
    mentions: list[Mention] = []  # subscribed keywords that appeared or went, in `watches`
    report_base_url: str | None = None

    def report_link(self, event: ChangeEvent) -> str | None:
        if not event.report or not self.report_base_url:
            return None
        return f"{self.report_base_url.rstrip('/')}/{event.report}"

    @property
    def events(self) -> list[ChangeEvent]:
        return [e for w in self.watches for e in w.events] + self.notices

    @property
    def is_empty(self) -> bool:
        return not self.watches and not self.notices  # a mention always comes with its change

    def subject(self) -> str:
        if not self.watches:
            notice = self.notices[0] if self.notices else None
            if notice is None:
                return "rightswatch"
            if notice.kind in ("failing", "recovered"):
                return f"rightswatch: {notice.title} {notice.kind}"
            return f"rightswatch: {notice.title}"
        first = self.watches[0].title
        n = len(self.watches)
        more = f" and {n - 1} more" if n > 1 else ""
        return f"rightswatch: {n} watch{'es' if n > 1 else ''} changed: {first}{more}"


def section_link(url: str, change: SectionChange) -> str:
    return f"{url}#{change.anchor}" if change.anchor else url


def _wanted(change: SectionChange, channel: ChannelConfig) -> bool:
    if CHANGE_KINDS.index(change.kind) < CHANGE_KINDS.index(channel.min_kind):
        return False
    headings = [change.heading] + ([change.old_heading] if change.old_heading else [])
    return any(fnmatchcase(h.casefold(), g.casefold()) for h in headings for g in channel.sections)


def build_digest(
    name: str, channel: ChannelConfig, events: list[ChangeEvent], report_base_url: str | None = None
) -> Digest:
    """Group by watch, then section; events keep detection order; filters drop what the channel
    did not ask for."""
    grouped: dict[str, list[ChangeEvent]] = {}
    notices: list[ChangeEvent] = []
    found: list[Mention] = []
    subscribed = matchers(channel.keywords, channel.patterns)
    for event in events:
        if not any(fnmatchcase(event.watch_id, g) for g in channel.watches):
            continue
        if event.kind != "change":
            notices.append(event)
            continue
        kept = [c for c in event.changes if _wanted(c, channel)]
        if subscribed:  # a keyword subscription: only changes that moved a keyword
            where = (event.watch_id, event.title, event.url)
            hits = {c.key: mentions(c, where, subscribed) for c in kept}
            kept = [c for c in kept if hits[c.key]]
            found += [m for c in kept for m in hits[c.key]]
        if kept:
            grouped.setdefault(event.watch_id, []).append(
                event.model_copy(update={"changes": kept})
            )
    watches = [
        WatchDigest(watch_id=wid, title=evs[-1].title, url=evs[-1].url, events=evs)
        for wid, evs in grouped.items()
    ]
    return Digest(
        channel=name,
        watches=watches,
        notices=notices,
        mentions=found,
        report_base_url=report_base_url,
    )
