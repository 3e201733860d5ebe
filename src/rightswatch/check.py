"""Check one watch: fetch, then evaluate (pure, evaluate.py), then commit (the ordered writes,
commit.py), then write the change report once the watch's lock is released.

Index watches take the same two steps with their own evaluation (discover.evaluate_index); each
new publication's first snapshot is an ordinary page check.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from rightswatch.baseline import baseline_of, request_validators
from rightswatch.commit import ChangeReport, Committed, commit, commit_index
from rightswatch.config import Config, Watch
from rightswatch.diff import diff_documents, diff_prepared
from rightswatch.discover import IndexUpdate, evaluate_index, index_notices, load_index, page_watch
from rightswatch.evaluate import (
    Base,
    Baseline,
    Changed,
    Edition,
    Failed,
    Fetched,
    Outcome,
    Rules,
    Suspect,
    Unchanged,
    evaluate,
    needs_baseline,
)
from rightswatch.fetch import FetchError, Page, Validators
from rightswatch.outbox import ChangeEvent
from rightswatch.render.report import ReportSide, render_report
from rightswatch.result import CheckContext, WatchResult, WatchStatus
from rightswatch.store import LockTimeout, SnapshotStore, StoreError

log = logging.getLogger(__name__)

__all__ = [
    "ChangeReport",
    "CheckContext",
    "WatchResult",
    "WatchStatus",
    "baseline_of",
    "check_watch",
    "check_watches",
    "ensure_change_report",
    "request_validators",
    "write_change_report",
]


def check_watches(
    watches: Iterable[Watch],
    ctx: CheckContext,
    on_result: Callable[[WatchResult], None] | None = None,
) -> list[WatchResult]:
    """Check watches one after another, once each; `on_result` hears each result as soon as it
    is known. A transient failure is checked again only by a Prefect task retry (tasks.py)."""
    results = []
    for watch in watches:
        result = check_watch(watch, ctx)
        if on_result is not None:
            on_result(result)
        results.append(result)
    return results


def check_watch(watch: Watch, ctx: CheckContext, now: datetime | None = None) -> WatchResult:
    """Never raises for a problem with the page: it becomes the result's `error`."""
    title = watch.title or watch.id
    try:
        with ctx.store.lock(watch.id, timeout=ctx.config.fetch.timeout * 4 + 60):
            moment = now or datetime.now(UTC)
            if watch.kind == "index":
                return _check_index(watch, ctx, moment)
            committed = _check_page(watch, ctx, moment)
        if committed.report is not None:  # outside the lock: rendering takes a while
            _write_after_commit(ctx.store, committed.report)
        return result_of(watch, committed)
    except LockTimeout as exc:
        return WatchResult(id=watch.id, url=watch.url, title=title, status="error", error=str(exc))
    except StoreError as exc:
        return WatchResult(
            id=watch.id, url=watch.url, title=title, status="error", error=f"snapshot store: {exc}"
        )


def _write_after_commit(store: SnapshotStore, report: ChangeReport) -> None:
    """The change is committed: a report that cannot be written now is written before the
    digest that links it (ensure_change_report), so the check still succeeded."""
    try:
        write_change_report(store, report)
    except StoreError as exc:
        log.warning("change report %s not written yet: %s", report.path, exc)


def _rules(ctx: CheckContext) -> Rules:
    return Rules(ctx.config.guard, ctx.config.health.alert_after, ctx.run_id)


def _fetch(watch: Watch, ctx: CheckContext, validators: Validators | None, base: Base) -> Fetched:
    """The page, from the run's early fetches (prefetch.py) when one fits, else fetched now."""
    early = ctx.prefetched.take(watch, validators, base.hash) if ctx.prefetched else None
    if early is not None:
        return early
    try:
        return ctx.fetcher.fetch(watch.url, validators, render=watch.render)
    except FetchError as exc:
        return exc


def _check_page(watch: Watch, ctx: CheckContext, now: datetime) -> Committed:
    state = ctx.store.state(watch.id)
    base = baseline_of(ctx.store, state, watch.id)
    validators = request_validators(state, base)
    fetched = _fetch(watch, ctx, validators, base)
    if needs_baseline(state, fetched, base):
        assert base.hash is not None
        base = Base(base.id, base.hash, ctx.store.document(watch.id, base.hash))
    outcome = evaluate(watch, state, fetched, base, _rules(ctx), now)
    archive = ctx.config.archive is not None
    return commit(ctx.store, ctx.outbox, watch, outcome, now, archive=archive, before=state)


