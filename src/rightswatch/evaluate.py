"""The pure half of a check: a watch's state, what the fetch returned and the baseline in, one
outcome value out. No I/O, no clock, no Prefect: commit.py does the writes an outcome asks for.

The baseline document is only needed when a page really has to be diffed; `needs_baseline`
says when, so a 304 or an identical body costs a small state file, not an 80 KB document.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from rightswatch.baseline import Base, Fetched
from rightswatch.config import GuardSettings, Watch
from rightswatch.diff import DocumentDiff, diff_prepared
from rightswatch.document import Document
from rightswatch.editions import edition_label, rolled_over
from rightswatch.extract import ExtractError, ExtractOptions, extract_page
from rightswatch.fetch import FetchError, NotModified, Page
from rightswatch.guard import assess, assess_static
from rightswatch.health import healthy, unhealthy
from rightswatch.outbox import ChangeEvent
from rightswatch.store import WatchState

__all__ = [
    "Accepted",
    "Base",
    "Baseline",
    "Changed",
    "Edition",
    "Failed",
    "Fetched",
    "Outcome",
    "Rules",
    "Suspect",
    "Unchanged",
    "evaluate",
    "needs_baseline",
]


@dataclass(frozen=True)
class Rules:
    """The parts of the config a check's decisions depend on, and the run it belongs to."""

    guard: GuardSettings
    alert_after: int
    run_id: str


@dataclass(frozen=True)
class Accepted:
    """A document fit to become the new snapshot, with the page it came from."""

    doc: Document
    page: Page


@dataclass(frozen=True)
class _Outcome:
    title: str
    state: WatchState  # the state to save; commit points its baseline at the new snapshot
    notices: tuple[ChangeEvent, ...]  # health notices due with this check
    base: Base


@dataclass(frozen=True)
class Baseline(_Outcome):
    """The first good snapshot of a watch."""

    new: Accepted


@dataclass(frozen=True)
class Unchanged(_Outcome):
    """Nothing to alert; `new` is a snapshot to keep anyway (typography-only edits)."""

    not_modified: bool = False
    new: Accepted | None = None
    minor: int = 0


@dataclass(frozen=True)
class Changed(_Outcome):
    """Sections changed: a change event and a change report."""

    new: Accepted
    diff: DocumentDiff


@dataclass(frozen=True)
class Edition(_Outcome):
    """The page rolled over to a new edition: one notice, a new edition line."""

    new: Accepted


@dataclass(frozen=True)
class Suspect(_Outcome):
    """A page unfit to be a baseline; it is kept for inspection, never as a snapshot."""

    error: str
    page: Page | None  # None for an index, whose page is not kept


@dataclass(frozen=True)
class Failed(_Outcome):
    """The page could not be fetched or parsed."""

    error: str
    retryable: bool = False


Outcome = Baseline | Unchanged | Changed | Edition | Suspect | Failed


# One parse at a time per process. lxml gives up the GIL inside its parser and takes it back for
# every element it hands to BeautifulSoup, so parses in several threads pass the GIL to and fro
# thousands of times a page: measured here, 300 parses on 10 threads took 2.2x the CPU and 1.8x
# the wall time of the same parses one after another. Fetches and writes still overlap them.
_PARSING = threading.Lock()


def read_page(watch: Watch, page: Page) -> Document:
    """The watch's document of a page (HTML or PDF, by its type), with the watch's profile and
    selectors. Any failure is an ExtractError: a page that breaks the parser breaks no run."""
    try:
        with _PARSING:
            return extract_page(
                page,
                watch.url,
                profile=watch.profile,
                options=ExtractOptions(content=watch.content, heading=watch.heading),
            )
    except ExtractError:
        raise
    except Exception as exc:
        raise ExtractError(
            f"{watch.url}: could not parse the page ({type(exc).__name__}: {exc})"
        ) from None


def needs_baseline(state: WatchState, fetched: Fetched, base: Base) -> bool:
    """Whether `evaluate` will diff, so the caller must load the baseline's document first."""
    return (
        base.hash is not None
        and isinstance(fetched, Page)
        and fetched.sha256 != state.last_raw_sha256
    )


