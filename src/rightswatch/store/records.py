"""What the store keeps about a watch besides documents: snapshot records and state."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class FetchInfo(BaseModel):
    """How a snapshot's page was fetched: the evidence that makes a change citable."""

    model_config = ConfigDict(frozen=True)

    fetched_at: datetime
    status: int
    final_url: str
    etag: str | None = None
    last_modified: str | None = None
    raw_sha256: str | None = None
    encoding: str | None = None
    # Set when the snapshot was imported from a web archive (backfill): the capture's URL.
    archived_from: str | None = None


class ArchiveSave(BaseModel):
    """One snapshot's Save Page Now request: queued until the archive confirms a copy."""

    watch_id: str
    snapshot: str  # SnapshotRecord.id of the side to preserve
    url: str
    queued_at: datetime
    job_id: str | None = None  # a submitted save still being processed
    attempts: int = 0
    last_error: str | None = None
    archive_url: str | None = None  # set once the archive holds the copy
    saved_at: datetime | None = None


class SnapshotRecord(BaseModel):
    """One entry of a watch's history: a distinct document as first seen at a time."""

    model_config = ConfigDict(frozen=True)

    id: str  # "<UTC time>-<short hash>", sortable
    watch_id: str
    content_hash: str
    taken_at: datetime
    fetch: FetchInfo
    title: str
    sections: int
    words: int
    edition: str | None = None  # the edition line it belongs to, e.g. "2024" (see editions.py)

    @property
    def short_hash(self) -> str:
        return self.content_hash[:12]


class WatchState(BaseModel):
    """The small per-watch file: read on every check, written when more than the last check
    and validators moved (an unchanged check goes into the run's check log, store/checks.py)."""

    watch_id: str
    last_check: datetime | None = None
    last_status: str | None = None
    last_good: str | None = None  # SnapshotRecord.id of the baseline
    last_good_hash: str | None = None
    title: str | None = None  # the baseline's title, so unchanged checks need no document
    etag: str | None = None
    last_modified: str | None = None
    last_raw_sha256: str | None = None
    consecutive_failures: int = 0
    last_failed_run: str | None = None
    failing_since: datetime | None = None  # first failure of the current streak
    failing_notified: bool = False  # the one "watch failing" notice of this streak went out
    suspect_hash: str | None = None  # a suspect document seen in consecutive runs...
    suspect_count: int = 0  # ...and how many
    last_error: str | None = None
    edition: str | None = None  # the current edition line (see editions.py)
    swept_at: datetime | None = None  # when killed writers' temp files were last cleared
