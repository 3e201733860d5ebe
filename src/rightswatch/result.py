"""What a check produces and how a check keeps a watch's health: shared by check.py (pages)
and discover.py (index pages).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from rightswatch.config import Config, Watch
from rightswatch.diff import SectionChange
from rightswatch.document import Document
from rightswatch.fetch import Fetcher, Validators
from rightswatch.outbox import ChangeEvent, Outbox
from rightswatch.store import SnapshotStore, WatchState

__all__ = ["CheckContext", "CheckInProgress", "RefusedLink", "WatchResult", "WatchStatus"]

WatchStatus = Literal["baseline", "unchanged", "changed", "edition", "suspect", "error"]


class RefusedLink(BaseModel):
    url: str
    reason: str


class WatchResult(BaseModel):
    id: str
    url: str
    title: str
    status: WatchStatus
    changes: list[SectionChange] = []
    minor: int = 0  # typography-only edits, stored but not alerted
    error: str | None = None
    retryable: bool = False
    snapshot: str | None = None  # the record id now serving as baseline
    not_modified: bool = False
    event: ChangeEvent | None = None  # the change event this check put in the outbox
    publications: list[str] = []  # an index's new publications, by title
    # an index's links not followed (another host, over max_auto_watches): url and why
    refused_links: list[RefusedLink] = []


@dataclass
class CheckContext:
    """What every check in one run shares: the config, one Fetcher (one pool, one set of
    per-host limits) and the store."""

    config: Config
    store: SnapshotStore
    fetcher: Fetcher
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def outbox(self) -> Outbox:
        return Outbox(self.store)

    def close(self) -> None:
        self.fetcher.close()


@dataclass
class CheckInProgress:
    """One check in progress: the watch, its state and baseline, and the result so far."""

    watch: Watch
    ctx: CheckContext
    state: WatchState
    now: datetime
    result: WatchResult
    base_id: str | None = None
    base_doc: Document | None = None

    @property
    def store(self) -> SnapshotStore:
        return self.ctx.store

    def notice(self, kind: Literal["failing", "recovered"], message: str) -> None:
        since = self.state.failing_since or self.now
        self.ctx.outbox.add(
            ChangeEvent(
                id=f"{kind}-{since:%Y%m%dT%H%M%S%f}",
                kind=kind,
                watch_id=self.watch.id,
                url=self.watch.url,
                title=self.result.title,
                detected_at=self.now,
                message=message,
                channels=list(self.watch.health_channels or self.watch.channels),
            )
        )

    def healthy(self, status: str, validators: Validators) -> None:
        """A good check: validators kept, failure streak closed (with one recovered notice)."""
        state = self.state
        if state.failing_notified:
            self.notice(
                "recovered",
                f"checked again successfully after {state.consecutive_failures} failed check(s)",
            )
        state.last_check, state.last_status, state.last_error = self.now, status, None
        state.etag, state.last_modified = validators.etag, validators.last_modified
        state.consecutive_failures, state.failing_since, state.failing_notified = 0, None, False
        state.suspect_hash, state.suspect_count = None, 0
        self.store.save_state(state)

    def unhealthy(self, status: WatchStatus, error: str, retryable: bool = False) -> WatchResult:
        """A failed or suspect check: counted once per run; one notice when the streak is long."""
        state = self.state
        if state.last_failed_run != self.ctx.run_id:  # Prefect may retry within a run
            state.consecutive_failures += 1
            state.last_failed_run = self.ctx.run_id
            state.failing_since = state.failing_since or self.now
        state.last_check, state.last_status, state.last_error = self.now, status, error
        if (
            state.consecutive_failures >= self.ctx.config.health.alert_after
            and not state.failing_notified
        ):
            self.notice(
                "failing",
                f"{state.consecutive_failures} consecutive failed checks "
                f"since {state.failing_since:%Y-%m-%d %H:%M} UTC; last: {error}",
            )
            state.failing_notified = True
        self.store.save_state(state)
        return self.result.model_copy(
            update={"status": status, "error": error, "retryable": retryable}
        )
