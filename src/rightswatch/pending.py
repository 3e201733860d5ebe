"""The per-channel pending index: what each channel still has to send, without reading history.

The event file in `<watch-id>/outbox/` stays the record of a change; the index is a set of tiny
entries, `.pending/<channel>/<watch-id>~<event-id>`, one per event a channel has not yet
acknowledged. The check writes an event, then its entries, then moves the baseline; delivery
removes an entry only after the channel's `.sent` marker is written. So an entry can be stale
(its marker exists: it is dropped when met) but an unsent event never lacks its entry, and
delivery reads only what is pending: one listing per channel plus one read per pending event.

A store written before the index existed is indexed once, by the full scan the index replaces;
`.pending/.indexed` records that it was done.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable

from rightswatch.store import Blobs, layout

__all__ = ["PendingIndex"]

Entry = tuple[str, str]  # (watch id, event id)


class PendingIndex:
    def __init__(self, blobs: Blobs) -> None:
        self.blobs = blobs
        self._indexed = False
        self._guard = threading.Lock()

    def add(self, channel: str, watch_id: str, event_id: str) -> None:
        stamp = json.dumps({"watch_id": watch_id, "event_id": event_id}).encode()
        self.blobs.write(layout.pending_entry(channel, watch_id, event_id), stamp)

    def remove(self, channel: str, entries: Iterable[Entry]) -> None:
        for watch_id, event_id in entries:
            self.blobs.delete(layout.pending_entry(channel, watch_id, event_id))

    def channels(self) -> list[str]:
        """Channels that have (or recently had) entries; one listing."""
        return self.blobs.list(layout.pending())

    def entries(self, channel: str) -> list[Entry]:
        """One listing of the channel's folder."""
        names = self.blobs.list(layout.pending_channel(channel))
        return [entry for name in names if (entry := layout.parse_pending_entry(name))]

    def ensure(self, scan: Callable[[], Iterable[tuple[str, str, str]]]) -> None:
        """Index a store written before the index existed, once: `scan` yields every
        (channel, watch id, event id) still unsent. One read per run once it is done."""
        with self._guard:
            if self._indexed:
                return
            if self.blobs.read(layout.pending_indexed()) is None:
                for channel, watch_id, event_id in scan():
                    self.add(channel, watch_id, event_id)
                self.blobs.write(layout.pending_indexed(), b'{"indexed": true}')
            self._indexed = True
