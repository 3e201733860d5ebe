"""Pending deliveries, persisted in the snapshot store, so no detected change is ever lost.

A change event is written before the watch's baseline moves forward. Each channel's delivery
of it is marked by a separate marker file written only after the channel acknowledged it, so
concurrent channels never overwrite each other's progress and a crash between sending and
marking re-sends (at least once) rather than drops.

    <watch-id>/outbox/<event-id>.json              the change event, written once
    <watch-id>/outbox/<event-id>.<channel>.sent    the channel acknowledged it
    <watch-id>/outbox/<event-id>.<channel>.error   the last failure, overwritten per attempt
    .pending/<channel>/<watch-id>~<event-id>       not yet acknowledged (pending.py)

Delivery finds its work through the pending index, never by reading every event ever written.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from rightswatch.diff import SectionChange
from rightswatch.pending import PendingIndex
from rightswatch.store import SnapshotStore, layout

__all__ = ["ChangeEvent", "Outbox", "compacted_events", "idempotency_key"]


class ChangeEvent(BaseModel):
    """What one check found for one watch, waiting for each of its channels."""

    model_config = ConfigDict(frozen=True)

    id: str
    # change: section changes. Notices (title + message): failing / recovered (health),
    # publication / withdrawn (an index gained or lost a link), edition (a page rolled over
    # to a new edition), lag (a translation did not follow its pair's change), refused (an
    # index linked to a host it may not lead rightswatch to).
    kind: Literal[
        "change", "failing", "recovered", "publication", "withdrawn", "edition", "lag", "refused"
    ] = "change"
    watch_id: str
    url: str
    title: str
    detected_at: datetime
    from_snapshot: str | None = None
    to_snapshot: str | None = None
    changes: list[SectionChange] = []
    message: str | None = None  # for notices
    report: str | None = None  # the HTML report's path inside the store
    # The archived copy of the new side, once a save succeeded (preserve.py); filled in at
    # delivery time, never written back into the event file.
    archive_url: str | None = None
    channels: list[str]

    @staticmethod
    def make_id(kind: str, old: str | None, new: str | None) -> str:
        """Deterministic, so a check repeated after a crash writes the same event, not a twin."""
        return f"{kind}-{(old or 'none')[:12]}-{(new or 'none')[:12]}"


def idempotency_key(channel: str, events: list[ChangeEvent]) -> str:
    """The same channel and events always give the same key, across retries and runs."""
    payload = json.dumps([channel, sorted(f"{e.watch_id}/{e.id}" for e in events)])
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


class Outbox:
    def __init__(self, store: SnapshotStore) -> None:
        self.store = store
        self.blobs = store.blobs
        self.index = PendingIndex(store.blobs)

    def add(self, event: ChangeEvent) -> ChangeEvent:
        """Record an event once, then its pending entries; a second add of the same id keeps
        the first and only restores entries a crash kept from being written."""
        path = layout.event(event.watch_id, event.id)
        existing = self.blobs.read(path)
        if existing is not None:
            try:
                kept = ChangeEvent.model_validate_json(existing)
            except ValidationError:
                pass  # a damaged event is rewritten from the fresh detection
            else:
                for channel in kept.channels:
                    if not self.is_sent(kept, channel):
                        self.index.add(channel, kept.watch_id, kept.id)
                return kept
        self.blobs.write(path, event.model_dump_json(indent=2).encode("utf-8"))
        for channel in event.channels:  # after the event, before the caller moves the baseline
            self.index.add(channel, event.watch_id, event.id)
        return event

    def add_all(self, events: list[ChangeEvent]) -> list[ChangeEvent]:
        """Record several events; each as `add` does."""
        return [self.add(event) for event in events]

    def event(self, watch_id: str, event_id: str) -> ChangeEvent | None:
        raw = self.blobs.read(layout.event(watch_id, event_id))
        if raw is None:
            return None
        try:
            return ChangeEvent.model_validate_json(raw)
        except ValidationError:
            return None

    def events(self, watch_id: str) -> list[ChangeEvent]:
        """Every event of a watch: those in its outbox and those compacted (retention.py)."""
        events = self.store.load_all(layout.outbox(watch_id), ChangeEvent)
        events += compacted_events(self.store, watch_id)
        unique = {e.id: e for e in events}
        return sorted(unique.values(), key=lambda e: (e.detected_at, e.id))

    def is_sent(self, event: ChangeEvent, channel: str) -> bool:
        return self.blobs.exists(layout.event_sent(event.watch_id, event.id, channel))

    def _scan(self) -> list[tuple[str, str, str]]:
        """The full history scan the index replaces; run once on a store that predates it."""
        return [
            (channel, event.watch_id, event.id)
            for watch_id in self.store.watch_ids()
            for event in self.store.load_all(layout.outbox(watch_id), ChangeEvent)
            for channel in event.channels
            if not self.is_sent(event, channel)
        ]

    def by_channel(self, channel: str | None = None) -> dict[str, list[ChangeEvent]]:
        """Each channel's undelivered events in detection order, read from the pending index:
        one listing per channel and one read (and one marker check) per pending event. An entry
        whose event is already marked sent, or gone, is removed as it is met."""
        self.index.ensure(self._scan)
        loaded: dict[tuple[str, str], ChangeEvent | None] = {}
        out: dict[str, list[ChangeEvent]] = {}
        for name in [channel] if channel else self.index.channels():
            stale, events = [], []
            for entry in self.index.entries(name):
                if entry not in loaded:
                    loaded[entry] = self.event(*entry)
                event = loaded[entry]
                if event is None or name not in event.channels or self.is_sent(event, name):
                    stale.append(entry)
                else:
                    events.append(event)
            self.index.remove(name, [e for e in stale if loaded[e] is not None])
            if events:
                out[name] = sorted(events, key=lambda e: (e.detected_at, e.watch_id, e.id))
        return out

    def pending(self, channel: str | None = None) -> list[ChangeEvent]:
        """Undelivered events in detection order, for one channel or for any."""
        unique = {(e.watch_id, e.id): e for es in self.by_channel(channel).values() for e in es}
        return sorted(unique.values(), key=lambda e: (e.detected_at, e.watch_id, e.id))

    def commit(self, events: list[ChangeEvent], channel: str, key: str) -> None:
        """One atomic write records that the channel acknowledged these events: the commit
        point of a delivery. Per-event markers follow; a crash between the two is repaired."""
        record = {"key": key, "events": [[e.watch_id, e.id] for e in events]}
        self.blobs.write(layout.delivery(channel, key), json.dumps(record).encode())

    def repair(self, channel: str) -> None:
        """Finish deliveries that were committed but not fully marked before a crash."""
        for name in self.blobs.list(layout.deliveries(channel)):
            raw = self.blobs.read(layout.delivery(channel, name.removesuffix(".json")))
            try:
                record = json.loads(raw or b"")
                pairs = [(str(w), str(i)) for w, i in record["events"]]
            except (ValueError, KeyError, TypeError):
                continue
            events = [e for w, i in pairs if (e := self.event(w, i)) is not None]
            self.mark_sent(events, channel, str(record["key"]))
            self.finish(channel, str(record["key"]))

    def channel_lock(self, channel: str, timeout: float) -> AbstractContextManager[None]:
        """Held while a channel delivers, so two runs never send the same digest at once."""
        return self.blobs.lock(layout.channel_lock(channel), timeout)

    def parts_sent(self, channel: str, key: str) -> int:
        """How many parts of a split digest the channel already acknowledged."""
        return int((self.blobs.read(layout.parts(channel, key)) or b"0").decode() or 0)

    def record_parts(self, channel: str, key: str, sent: int) -> None:
        self.blobs.write(layout.parts(channel, key), str(sent).encode())

    def finish(self, channel: str, key: str) -> None:
        """Drop a delivery's commit record once every event's marker is written."""
        self.blobs.delete(layout.delivery(channel, key))

    def mark_sent(
        self,
        events: list[ChangeEvent],
        channel: str,
        key: str,
        outcome: Literal["sent", "filtered"] = "sent",
    ) -> None:
        stamp = {"at": datetime.now(UTC).isoformat(), "key": key, "outcome": outcome}
        for event in events:
            path = layout.event_sent(event.watch_id, event.id, channel)
            self.blobs.write(path, json.dumps(stamp).encode())
        # only once every marker is written: an entry without a marker must never go missing
        self.index.remove(channel, [(e.watch_id, e.id) for e in events])

    def mark_failed(self, events: list[ChangeEvent], channel: str, error: str) -> None:
        stamp = json.dumps({"at": datetime.now(UTC).isoformat(), "error": error}).encode()
        for event in events:
            self.blobs.write(layout.event_error(event.watch_id, event.id, channel), stamp)

    def last_error(self, event: ChangeEvent, channel: str) -> str | None:
        raw = self.blobs.read(layout.event_error(event.watch_id, event.id, channel))
        if raw is None:
            return None
        try:
            return str(json.loads(raw).get("error"))
        except (ValueError, AttributeError):
            return None


def compacted_events(store: SnapshotStore, watch_id: str) -> list[ChangeEvent]:
    """Delivered events that retention moved out of the outbox into one object (one line each)."""
    raw = store.blobs.read(layout.compacted_events(watch_id))
    if raw is None:
        return []
    out = []
    for line in gzip.decompress(raw).splitlines():
        try:
            out.append(ChangeEvent.model_validate_json(line))
        except ValidationError:
            continue
    return out
