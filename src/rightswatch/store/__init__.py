"""Snapshot store: content-addressed documents, raw evidence, history and per-watch state.

Every path under the store root (one folder per watch id) is defined in store/layout.py;
the outbox (outbox.py) and the small repositories in store/repos.py (reports, indexes, runs)
are the only other writers, and they take their paths from there too.
The web-archive copies (preserve.py) live there too: archive/<record-id>.json and archive/queue/.

The root is a local directory or any fsspec URL (s3://bucket/prefix and the like); see
store/remote.py for how atomicity and locking carry over to object storage.

Writes are atomic and ordered (content before history before state), so a crash at any point
leaves the previous baseline loadable and the next run redoes the rest idempotently.
"""

from __future__ import annotations

import gzip
import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from rightswatch.config import WATCH_ID, is_remote
from rightswatch.document import Document
from rightswatch.store import layout
from rightswatch.store.blobs import Blobs, LocalBlobs, LockTimeout
from rightswatch.store.checks import CheckLog, only_touched
from rightswatch.store.layout import record_time
from rightswatch.store.records import ArchiveSave, FetchInfo, SnapshotRecord, WatchState
from rightswatch.store.remote import FsspecBlobs, LockFactory, RemoteStoreError
from rightswatch.store.repos import Indexes, Reports, Runs

__all__ = [
    "ArchiveSave",
    "Blobs",
    "FetchInfo",
    "FsspecBlobs",
    "Indexes",
    "LockFactory",
    "LockTimeout",
    "RemoteStoreError",
    "Reports",
    "Runs",
    "SnapshotRecord",
    "SnapshotStore",
    "StoreError",
    "WatchState",
    "is_remote",
    "open_store",
    "record_time",
]

log = logging.getLogger(__name__)
STALE_TEMP_SECONDS = 600.0
SWEEP_EVERY = timedelta(days=1)
M = TypeVar("M", bound=BaseModel)
_LATEST = re.compile(r"latest(?:~(\d+))?")
_TIME_PREFIX = re.compile(r"\d{4}(?:-|$)")
_HEX = re.compile(r"[0-9a-f]{4,64}")


class StoreError(RuntimeError):
    """A snapshot that cannot be found or read; the message names it and what to do."""


# Measured (`benchmarks/engine.py --gzip-levels`, RESULTS.md): level 3 compresses a 78 KB page
# about 3× faster than 6 for files 4–8 % larger; 1 saves little more time for 10–12 % more bytes.
GZIP_LEVEL = 3


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)


