"""The writing half of a check: the ordered writes an outcome asks for, for any outcome.

The order is what makes a crash harmless: the snapshot first, then the change event (and the
notices) in the outbox, then the state that moves the baseline. Every write is idempotent, so a
run that dies anywhere is finished by the next one without losing or doubling a change. The
change report is only named here; it is written after the watch's lock is released.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rightswatch.config import Watch
from rightswatch.diff import DocumentDiff
from rightswatch.discover import IndexBaseline, IndexState, IndexUpdate, save_index
from rightswatch.editions import edition_summary
from rightswatch.evaluate import Baseline, Changed, Edition, Outcome, Suspect, Unchanged
from rightswatch.events import change_event, edition_event
from rightswatch.fetch import Page
from rightswatch.outbox import ChangeEvent, Outbox
from rightswatch.preserve import enqueue
from rightswatch.render.report import ReportSide
from rightswatch.store import FetchInfo, SnapshotRecord, SnapshotStore, WatchState, record_time

__all__ = ["ChangeReport", "Committed", "commit", "commit_index", "fetch_info"]


@dataclass(frozen=True)
class ChangeReport:
    """A change report to write once the commit is done: where, and what it compares."""

    path: str
    title: str
    url: str
    old: ReportSide
    new: ReportSide
    diff: DocumentDiff


@dataclass(frozen=True)
class Committed:
    """What a commit wrote: the snapshot now serving as baseline, the event, the report due."""

    outcome: Outcome
    record: SnapshotRecord | None = None
    event: ChangeEvent | None = None
    report: ChangeReport | None = None


def commit(
    store: SnapshotStore,
    outbox: Outbox,
    watch: Watch,
    outcome: Outcome,
    now: datetime,
    *,
    archive: bool = False,
    before: WatchState | None = None,
) -> Committed:
    """Snapshot → event and notices (→ a web-archive save queued, with `archive`) → state; the
    caller holds the watch's lock. With `before` (the state the check read), an unchanged check
    that moved only its last check and validators writes nothing for the watch itself."""
    if isinstance(outcome, Suspect) and outcome.page is not None:  # evidence, not a snapshot
        page = outcome.page
        ext = "pdf" if page.content_type == "application/pdf" else "html"
        store.reports.keep_suspect(watch.id, page.body, page.sha256, now, ext)
    new = outcome.new if isinstance(outcome, Baseline | Unchanged | Changed | Edition) else None
    if new is None:
        for notice in outcome.notices:
            outbox.add(notice)
        if before is not None and isinstance(outcome, Unchanged) and not outcome.notices:
            store.update_state(before, outcome.state)
        else:
            store.save_state(outcome.state)
        return Committed(outcome)
    record = store.record(
        watch.id, new.doc, fetch_info(new.page), new.page.body, outcome.state.edition
    )
    event, report = _event(store, watch, outcome, record, now)
    if event is not None:
        event = outbox.add(event)
    for notice in outcome.notices:
        outbox.add(notice)
    if archive and isinstance(outcome, Baseline | Changed | Edition):
        # saved after delivery (preserve.py), so it never holds a digest back
        enqueue(store, watch.id, record.id, watch.url, now)
    store.save_state(
        outcome.state.model_copy(
            update={"last_good": record.id, "last_good_hash": record.content_hash}
        )
    )
    return Committed(outcome, record, event, report)


def _event(
    store: SnapshotStore, watch: Watch, outcome: Outcome, record: SnapshotRecord, now: datetime
) -> tuple[ChangeEvent | None, ChangeReport | None]:
    """The change event (and the report it links to) an accepted outcome calls for."""
    base = outcome.base
    if not isinstance(outcome, Changed | Edition) or base.doc is None:
        return None, None
    old_hash = base.hash or base.doc.content_hash()
    snapshots, hashes = (base.id, record.id), (old_hash, record.content_hash)
    if isinstance(outcome, Edition):
        summary = edition_summary(base.doc, outcome.new.doc)
        title = outcome.new.doc.title
        return edition_event(watch, title, now, snapshots, hashes, summary), None
    report = ChangeReport(
        store.reports.path(watch.id, record.taken_at),
        outcome.title,
        watch.url,
        ReportSide(record_time(base.id), old_hash, base.doc),
        ReportSide(record.taken_at, record.content_hash, outcome.new.doc),
        outcome.diff,
    )
    alerts = outcome.diff.alerts
    event = change_event(watch, outcome.title, now, snapshots, hashes, alerts, report.path)
    return event, report


def fetch_info(page: Page) -> FetchInfo:
    """The evidence a snapshot keeps of how its page was fetched."""
    return FetchInfo(
        fetched_at=page.fetched_at,
        status=page.status,
        final_url=page.final_url,
        etag=page.validators.etag,
        last_modified=page.validators.last_modified,
        raw_sha256=page.sha256,
        encoding=page.encoding,
    )


def commit_index(
    store: SnapshotStore,
    outbox: Outbox,
    outcome: IndexBaseline | IndexUpdate,
    notices: list[ChangeEvent],
    index: IndexState,
) -> None:
    """Outbox first, then index.json, then state: a crash in between reports again (same
    ids), never loses a publication."""
    for event in [*notices, *outcome.notices]:
        outbox.add(event)
    save_index(store, outcome.state.watch_id, index)
    store.save_state(outcome.state)
