"""`rightswatch site`: a static archive of every watch's changes, to publish or open from disk.

    DIR/index.html                    every watch: title, status, last change, its page
    DIR/watches/<id>.html             a watch's changes newest first, timeline, section history
    DIR/reports/<id>/<snapshot>.html  each change's HTML report (the stored one, else rendered)
    DIR/feed.xml                      Atom, every watch's changes

Links inside DIR are relative, so the folder works from file:// or any web server; pages use
the reports' Content-Security-Policy, escape all page text and need no JavaScript.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from rightswatch.config import CHANGE_KINDS, Config, Watch
from rightswatch.diff import SectionChange, diff_prepared
from rightswatch.discover import select_watches
from rightswatch.document import Document
from rightswatch.notify.atom import atomic_write, event_entry, feed_bytes
from rightswatch.outbox import ChangeEvent, Outbox
from rightswatch.preserve import with_archive_link
from rightswatch.render.labels import change_label
from rightswatch.render.report import ReportSide, render_report
from rightswatch.render.templates import environment
from rightswatch.store import SnapshotRecord, SnapshotStore, WatchState

__all__ = ["SiteChange", "SiteWatch", "build_site", "timeline_svg"]

KIND_COLOURS = {
    "moved": "#8c959f",
    "renamed": "#8250df",
    "removed": "#bc4c00",
    "added": "#0969da",
    "modified": "#1a7f37",
    "new-edition": "#bf3989",
}
FEED_ENTRIES = 500


@dataclass
class SiteChange:
    """One detected change of a watch: a pair of consecutive snapshots that differ."""

    old: SnapshotRecord
    new: SnapshotRecord
    kind: str  # the strongest section change kind, or new-edition
    sections: list[SectionChange]
    report: str  # path of the report inside DIR
    archive_url: str | None = None

    @property
    def at(self) -> datetime:
        return self.new.taken_at

    @property
    def words(self) -> int:
        return sum(c.words_added + c.words_removed for c in self.sections)

    @property
    def from_archive(self) -> bool:
        return self.new.fetch.archived_from is not None


@dataclass
class SiteWatch:
    id: str
    title: str
    url: str
    state: WatchState
    changes: list[SiteChange] = field(default_factory=list)  # newest first

    @property
    def failing(self) -> bool:
        return self.state.consecutive_failures > 0 or self.state.last_status in ("error", "suspect")

    @property
    def status(self) -> str:
        if self.failing:
            return f"failing: {self.state.last_error or self.state.last_status}"
        return self.state.last_status or "not checked yet"


def _strongest(changes: list[SectionChange]) -> str:
    return max((c.kind for c in changes), key=CHANGE_KINDS.index)


def _pairs(
    store: SnapshotStore, watch: Watch
) -> Iterator[tuple[SnapshotRecord, Document, SnapshotRecord, Document]]:
    """Consecutive snapshots with their documents, each document read once."""
    history = store.history(watch.id)
    docs: dict[str, Document] = {}

    def load(record: SnapshotRecord) -> Document:
        if record.content_hash not in docs:
            if len(docs) > 2:  # only the last pair is needed: memory stays flat
                docs.clear()
            docs[record.content_hash] = store.document(watch.id, record.content_hash)
        return docs[record.content_hash]

    for old, new in itertools.pairwise(history):
        yield old, load(old), new, load(new)


def watch_changes(store: SnapshotStore, watch: Watch, out: Path) -> list[SiteChange]:
    """Every change of a watch, newest first, with its report copied (or rendered) into `out`."""
    stored = {e.to_snapshot: e for e in Outbox(store).events(watch.id) if e.report}
    changes = []
    for old, before, new, after in _pairs(store, watch):
        report = f"reports/{watch.id}/{new.id}.html"
        if new.edition != old.edition:
            kind, sections = "new-edition", []
        else:
            diff = diff_prepared(before, after, watch.sections, watch.ignore)
            sections = diff.alerts
            if not sections:
                continue
            kind = _strongest(sections)
        html = _report_html(store, stored.get(new.id), watch, old, before, new, after)
        archived = store.archive_url(watch.id, new)
        atomic_write(out / report, with_archive_link(html, archived) if archived else html)
        change = SiteChange(old, new, kind, sections, report, archived)
        changes.append(change)
    return changes[::-1]


def _report_html(
    store: SnapshotStore,
    event: ChangeEvent | None,
    watch: Watch,
    old: SnapshotRecord,
    before: Document,
    new: SnapshotRecord,
    after: Document,
) -> bytes:
    if event is not None and event.report:
        data = store.report_bytes(event.report)
        if data is not None:
            return data
    diff = diff_prepared(before, after, watch.sections, watch.ignore)
    html = render_report(
        watch.title or after.title,
        watch.url,
        ReportSide(old.taken_at, old.content_hash, before),
        ReportSide(new.taken_at, new.content_hash, after),
        diff,
    )
    return html.encode("utf-8")


def timeline_svg(
    changes: list[SiteChange], width: int = 880, height: int = 120
) -> list[dict[str, object]]:
    """Marks for the inline SVG timeline: x by time, radius by words changed, colour by kind."""
    if not changes:
        return []
    times = [c.at.timestamp() for c in changes]
    low, high = min(times), max(times)
    span = high - low or 1.0
    marks = []
    for change, moment in zip(changes, times, strict=True):
        x = 40 + (width - 80) * ((moment - low) / span if high > low else 0.5)
        radius = 4 + min(22.0, change.words**0.5)
        marks.append(
            {
                "x": round(x, 1),
                "y": height / 2,
                "r": round(radius, 1),
                "colour": KIND_COLOURS.get(change.kind, "#59636e"),
                "change": change,
            }
        )
    return marks


def section_history(watch: SiteWatch) -> list[tuple[str, list[tuple[SiteChange, str]]]]:
    """Each section's changes, newest first; sections in the order they first changed."""
    by_section: dict[str, list[tuple[SiteChange, str]]] = {}
    for change in watch.changes:
        for section in change.sections:
            by_section.setdefault(section.heading, []).append((change, change_label(section)))
    return list(by_section.items())