class SnapshotStore:
    def __init__(self, blobs: Blobs, *, keep_raw: bool = True) -> None:
        self.blobs = blobs
        self.keep_raw = keep_raw
        self.reports = Reports(blobs)
        self.indexes = Indexes(blobs)
        self.runs = Runs(blobs)
        self.checks = CheckLog(blobs)

    @staticmethod
    def _check(watch_id: str) -> str:
        if not WATCH_ID.fullmatch(watch_id):
            raise StoreError(f"{watch_id!r} is not a valid watch id")
        return watch_id

    # locking and state ------------------------------------------------------------------------
    @contextmanager
    def lock(self, watch_id: str, timeout: float = 600.0) -> Iterator[None]:
        with self.blobs.lock(layout.lock(self._check(watch_id)), timeout):
            yield

    def state(self, watch_id: str) -> WatchState:
        """The state file, with the newer last check an unchanged run recorded (store/checks.py)."""
        raw = self.blobs.read(layout.state(self._check(watch_id)))
        if raw is None:
            return self.checks.overlay(WatchState(watch_id=watch_id))
        try:
            return self.checks.overlay(WatchState.model_validate_json(raw))
        except ValidationError as exc:
            raise StoreError(
                f"{self.blobs.describe(layout.state(watch_id))} is unreadable "
                f"({exc.error_count()} problems); move it aside and the next run rebuilds it"
            ) from None

    def save_state(self, state: WatchState) -> None:
        """Called under the watch's lock. A writer killed between its temp write and its rename
        left a hidden temp file that nothing reads; old ones are cleared here, when the watch is
        written anyway and at most once a day (the walk reads the watch's whole history), so
        neither an unchanged check nor a run of changes walks the watch's folder each time."""
        path = layout.state(self._check(state.watch_id))
        if _sweep_due(state.swept_at, now := datetime.now(UTC)):
            left = self.blobs.sweep_temp(state.watch_id, older_than=STALE_TEMP_SECONDS)
            if not left:  # else a leftover too young to clear is cleared by the next write
                state = state.model_copy(update={"swept_at": now})
        self.blobs.write(path, state.model_dump_json(indent=2).encode("utf-8"))

    def update_state(self, before: WatchState, after: WatchState) -> None:
        """Save a check's new state: in the run's check log when only the last check and the
        validators moved (nothing written per watch), else in the watch's state.json."""
        if only_touched(before, after):
            self.checks.record(after)
        else:
            self.save_state(after)

    def flush_checks(self, keep_days: int = 90) -> bool:
        """Write the run's check log (one object); call once when a run or shard ends."""
        return self.checks.flush(keep_days)

    # snapshots --------------------------------------------------------------------------------
    def record(
        self,
        watch_id: str,
        document: Document,
        fetch: FetchInfo,
        raw: bytes | None = None,
        edition: str | None = None,
    ) -> SnapshotRecord:
        """Store a document (once per content) and add it to the history unless it is the latest.

        Idempotent: repeating it after a crash adds nothing twice.
        """
        self._check(watch_id)
        content_hash = self._keep_content(watch_id, document, fetch, raw)
        latest = self.latest(watch_id)
        if latest is not None and latest.content_hash == content_hash:
            return latest
        return self._write_record(watch_id, document, fetch, edition, content_hash)

    def import_record(
        self,
        watch_id: str,
        document: Document,
        fetch: FetchInfo,
        raw: bytes | None = None,
        edition: str | None = None,
    ) -> SnapshotRecord:
        """Add a snapshot anywhere in the history (by its fetch time), e.g. an archived capture
        older than the first own snapshot. Repeating it writes the same record again."""
        self._check(watch_id)
        content_hash = self._keep_content(watch_id, document, fetch, raw)
        return self._write_record(watch_id, document, fetch, edition, content_hash)

    def _keep_content(
        self, watch_id: str, document: Document, fetch: FetchInfo, raw: bytes | None
    ) -> str:
        content_hash = document.content_hash()
        if raw is not None and self.keep_raw and fetch.raw_sha256:
            raw_path = layout.raw(watch_id, fetch.raw_sha256)
            if not self.blobs.exists(raw_path):
                self.blobs.write(raw_path, _gzip(raw))
        doc_path = layout.doc(watch_id, content_hash)
        if not self.blobs.exists(doc_path):
            self.blobs.write(doc_path, _gzip(document.model_dump_json().encode("utf-8")))
        return content_hash

    def _write_record(
        self,
        watch_id: str,
        document: Document,
        fetch: FetchInfo,
        edition: str | None,
        content_hash: str,
    ) -> SnapshotRecord:
        taken = fetch.fetched_at
        record = SnapshotRecord(
            id=layout.record_id(taken, content_hash),
            watch_id=watch_id,
            content_hash=content_hash,
            taken_at=taken,
            fetch=fetch,
            title=document.title,
            sections=len(document.sections),
            words=document.words,
            edition=edition,
        )
        self.blobs.write(
            layout.snapshot(watch_id, record.id),
            record.model_dump_json(indent=2).encode("utf-8"),
        )
        return record

    # web-archive saves (preserve.py) ------------------------------------------------------------
    def archive_save(self, watch_id: str, snapshot: str) -> ArchiveSave | None:
        """A snapshot's save: confirmed (archive/) or still queued (archive/queue/)."""
        for path in (
            layout.archived(self._check(watch_id), snapshot),
            layout.queued_save(watch_id, snapshot),
        ):
            raw = self.blobs.read(path)
            if raw is not None:
                try:
                    return ArchiveSave.model_validate_json(raw)
                except ValidationError:
                    continue  # a damaged entry is queued again
        return None

    def put_archive_save(self, save: ArchiveSave) -> None:
        """Queued saves and confirmed ones live apart, so a run reads only what is waiting."""
        queue = layout.queued_save(self._check(save.watch_id), save.snapshot)
        data = save.model_dump_json(indent=2).encode("utf-8")
        entry = layout.save_index_entry(save.watch_id, save.snapshot)
        if save.archive_url is None:
            self.blobs.write(queue, data)
            self.blobs.write(entry, b"")  # after the queue file: an entry never lacks one
            return
        self.blobs.write(layout.archived(save.watch_id, save.snapshot), data)
        self.blobs.delete(queue)
        self.blobs.delete(entry)

    def all_queued_archive_saves(self) -> list[ArchiveSave]:
        """Every queued save, found through one index folder rather than a listing per watch
        (a store older than the index is indexed once, by that listing)."""
        if self.blobs.read(layout.save_index_done()) is None:
            for watch_id in self.watch_ids():
                for save in self.queued_archive_saves(watch_id):
                    self.blobs.write(layout.save_index_entry(watch_id, save.snapshot), b"")
            self.blobs.write(layout.save_index_done(), b"{}")
        out = []
        for name in self.blobs.list(layout.save_index()):
            watch_id, sep, record = name.partition("~")
            raw = self.blobs.read(layout.queued_save(watch_id, record)) if sep else None
            if raw is None:  # confirmed, and killed before its entry went
                self.blobs.delete(f"{layout.save_index()}/{name}")
                continue
            try:
                out.append(ArchiveSave.model_validate_json(raw or b""))
            except ValidationError:
                continue  # confirmed meanwhile (stale entry) or damaged: queued again by check
        return out

    def queued_archive_saves(self, watch_id: str) -> list[ArchiveSave]:
        return self.load_all(layout.archive_queue(self._check(watch_id)), ArchiveSave)

    def archive_url(self, watch_id: str, record: SnapshotRecord) -> str | None:
        """Where a third party holds this snapshot: its capture, or its confirmed save."""
        if record.fetch.archived_from:
            return record.fetch.archived_from
        save = self.archive_save(watch_id, record.id)
        return save.archive_url if save else None

    def report_bytes(self, path: str) -> bytes | None:
        """A change report by the path its event names (see check.write_report)."""
        return self.blobs.read(path)

    def put_report_bytes(self, path: str, data: bytes) -> None:
        self.blobs.write(path, data)

    def load_all(self, folder: str, model: type[M]) -> list[M]:
        """Every `*.json` model in a folder, in name order; an unreadable file is skipped with a
        warning rather than failing the whole watch."""
        out = []
        for name in self.blobs.list(folder):
            if not name.endswith(".json"):
                continue
            try:
                out.append(model.model_validate_json(self.blobs.read(f"{folder}/{name}") or b""))
            except ValidationError:
                log.warning("skipping unreadable %s", self.blobs.describe(f"{folder}/{name}"))
        return out

    def history(self, watch_id: str) -> list[SnapshotRecord]:
        return self.load_all(layout.snapshots(self._check(watch_id)), SnapshotRecord)

    def latest(self, watch_id: str) -> SnapshotRecord | None:
        """The newest record: one listing and (usually) one read, not the whole history."""
        folder = layout.snapshots(self._check(watch_id))
        for name in reversed([n for n in self.blobs.list(folder) if n.endswith(".json")]):
            try:
                return SnapshotRecord.model_validate_json(
                    self.blobs.read(f"{folder}/{name}") or b""
                )
            except ValidationError:
                log.warning("skipping unreadable %s", self.blobs.describe(f"{folder}/{name}"))
        return None

    def document(self, watch_id: str, content_hash: str) -> Document:
        path = layout.doc(self._check(watch_id), content_hash)
        raw = self.blobs.read(path)
        if raw is None:
            raise StoreError(f"{self.blobs.describe(path)} is missing")
        try:
            return Document.model_validate_json(gzip.decompress(raw))
        except (OSError, EOFError, ValidationError) as exc:
            raise StoreError(f"{self.blobs.describe(path)} is unreadable: {exc}") from None

    def raw(self, watch_id: str, sha256: str) -> bytes | None:
        data = self.blobs.read(layout.raw(self._check(watch_id), sha256))
        return gzip.decompress(data) if data is not None else None

    def watch_ids(self) -> list[str]:
        return [name for name in self.blobs.list("") if WATCH_ID.fullmatch(name)]

    def resolve(self, watch_id: str, ref: str) -> SnapshotRecord:
        """REF = latest, latest~N, an ISO time prefix, or a short content hash."""
        history = self.history(watch_id)
        if not history:
            raise StoreError(f"no snapshots of {watch_id!r} yet; run `rightswatch check` first")
        ref = ref.strip()
        found: SnapshotRecord | None = None
        latest = _LATEST.fullmatch(ref)
        if latest:
            back = int(latest.group(1) or 0)
            found = history[-1 - back] if back < len(history) else None
        elif _TIME_PREFIX.match(ref):
            wanted = ref.replace(" ", "T")
            matches = [r for r in history if _iso(r.taken_at).startswith(wanted)]
            found = matches[-1] if matches else None
        elif _HEX.fullmatch(ref.lower()):
            matches = [r for r in history if r.content_hash.startswith(ref.lower())]
            found = matches[-1] if matches else None
        if found is None:
            raise StoreError(
                f"no snapshot of {watch_id!r} matches {ref!r}; use latest, latest~N, a time "
                f"prefix such as 2021-01-13, or a short hash from `rightswatch history {watch_id}`"
            )
        return found


def _sweep_due(swept_at: datetime | None, now: datetime) -> bool:
    """A day since the last sweep; a time with no zone (a hand-edited file) is read as UTC, and
    one in the future (another machine's clock) is not trusted."""
    if swept_at is None:
        return True
    if swept_at.tzinfo is None:
        swept_at = swept_at.replace(tzinfo=UTC)
    return not timedelta(0) <= now - swept_at < SWEEP_EVERY


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def open_store(
    location: str | Path,
    *,
    keep_raw: bool = True,
    options: Mapping[str, Any] | None = None,
    lock: LockFactory | None = None,
) -> SnapshotStore:
    """A store for the config's `snapshots:` value: a directory, or any fsspec URL.

    A remote store needs `lock`, a lock that holds across machines; reading works without it.
    """
    if is_remote(location):
        return SnapshotStore(FsspecBlobs(str(location), options, lock=lock), keep_raw=keep_raw)
    return SnapshotStore(LocalBlobs(str(location).removeprefix("file://")), keep_raw=keep_raw)
