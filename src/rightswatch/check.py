"""Check one watch: fetch → extract → guard → diff → store, as one plain function.

The order of writes is what makes a crash harmless: the snapshot first, then the change event
in the outbox, then the state that moves the baseline. Every step is idempotent, so a run that
dies anywhere is finished by the next one without losing or doubling a change.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
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
from rightswatch.render.report import ReportSide, render_report
from rightswatch.store import FetchInfo, LockTimeout, SnapshotStore, StoreError, WatchState

__all__ = [
    "CheckContext",
    "WatchResult",
    "WatchStatus",
    "check_watch",
    "check_watches",
    "record_time",
    "write_report",
]

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


@dataclass
class _Check:
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


def _baseline(
    store: SnapshotStore, state: WatchState, watch_id: str
) -> tuple[str | None, str | None]:
    """The last good snapshot's id and hash; the newest history entry if the state was lost.

    Only ids: the document itself is loaded when a page actually needs diffing, so a 304 or
    an identical body costs a small state file, not an 80 KB document."""
    if state.last_good_hash is not None:
        return state.last_good, state.last_good_hash
    latest = store.latest(watch_id)
    return (latest.id, latest.content_hash) if latest else (None, None)


def check_watches(
    watches: list[Watch],
    ctx: CheckContext,
    on_result: Callable[[WatchResult], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[WatchResult]:
    """Check watches one after another; transient failures are tried again after
    `run.task_retry_delay`, up to `run.task_retries` times, before they count as errors.
    `on_result` hears each watch's final result as soon as it is final."""
    retries, delay = ctx.config.run.task_retries, ctx.config.run.task_retry_delay
    results: dict[str, WatchResult] = {}
    todo = list(watches)
    for attempt in range(retries + 1):
        if attempt:
            sleep(delay)
        again = []
        for watch in todo:
            result = results[watch.id] = check_watch(watch, ctx)
            if result.status == "error" and result.retryable and attempt < retries:
                again.append(watch)
            elif on_result is not None:
                on_result(result)
        if not again:
            break
        todo = again
    return [results[w.id] for w in watches]


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
    state = ctx.store.state(watch.id)
    base_id, base_hash = _baseline(ctx.store, state, watch.id)
    title = watch.title or state.title or watch.id
    check = _Check(
        watch,
        ctx,
        state,
        now,
        WatchResult(id=watch.id, url=watch.url, title=title, status="unchanged", snapshot=base_id),
        base_id,
    )
    validators = Validators(state.etag, state.last_modified) if base_hash else None
    try:
        fetched = ctx.fetcher.fetch(watch.url, validators)
    except FetchError as exc:
        return check.unhealthy("error", str(exc), exc.retryable)
    if isinstance(fetched, NotModified):
        check.healthy("unchanged", fetched.validators)
        return check.result.model_copy(update={"not_modified": True})
    if base_hash is not None and fetched.sha256 == state.last_raw_sha256:
        check.healthy("unchanged", fetched.validators)  # the same bytes: nothing to parse
        return check.result
    if base_hash is not None:
        check.base_doc = ctx.store.document(watch.id, base_hash)
    try:
        doc = extract(
            fetched.text,
            watch.url,
            final_url=fetched.final_url,
            profile=watch.profile,
            options=ExtractOptions(content=watch.content, heading=watch.heading),
        )
    except ExtractError as exc:
        return check.unhealthy("error", str(exc))
    except Exception as exc:  # a page that breaks the parser must not break the run
        return check.unhealthy(
            "error", f"{watch.url}: could not parse the page ({type(exc).__name__}: {exc})"
        )
    if not watch.title and doc.title:
        check.result = check.result.model_copy(update={"title": doc.title})
    verdict = assess(doc, check.base_doc, ctx.config.guard)
    if verdict is not None:
        content_hash = doc.content_hash()
        same = verdict.may_persist and state.suspect_hash == content_hash
        state.suspect_hash, state.suspect_count = (
            content_hash,
            (state.suspect_count + 1 if same else 1),
        )
        if not verdict.may_persist or state.suspect_count < ctx.config.guard.accept_after:
            _keep_suspect(ctx.store, watch.id, fetched, now)
            after = ctx.config.guard.accept_after
            runs = f" (seen {state.suspect_count} of {after} runs)" if verdict.may_persist else ""
            return check.unhealthy("suspect", f"{watch.url}: suspect page: {verdict.reason}{runs}")
    return _accept(check, doc, fetched)


def _accept(check: _Check, doc: Document, fetched: Page) -> WatchResult:
    """Store the new document, record its changes in the outbox, then move the baseline."""
    store, state, watch = check.store, check.state, check.watch
    record = store.record(watch.id, doc, _fetch_info(fetched), fetched.body)
    if check.base_doc is None:
        _advance(check, record.id, record.content_hash, fetched, "baseline")
        return check.result.model_copy(update={"status": "baseline", "snapshot": record.id})
    diff = _diff(watch, check.base_doc, doc)
    alerts = diff.alerts
    event = None
    if alerts:
        old_hash = state.last_good_hash or check.base_doc.content_hash()
        report = write_report(
            store,
            watch.id,
            check.result.title,
            watch.url,
            ReportSide(record_time(check.base_id), old_hash, check.base_doc),
            ReportSide(record.taken_at, record.content_hash, doc),
            diff,
        )
        event = check.ctx.outbox.add(
            ChangeEvent(
                id=ChangeEvent.make_id(watch.id, "change", old_hash, record.content_hash),
                watch_id=watch.id,
                url=watch.url,
                title=check.result.title,
                detected_at=check.now,
                from_snapshot=check.base_id,
                report=report,
                to_snapshot=record.id,
                changes=[c.model_copy(update={"edits": []}) for c in alerts],
                channels=list(watch.channels),
            )
        )
    status: WatchStatus = "changed" if alerts else "unchanged"
    _advance(check, record.id, record.content_hash, fetched, status)
    return check.result.model_copy(
        update={
            "status": status,
            "changes": alerts,
            "minor": len(diff.changes) - len(alerts),
            "snapshot": record.id,
            "event": event,
        }
    )


def write_report(
    store: SnapshotStore,
    watch_id: str,
    title: str,
    url: str,
    old: ReportSide,
    new: ReportSide,
    diff: DocumentDiff,
    name: str | None = None,
) -> str:
    """Write the HTML report of a change into the store; returns its path inside the store."""
    path = f"{watch_id}/reports/{name or new.taken_at.strftime('%Y%m%dT%H%M%SZ')}.html"
    store.blobs.write(path, render_report(title, url, old, new, diff).encode("utf-8"))
    return path


def record_time(record_id: str | None) -> datetime:
    """The time a snapshot record was taken, from its sortable id."""
    if record_id:
        try:
            return datetime.strptime(record_id.split("-", 1)[0], "%Y%m%dT%H%M%S%fZ").replace(
                tzinfo=UTC
            )
        except ValueError:
            pass
    return datetime.fromtimestamp(0, UTC)


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


def _advance(check: _Check, record_id: str, content_hash: str, page: Page, status: str) -> None:
    check.state.last_good, check.state.last_good_hash = record_id, content_hash
    check.state.title = check.result.title
    check.state.last_raw_sha256 = page.sha256
    check.healthy(status, page.validators)


def _keep_suspect(store: SnapshotStore, watch_id: str, page: Page, now: datetime) -> None:
    """Keep the suspect page for inspection; it never becomes a snapshot."""
    name = f"{now.strftime('%Y%m%dT%H%M%SZ')}-{page.sha256[:12]}.html"
    store.blobs.write(f"{watch_id}/suspect/{name}", page.body)