def evaluate(
    watch: Watch,
    state: WatchState,
    fetched: Fetched,
    base: Base,
    rules: Rules,
    now: datetime,
) -> Outcome:
    """Decide what one check of a page found."""
    title = watch.title or state.title or watch.id
    if isinstance(fetched, FetchError):
        return _failed(watch, state, now, base, title, rules, str(fetched), fetched.retryable)
    if isinstance(fetched, NotModified) or (
        base.hash is not None and fetched.sha256 == state.last_raw_sha256
    ):  # a 304, or the same bytes: nothing to parse
        new_state, notices = healthy(watch, state, now, "unchanged", fetched.validators, title)
        return Unchanged(
            title, new_state, notices, base, not_modified=isinstance(fetched, NotModified)
        )
    try:
        doc = read_page(watch, fetched)
    except ExtractError as exc:
        return _failed(watch, state, now, base, title, rules, str(exc))
    if not watch.title and doc.title:
        title = doc.title
    return _judge(watch, state, fetched, doc, base, rules, now, title)


def _judge(
    watch: Watch,
    state: WatchState,
    page: Page,
    doc: Document,
    base: Base,
    rules: Rules,
    now: datetime,
    title: str,
) -> Outcome:
    """Guard the extracted document, then compare it with the baseline."""
    rolled = base.doc is not None and rolled_over(base.doc, doc)
    if base.doc is not None and not rolled and _reprofiled(base.doc, doc):
        base = Base(base.id, base.hash)  # read by another profile: a quiet new baseline
    state, error = _guard(watch, state, page, doc, base.doc if not rolled else None, rules)
    if error is not None:
        new_state, notices = unhealthy(
            watch, state, now, "suspect", error, title, rules.run_id, rules.alert_after
        )
        return Suspect(title, new_state, notices, base, error, page)
    accepted = Accepted(doc, page)
    edition = edition_label(doc) if base.doc is None or rolled else state.edition
    diff = (
        None
        if base.doc is None or rolled
        else diff_prepared(base.doc, doc, watch.sections, watch.ignore, watch.lang)
    )
    status = "baseline" if base.doc is None else "edition" if rolled else "unchanged"
    if diff is not None and diff.alerts:
        status = "changed"
    state = state.model_copy(
        update={"edition": edition, "title": title, "last_raw_sha256": page.sha256}
    )
    new_state, notices = healthy(watch, state, now, status, page.validators, title)
    if diff is None:
        kind = Baseline if base.doc is None else Edition
        return kind(title, new_state, notices, base, accepted)
    if diff.alerts:
        return Changed(title, new_state, notices, base, accepted, diff)
    minor = len(diff.changes)
    return Unchanged(title, new_state, notices, base, new=accepted, minor=minor)


def _guard(
    watch: Watch,
    state: WatchState,
    page: Page,
    doc: Document,
    before: Document | None,
    rules: Rules,
) -> tuple[WatchState, str | None]:
    """The state with the suspect streak counted, and the error of a page unfit to accept.
    `before` is None for a new edition: it is not compared with last year's size, only the
    absolute checks apply. A page whose scripts build its content is never a baseline."""
    static = watch.render == "static" and page.content_type != "application/pdf"
    verdict = (assess_static(page.text, doc) if static else None) or assess(
        doc, before, rules.guard
    )
    if verdict is None:
        return state, None
    content_hash = doc.content_hash()
    same = verdict.may_persist and state.suspect_hash == content_hash
    count = state.suspect_count + 1 if same else 1
    state = state.model_copy(update={"suspect_hash": content_hash, "suspect_count": count})
    after = rules.guard.accept_after
    if not verdict.may_persist or count < after:
        runs = f" (seen {count} of {after} runs)" if verdict.may_persist else ""
        return state, f"{watch.url}: suspect page: {verdict.reason}{runs}"
    return state, None


def _reprofiled(old: Document, new: Document) -> bool:
    """The baseline was read by another profile (an upgrade taught `auto` this publisher, or
    the config changed): comparing the two outlines would alert on every section."""
    return bool(old.profile) and old.profile != new.profile


def _failed(
    watch: Watch,
    state: WatchState,
    now: datetime,
    base: Base,
    title: str,
    rules: Rules,
    error: str,
    retryable: bool = False,
) -> Failed:
    new_state, notices = unhealthy(
        watch, state, now, "error", error, title, rules.run_id, rules.alert_after
    )
    return Failed(title, new_state, notices, base, error, retryable)
