"""What a check compares a page with, and what it asks the server for it: the last good
snapshot and the conditional-GET validators. Apart from evaluate.py because it is light: a
one-shot run's early fetches (prefetch.py) need it before the parsers and the diff load.
"""

from __future__ import annotations

from dataclasses import dataclass

from rightswatch.document import Document
from rightswatch.fetch import FetchError, NotModified, Page, Validators
from rightswatch.store import SnapshotStore, WatchState

__all__ = ["Base", "Fetched", "baseline_of", "request_validators"]

Fetched = Page | NotModified | FetchError


@dataclass(frozen=True)
class Base:
    """The last good snapshot: its id and hash, and its document once it was loaded."""

    id: str | None
    hash: str | None
    doc: Document | None = None


def baseline_of(store: SnapshotStore, state: WatchState, watch_id: str) -> Base:
    """The last good snapshot's id and hash; the newest history entry if the state was lost."""
    if state.last_good_hash is not None:
        return Base(state.last_good, state.last_good_hash)
    latest = store.latest(watch_id)
    return Base(latest.id, latest.content_hash) if latest else Base(None, None)


def request_validators(state: WatchState, base: Base) -> Validators | None:
    """The conditional-GET validators a check sends: only once there is a baseline to keep."""
    return Validators(state.etag, state.last_modified) if base.hash else None
