"""Check one watch: fetch → extract → guard → diff → store, as one plain function.

The order of writes is what makes a crash harmless: the snapshot first, then the change event
in the outbox, then the state that moves the baseline. Every step is idempotent, so a run that
dies anywhere is finished by the next one without losing or doubling a change.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from rightswatch.config import Watch
from rightswatch.diff import DocumentDiff, diff_prepared
from rightswatch.discover import check_index
from rightswatch.document import Document
from rightswatch.editions import edition_label, edition_summary, rolled_over
from rightswatch.extract import ExtractError, ExtractOptions, extract_page
from rightswatch.fetch import FetchError, NotModified, Page, Validators
from rightswatch.guard import assess, assess_static
from rightswatch.outbox import ChangeEvent
from rightswatch.preserve import enqueue
from rightswatch.render.report import ReportSide, render_report
from rightswatch.result import CheckContext, CheckInProgress, WatchResult, WatchStatus
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
            moment = now or datetime.now(UTC)
            if watch.kind == "index":
                return check_index(watch, ctx, moment, lambda page: check_watch(page, ctx, moment))
            return _check_locked(watch, ctx, moment)
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
    check = CheckInProgress(
        watch,
        ctx,
        state,
        now,
        WatchResult(id=watch.id, url=watch.url, title=title, status="unchanged", snapshot=base_id),
        base_id,
    )
    validators = Validators(state.etag, state.last_modified) if base_hash else None
    try:
        fetched = ctx.fetcher.fetch(watch.url, validators, render=watch.render)
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
        doc = extract_page(
            fetched,
            watch.url,
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
    rolled = check.base_doc is not None and rolled_over(check.base_doc, doc)
    # A new edition is not compared with last year's size; only the absolute checks apply.
    static = watch.render == "static" and fetched.content_type != "application/pdf"
    verdict = (assess_static(fetched.text, doc) if static else None) or assess(
        doc, None if rolled else check.base_doc, ctx.config.guard
    )
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
    return _accept(check, doc, fetched, rolled)


def _accept(
    check: CheckInProgress, doc: Document, fetched: Page, rolled: bool = False
) -> WatchResult:
    """Store the new document, record its changes in the outbox, then move the baseline."""
    store, state, watch = check.store, check.state, check.watch
    if check.base_doc is None or rolled:
        state.edition = edition_label(doc)
    record = store.record(watch.id, doc, _fetch_info(fetched), fetched.body, state.edition)
    if check.base_doc is None:
        _advance(check, record.id, record.content_hash, fetched, "baseline")
        return check.result.model_copy(update={"status": "baseline", "snapshot": record.id})
    old_hash = state.last_good_hash or check.base_doc.content_hash()
    if rolled:  # one notice and a new edition line, not a diff of every section
        notice = check.ctx.outbox.add(
            ChangeEvent(
                id=ChangeEvent.make_id(watch.id, "edition", old_hash, record.content_hash),
                kind="edition",
                watch_id=watch.id,
                url=watch.url,
                title=f"new edition: {doc.title}",
                detected_at=check.now,
                from_snapshot=check.base_id,
                to_snapshot=record.id,
                message=edition_summary(check.base_doc, doc),
                channels=list(watch.channels),
            )
        )
        _advance(check, record.id, record.content_hash, fetched, "edition")
        return check.result.model_copy(
            update={"status": "edition", "snapshot": record.id, "event": notice}
        )
    diff = diff_prepared(check.base_doc, doc, watch.sections, watch.ignore, watch.lang)
    alerts = diff.alerts
    event = None
    if alerts:
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


def _advance(
    check: CheckInProgress, record_id: str, content_hash: str, page: Page, status: str
) -> None:
    check.state.last_good, check.state.last_good_hash = record_id, content_hash
    check.state.title = check.result.title
    check.state.last_raw_sha256 = page.sha256
    # Preservation hook (preserve.py): queue a web-archive save of each baseline and change;
    # the save itself runs after delivery, so it can never hold a digest back.
    if check.ctx.config.archive is not None and status in ("baseline", "changed", "edition"):
        enqueue(check.store, check.watch.id, record_id, check.watch.url, check.now)
    check.healthy(status, page.validators)


def _keep_suspect(store: SnapshotStore, watch_id: str, page: Page, now: datetime) -> None:
    """Keep the suspect page for inspection; it never becomes a snapshot."""
    ext = "pdf" if page.content_type == "application/pdf" else "html"
    name = f"{now.strftime('%Y%m%dT%H%M%SZ')}-{page.sha256[:12]}.{ext}"
    store.blobs.write(f"{watch_id}/suspect/{name}", page.body)