def result_of(watch: Watch, committed: Committed) -> WatchResult:
    """The result a committed page check reports (`check --json` prints it)."""
    outcome, record = committed.outcome, committed.record
    result = WatchResult(
        id=watch.id,
        url=watch.url,
        title=outcome.title,
        status=_status(outcome),
        snapshot=record.id if record else outcome.base.id,
        event=committed.event,
    )
    if isinstance(outcome, Failed | Suspect):
        retryable = isinstance(outcome, Failed) and outcome.retryable
        return result.model_copy(update={"error": outcome.error, "retryable": retryable})
    if isinstance(outcome, Changed):
        alerts = outcome.diff.alerts
        minor = len(outcome.diff.changes) - len(alerts)
        return result.model_copy(update={"changes": alerts, "minor": minor})
    if isinstance(outcome, Unchanged):
        update = {"not_modified": True} if outcome.not_modified else {"minor": outcome.minor}
        return result.model_copy(update=update)
    return result


def _status(outcome: Outcome) -> WatchStatus:
    if isinstance(outcome, Baseline):
        return "baseline"
    if isinstance(outcome, Edition):
        return "edition"
    if isinstance(outcome, Changed):
        return "changed"
    if isinstance(outcome, Suspect):
        return "suspect"
    return "error" if isinstance(outcome, Failed) else "unchanged"


def _check_index(watch: Watch, ctx: CheckContext, now: datetime) -> WatchResult:
    """Fetch the index, evaluate it, take each new publication's first snapshot, commit."""
    state = ctx.store.state(watch.id)
    fetched: Page | FetchError
    known = None
    try:
        page = ctx.fetcher.fetch(watch.url, None)
        assert isinstance(page, Page)  # no validators sent: no 304
        fetched, known = page, load_index(ctx.store, watch.id)
    except FetchError as exc:
        fetched = exc
    outcome = evaluate_index(watch, state, fetched, known, _rules(ctx), now)
    result = WatchResult(id=watch.id, url=watch.url, title=outcome.title, status="unchanged")
    if isinstance(outcome, Failed | Suspect):
        commit(ctx.store, ctx.outbox, watch, outcome, now)
        status: WatchStatus = "error" if isinstance(outcome, Failed) else "suspect"
        retryable = isinstance(outcome, Failed) and outcome.retryable
        return result.model_copy(
            update={"status": status, "error": outcome.error, "retryable": retryable}
        )
    refused = list(outcome.refused_links)
    if not isinstance(outcome, IndexUpdate):
        commit_index(ctx.store, ctx.outbox, outcome, [], outcome.index)
        return result.model_copy(update={"status": "baseline", "refused_links": refused})
    taken = [item for item in outcome.news if item.url in outcome.take]
    firsts = [check_watch(page_watch(watch, item), ctx, now) for item in taken]
    notices, index, names = index_notices(watch, outcome, firsts, now)
    commit_index(ctx.store, ctx.outbox, outcome, notices, index)
    status = "changed" if outcome.news or outcome.gone else "unchanged"
    update = {"status": status, "publications": names, "refused_links": refused}
    return result.model_copy(update=update)


def write_change_report(store: SnapshotStore, report: ChangeReport) -> str:
    """Write an HTML change report into the store; returns its path inside the store."""
    html = render_report(report.title, report.url, report.old, report.new, report.diff)
    return store.reports.write(report.path, html)


def ensure_change_report(store: SnapshotStore, config: Config, event: ChangeEvent) -> None:
    """Write a change report that a crash between the commit and the report (which is written
    outside the lock) left missing, so the link a digest sends always opens."""
    if event.report is None or store.reports.exists(event.report):
        return
    records = {r.id: r for r in store.history(event.watch_id)}
    old, new = records.get(event.from_snapshot or ""), records.get(event.to_snapshot or "")
    if old is None or new is None:
        return
    old_doc = store.document(event.watch_id, old.content_hash)
    new_doc = store.document(event.watch_id, new.content_hash)
    watch = next((w for w in config.watches if w.id == event.watch_id), None)
    diff = (
        diff_prepared(old_doc, new_doc, watch.sections, watch.ignore, watch.lang)
        if watch
        else diff_documents(old_doc, new_doc)
    )
    old_side = ReportSide(old.taken_at, old.content_hash, old_doc)
    new_side = ReportSide(new.taken_at, new.content_hash, new_doc)
    report = ChangeReport(event.report, event.title, event.url, old_side, new_side, diff)
    write_change_report(store, report)