def build_site(config: Config, store: SnapshotStore, out: Path) -> list[SiteWatch]:
    """Write the whole site into `out`; returns what it showed."""
    env = environment()
    watches = []
    for watch in select_watches(config, None, store):  # auto-watched publications included
        state = store.state(watch.id)
        site_watch = SiteWatch(
            watch.id,
            watch.title or state.title or watch.id,
            watch.url,
            state,
            watch_changes(store, watch, out),
        )
        watches.append(site_watch)
        html = env.get_template("site_watch.html.j2").render(
            watch=site_watch,
            marks=timeline_svg(site_watch.changes),
            sections=section_history(site_watch),
            colours=KIND_COLOURS,
        )
        atomic_write(out / "watches" / f"{watch.id}.html", html.encode("utf-8"))
    index = env.get_template("site_index.html.j2").render(watches=watches)
    atomic_write(out / "index.html", index.encode("utf-8"))
    atomic_write(out / "feed.xml", _feed(store, watches))
    return watches


def _feed(store: SnapshotStore, watches: list[SiteWatch]) -> bytes:
    """Every watch's change events, linking the copied reports (relative to feed.xml)."""
    entries = []
    for watch in watches:
        reports = {c.new.id: c.report for c in watch.changes}
        for event in Outbox(store).events(watch.id):
            url = store.archive_save(watch.id, event.to_snapshot) if event.to_snapshot else None
            if url is not None and url.archive_url:
                event = event.model_copy(update={"archive_url": url.archive_url})
            entries.append(event_entry(event, reports.get(event.to_snapshot or "")))
    entries.sort(key=lambda e: str(e.findtext("{http://www.w3.org/2005/Atom}updated")))
    return feed_bytes(
        "urn:rightswatch:site", "rightswatch: every watch", entries[-FEED_ENTRIES:], "feed.xml"
    )
