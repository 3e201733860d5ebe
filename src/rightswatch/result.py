"""What a check produces, and what every check of one run shares."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel

from rightswatch.config import Config, Watch
from rightswatch.diff import SectionChange
from rightswatch.fetch import Fetcher
from rightswatch.outbox import ChangeEvent, Outbox
from rightswatch.store import SnapshotStore

if TYPE_CHECKING:
    from rightswatch.prefetch import Prefetch

__all__ = ["CheckContext", "RefusedLink", "WatchResult", "WatchStatus"]

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
    # With a coordinated store: hold a shard's host leases (coordinate.PrefectLimits.lease)
    lease: Callable[[list[Watch], float], AbstractContextManager[None]] | None = None
    # A one-shot run's early fetches (prefetch.py), taken by the checks; its Fetcher is `fetcher`
    prefetched: Prefetch | None = None

    @cached_property
    def outbox(self) -> Outbox:
        """One outbox for the run (not a field, so Prefect's parameter walk leaves it be)."""
        return Outbox(self.store)

    def close(self) -> None:
        if self.prefetched is not None:
            self.prefetched.close()
        self.fetcher.close()
