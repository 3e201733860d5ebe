"""Check one watch: fetch → extract → guard → diff → store, as one plain function.

The order of writes is what makes a crash harmless: the snapshot first, then the change event
in the outbox, then the state that moves the baseline. Every step is idempotent, so a run that
dies anywhere is finished by the next one without losing or doubling a change.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel

from rightswatch.config import Config, Watch
from rightswatch.diff import DocumentDiff, SectionChange, diff_documents, prepare
from rightswatch.document import Document
from rightswatch.extract import ExtractError, ExtractOptions, extract
from rightswatch.fetch import Fetcher, FetchError, NotModified, Page, Validators
from rightswatch.guard import assess
from rightswatch.outbox import ChangeEvent, Outbox
from rightswatch.store import FetchInfo, LockTimeout, SnapshotStore, StoreError, WatchState

__all__ = ["CheckContext", "WatchResult", "WatchStatus", "check_watch"]

WatchStatus = Literal["baseline", "unchanged", "changed", "suspect", "error"]


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


def _baseline(
    store: SnapshotStore, state: WatchState, watch_id: str
) -> tuple[str | None, Document | None]:
    """The last good snapshot; falls back to the newest history entry if the state was lost."""
    record_hash = state.last_good_hash
    record_id = state.last_good
    if record_hash is None:
        latest = store.latest(watch_id)
        if latest is None:
            return None, None
        record_id, record_hash = latest.id, latest.content_hash
    return record_id, store.document(watch_id, record_hash)


def check_watch(watch: Watch, ctx: CheckContext, now: datetime | None = None) -> WatchResult:
    """Never raises for a problem with the page: it becomes the result's `error`."""
    title = watch.title or watch.id
    try:
        with ctx.store.lock(watch.id, timeout=ctx.config.fetch.timeout * 4 + 60):
            return _check_locked(watch, ctx, now or datetime.now(UTC))
    except LockTimeout as exc:
        return WatchResult(id=watch.id, url=watch.url, title=title, status="error", error=str(exc))
    except StoreError as exc:
        return WatchResult(
            id=watch.id, url=watch.url, title=title, status="error", error=f"snapshot store: {exc}"
        )


def _check_locked(watch: Watch, ctx: CheckContext, now: datetime) -> WatchResult:
    store = ctx.store
    state = store.state(watch.id)
    base_id, base_doc = _baseline(store, state, watch.id)
    title = watch.title or (base_doc.title if base_doc else "") or watch.id
    result = WatchResult(
        id=watch.id, url=watch.url, title=title, status="unchanged", snapshot=base_id
    )
    validators = Validators(state.etag, state.last_modified) if base_doc else None
    try:
        fetched = ctx.fetcher.fetch(watch.url, validators)
    except FetchError as exc:
        return _failed(ctx, state, result, str(exc), exc.retryable, now)
    if isinstance(fetched, NotModified):
        _save(store, state, now, "unchanged", fetched.validators)
        return result.model_copy(update={"not_modified": True})
    if base_doc is not None and fetched.sha256 == state.last_raw_sha256:
        _save(store, state, now, "unchanged", fetched.validators)  # same bytes: nothing to parse
        return result
    try:
        doc = extract(
            fetched.text,
            watch.url,
            final_url=fetched.final_url,
            profile=watch.profile,
            options=ExtractOptions(content=watch.content, heading=watch.heading),
        )
    except ExtractError as exc:
        return _failed(ctx, state, result, str(exc), False, now)
    if not watch.title and doc.title:
        result = result.model_copy(update={"title": doc.title})
    reason = assess(doc, base_doc)
    if reason is not None:
        _keep_suspect(store, watch.id, fetched, now)
        state.last_error = f"suspect: {reason}"
        _save(store, state, now, "suspect", fetched.validators, keep_validators=False)
        return result.model_copy(
            update={"status": "suspect", "error": f"{watch.url}: suspect page: {reason}"}
        )
    record = store.record(watch.id, doc, _fetch_info(fetched), fetched.body)
    if base_doc is None:
        _advance(store, state, record.id, record.content_hash, fetched, now, "baseline")
        return result.model_copy(update={"status": "baseline", "snapshot": record.id})
    diff = _diff(watch, base_doc, doc)
    alerts = diff.alerts
    event = None
    if alerts:
        event = ctx.outbox.add(
            ChangeEvent(
                id=ChangeEvent.make_id(
                    watch.id,
                    "change",
                    state.last_good_hash or base_doc.content_hash(),
                    record.content_hash,
                ),
                watch_id=watch.id,
                url=watch.url,
                title=result.title,
                detected_at=now,
                from_snapshot=base_id,
                to_snapshot=record.id,
                changes=[c.model_copy(update={"edits": []}) for c in alerts],
                channels=list(watch.channels),
            )
        )
    status: WatchStatus = "changed" if alerts else "unchanged"
    _advance(store, state, record.id, record.content_hash, fetched, now, status)
    return result.model_copy(
        update={
            "status": status,
            "changes": alerts,
            "minor": len(diff.changes) - len(alerts),
            "snapshot": record.id,
            "event": event,
        }
    )


def _diff(watch: Watch, old: Document, new: Document) -> DocumentDiff:
    return diff_documents(
        prepare(old, watch.sections, watch.ignore), prepare(new, watch.sections, watch.ignore)
    )


def _fetch_info(page: Page) -> FetchInfo:
    return FetchInfo(
        fetched_at=page.fetched_at,
        status=page.status,
        final_url=page.final_url,
        etag=page.validators.etag,
        last_modified=page.validators.last_modified,
        raw_sha256=page.sha256,
        encoding=page.encoding,
    )


def _save(
    store: SnapshotStore,
    state: WatchState,
    now: datetime,
    status: str,
    validators: Validators,
    *,
    keep_validators: bool = True,
) -> None:
    state.last_check = now
    state.last_status = status
    if keep_validators:
        state.etag, state.last_modified = validators.etag, validators.last_modified
        state.consecutive_failures = 0
        state.last_error = None
    store.save_state(state)


def _advance(
    store: SnapshotStore,
    state: WatchState,
    record_id: str,
    content_hash: str,
    page: Page,
    now: datetime,
    status: str,
) -> None:
    state.last_good, state.last_good_hash = record_id, content_hash
    state.last_raw_sha256 = page.sha256
    _save(store, state, now, status, page.validators)


def _failed(
    ctx: CheckContext,
    state: WatchState,
    result: WatchResult,
    error: str,
    retryable: bool,
    now: datetime,
) -> WatchResult:
    # Prefect may retry this check within the run: count one failure per run, not per attempt.
    if state.last_failed_run != ctx.run_id:
        state.consecutive_failures += 1
        state.last_failed_run = ctx.run_id
    state.last_check, state.last_status, state.last_error = now, "error", error
    ctx.store.save_state(state)
    return result.model_copy(update={"status": "error", "error": error, "retryable": retryable})


def _keep_suspect(store: SnapshotStore, watch_id: str, page: Page, now: datetime) -> None:
    """Keep the suspect page for inspection; it never becomes a snapshot."""
    name = f"{now.strftime('%Y%m%dT%H%M%SZ')}-{page.sha256[:12]}.html"
    store.blobs.write(f"{watch_id}/suspect/{name}", page.body)
