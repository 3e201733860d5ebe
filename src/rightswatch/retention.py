"""Retention: delivered events, their markers and channel records, compacted after
`retention_days`, so years of hourly runs leave a store of evidence rather than of bookkeeping.

Only delivery bookkeeping goes: an event every channel acknowledged, older than the cutoff, is
folded into `<watch-id>/outbox-delivered.jsonl.gz` (one object per watch, read by
`Outbox.events`, so the site's links stay) and its event file and `.sent`/`.error` markers are
deleted. History, documents, raw pages, reports and `export` (recomputed from the history) are
never touched. An event still pending on any channel is never compacted.

Compaction writes the compacted object first and deletes afterwards, so a crash in between
leaves an event in both places (read once, by id), never in neither. It runs at most once a day
(`.retention.json`), after delivery.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import ValidationError

from rightswatch.outbox import ChangeEvent, Outbox, compacted_events
from rightswatch.store import SnapshotStore, layout

__all__ = ["Compacted", "compact", "compact_if_due"]

EVERY = timedelta(days=1)


@dataclass
class Compacted:
    events: int = 0  # events folded into their watch's compacted object
    files: int = 0  # event files, markers and channel records deleted


def compact(store: SnapshotStore, retention_days: int, now: datetime) -> Compacted:
    """Compact every watch's delivered events older than `retention_days`."""
    done = Compacted()
    cutoff = now - timedelta(days=retention_days)
    for watch_id in store.watch_ids():
        _compact_watch(store, watch_id, cutoff, done)
    _drop_idle_parts(store, done)
    store.blobs.write(layout.retention_mark(), json.dumps({"at": now.isoformat()}).encode())
    return done


def compact_if_due(store: SnapshotStore, retention_days: int, now: datetime) -> Compacted | None:
    """`compact`, unless it already ran within the last day (one read when not due)."""
    raw = store.blobs.read(layout.retention_mark())
    try:
        last = datetime.fromisoformat(json.loads(raw)["at"]) if raw else None
    except (ValueError, KeyError, TypeError):
        last = None
    if last is not None and now - last < EVERY:
        return None
    return compact(store, retention_days, now)


def _compact_watch(store: SnapshotStore, watch_id: str, cutoff: datetime, done: Compacted) -> None:
    folder = layout.outbox(watch_id)
    names = set(store.blobs.list(folder))
    old: list[ChangeEvent] = []
    for name in sorted(n for n in names if n.endswith(".json")):
        try:
            event = ChangeEvent.model_validate_json(store.blobs.read(f"{folder}/{name}") or b"")
        except ValidationError:
            continue
        delivered = all(f"{event.id}.{c}.sent" in names for c in event.channels)
        if delivered and event.detected_at < cutoff:
            old.append(event)
    if not old:
        return
    kept = {e.id: e for e in compacted_events(store, watch_id)}
    kept |= {e.id: e for e in old}
    lines = [
        e.model_dump_json() for e in sorted(kept.values(), key=lambda e: (e.detected_at, e.id))
    ]
    data = gzip.compress(("\n".join(lines) + "\n").encode("utf-8"), mtime=0)
    store.blobs.write(layout.compacted_events(watch_id), data)  # first, then the deletes
    for event in old:
        for name in [f"{event.id}.json"] + [
            n for n in names if n.startswith(f"{event.id}.") and n.endswith((".sent", ".error"))
        ]:
            store.blobs.delete(f"{folder}/{name}")
            done.files += 1
    done.events += len(old)


def _drop_idle_parts(store: SnapshotStore, done: Compacted) -> None:
    """A split digest's `.parts` record only matters while its delivery is in flight: drop a
    channel's records when it has nothing pending and no delivery waiting to be finished."""
    outbox = Outbox(store)
    pending = outbox.by_channel()
    for channel in store.blobs.list(layout.channels()):
        if (
            channel.endswith(layout.LOCK)
            or channel in pending
            or store.blobs.list(layout.deliveries(channel))
        ):
            continue
        for name in store.blobs.list(layout.channel_records(channel)):
            if name.endswith(".parts"):
                store.blobs.delete(f"{layout.channel_records(channel)}/{name}")
                done.files += 1
