"""The last checks of unchanged watches, one object per run instead of one state write per watch.

An unchanged check moves nothing but a watch's last-check time, status and validators. Those go
into `.checks/<time>-<token>.json`, written once when the run (or shard) ends; a watch's own
state.json is rewritten only when something else about it changed. Reading a state overlays the
newest such entry that is newer than the state file itself.

Nothing in here ever moves a baseline, so losing it (a crash before the run's write) costs only
stale validators: the next check fetches the page in full and finds the same bytes.
Each run folds the objects it read into the one it writes and deletes them, so the folder holds
about one object per concurrent shard, whatever the history.
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, ValidationError

from rightswatch.store import layout
from rightswatch.store.blobs import Blobs
from rightswatch.store.records import WatchState

__all__ = ["TOUCH_FIELDS", "CheckLog", "Touch"]

log = logging.getLogger(__name__)
TOUCH_FIELDS = frozenset({"last_check", "last_status", "etag", "last_modified"})


class Touch(BaseModel):
    last_check: datetime
    last_status: str | None = None
    etag: str | None = None
    last_modified: str | None = None


class _Object(BaseModel):
    watches: dict[str, Touch] = {}


def only_touched(before: WatchState, after: WatchState) -> bool:
    """Whether a check changed nothing about a watch but what a Touch holds."""
    old = before.model_dump(exclude=set(TOUCH_FIELDS))
    return after.last_check is not None and old == after.model_dump(exclude=set(TOUCH_FIELDS))


class CheckLog:
    """Loaded on the first state read of a run; written by `flush` at the run's end."""

    def __init__(self, blobs: Blobs) -> None:
        self.blobs = blobs
        self._guard = threading.Lock()
        self._known: dict[str, Touch] | None = None
        self._read: list[str] = []
        self._new: dict[str, Touch] = {}

    def _load(self) -> dict[str, Touch]:
        if self._known is not None:
            return self._known
        known: dict[str, Touch] = {}
        read = []
        for name in self.blobs.list(layout.checks()):
            if not name.endswith(".json"):
                continue
            read.append(name.removesuffix(".json"))
            raw = self.blobs.read(layout.checks_object(read[-1]))
            try:
                _merge(known, _Object.model_validate_json(raw or b"").watches)
            except ValidationError:
                log.warning("skipping unreadable %s", self.blobs.describe(name))
        self._known, self._read = known, read
        return known

    def overlay(self, state: WatchState) -> WatchState:
        with self._guard:
            touch = self._new.get(state.watch_id) or self._load().get(state.watch_id)
        if touch is None or (state.last_check is not None and touch.last_check <= state.last_check):
            return state
        return state.model_copy(update=touch.model_dump())

    def record(self, state: WatchState) -> None:
        assert state.last_check is not None
        touch = Touch.model_validate(state.model_dump(include=set(TOUCH_FIELDS)))
        with self._guard:
            self._new[state.watch_id] = touch

    def flush(self, keep_days: int = 90) -> bool:
        """Write this run's entries, folded together with every object read, as one object;
        then delete the objects it folded in. Returns whether it wrote anything."""
        with self._guard:
            if not self._new:
                return False
            merged = dict(self._load())
            _merge(merged, self._new)
            # a watch not checked for `keep_days` (removed from the config) drops out
            cutoff = max(t.last_check for t in merged.values()) - timedelta(days=keep_days)
            kept = {w: t for w, t in merged.items() if t.last_check >= cutoff}
            name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:8]}"
            data = _Object(watches=kept).model_dump_json().encode("utf-8")
            self.blobs.write(layout.checks_object(name), data)
            for old in self._read:
                self.blobs.delete(layout.checks_object(old))
            self._known, self._read, self._new = None, [], {}
            return True


def _merge(into: dict[str, Touch], more: dict[str, Touch]) -> None:
    for watch_id, touch in more.items():
        have = into.get(watch_id)
        if have is None or touch.last_check > have.last_check:
            into[watch_id] = touch
