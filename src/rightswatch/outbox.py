"""Pending deliveries, persisted in the snapshot store, so no detected change is ever lost.

A change event is written before the watch's baseline moves forward. Each channel's delivery
of it is marked by a separate marker file written only after the channel acknowledged it, so
concurrent channels never overwrite each other's progress and a crash between sending and
marking re-sends (at least once) rather than drops.

    <watch-id>/outbox/<event-id>.json              the change event, written once
    <watch-id>/outbox/<event-id>.<channel>.sent    the channel acknowledged it
    <watch-id>/outbox/<event-id>.<channel>.error   the last failure, overwritten per attempt
"""

from __future__ import annotations

import hashlib
import json
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from rightswatch.diff import SectionChange
from rightswatch.store import SnapshotStore, layout

__all__ = ["ChangeEvent", "Outbox", "idempotency_key"]


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

    def add(self, event: ChangeEvent) -> ChangeEvent:
        """Record an event once; a second add of the same id keeps the first."""
        path = layout.event(event.watch_id, event.id)
        existing = self.blobs.read(path)
        if existing is not None:
            try:
                return ChangeEvent.model_validate_json(existing)
            except ValidationError:
                pass  # a damaged event is rewritten from the fresh detection
        self.blobs.write(path, event.model_dump_json(indent=2).encode("utf-8"))
        return event

    def add_all(self, events: list[ChangeEvent]) -> list[ChangeEvent]:
        """Record several events; each as `add` does."""
        return [self.add(event) for event in events]

    def events(self, watch_id: str) -> list[ChangeEvent]:
        events = self.store.load_all(layout.outbox(watch_id), ChangeEvent)
        return sorted(events, key=lambda e: (e.detected_at, e.id))

    def is_sent(self, event: ChangeEvent, channel: str) -> bool:
        return self.blobs.exists(layout.event_sent(event.watch_id, event.id, channel))

    def pending(self, channel: str | None = None) -> list[ChangeEvent]:
        """Undelivered events in detection order, for one channel or for any."""
        out = []
        for watch_id in self.store.watch_ids():
            for event in self.events(watch_id):
                wanted = [channel] if channel else event.channels
                if any(c in event.channels and not self.is_sent(event, c) for c in wanted):
                    out.append(event)
        return sorted(out, key=lambda e: (e.detected_at, e.watch_id, e.id))

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
            loaded = {w: {e.id: e for e in self.events(w)} for w in {w for w, _ in pairs}}
            events = [loaded[w][i] for w, i in pairs if i in loaded[w]]
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
