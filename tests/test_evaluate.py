"""The check core in two steps: evaluate() is pure (values in, one outcome out, nothing
written), commit() does the writes in the crash-safe order for any outcome."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import FrozenInstanceError
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from rightswatch import check as check_module
from rightswatch.check import CheckContext, check_watch
from rightswatch.commit import commit
from rightswatch.config import GuardSettings, Watch, parse_config
from rightswatch.deliver import deliver_channel
from rightswatch.evaluate import (
    Base,
    Baseline,
    Changed,
    Edition,
    Failed,
    Rules,
    Suspect,
    Unchanged,
    evaluate,
    needs_baseline,
)
from rightswatch.extract import extract
from rightswatch.fetch import Fetcher, FetchError, NotModified, Page, Validators
from rightswatch.outbox import Outbox
from rightswatch.store import LocalBlobs, SnapshotStore, WatchState
from tests.loopback import Loopback

FIXTURES = Path(__file__).parent / "fixtures"
BASE = (FIXTURES / "hrw_kazakhstan_2021.html").read_bytes()
CHANGED = (FIXTURES / "pairs" / "torture_number.html").read_bytes()
TYPOGRAPHY = (FIXTURES / "pairs" / "typography_only.html").read_bytes()
NEXT_YEAR = (FIXTURES / "pairs" / "section_inserted.html").read_bytes().replace(b"2021", b"2022")
URL = "http://127.0.0.1:1/world-report/2021/country-chapters/kazakhstan"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
WATCH = Watch(id="kz", url=URL, profile="hrw-world-report", channels=["console"])
RULES = Rules(GuardSettings(), alert_after=2, run_id="run-1")


def page(body: bytes, etag: str | None = None, at: datetime = NOW) -> Page:
    return Page(URL, URL, 200, "text/html", body, body.decode(), "utf-8", Validators(etag), at, 0.1)


def base_of(body: bytes) -> Base:
    doc = extract(body.decode(), URL, profile="hrw-world-report")
    return Base("20260201T000000000000Z-" + doc.content_hash()[:12], doc.content_hash(), doc)


def good_state(body: bytes) -> WatchState:
    base = base_of(body)
    raw = hashlib.sha256(body).hexdigest()
    return WatchState(
        watch_id="kz", last_good=base.id, last_good_hash=base.hash, last_raw_sha256=raw
    )


def test_a_first_page_is_a_baseline_carrying_the_document_and_a_healthy_state() -> None:
    state = WatchState(watch_id="kz")
    outcome = evaluate(WATCH, state, page(BASE, etag='"v1"'), Base(None, None), RULES, NOW)
    assert isinstance(outcome, Baseline)
    assert outcome.new.doc.title == "World Report 2021: Kazakhstan"
    assert outcome.title == outcome.new.doc.title
    assert outcome.notices == ()
    assert (outcome.state.last_status, outcome.state.etag) == ("baseline", '"v1"')
    assert outcome.state.edition == "2021"
    assert state == WatchState(watch_id="kz")  # the input state is not touched


def test_a_304_and_the_same_bytes_are_unchanged_without_needing_the_baseline() -> None:
    state = good_state(BASE)
    base = Base(state.last_good, state.last_good_hash)
    not_modified = NotModified(URL, Validators('"v1"'), NOW, 0.1)
    assert not needs_baseline(state, not_modified, base)
    assert not needs_baseline(state, page(BASE), base)
    assert needs_baseline(state, page(CHANGED), base)
    first = evaluate(WATCH, state, not_modified, base, RULES, NOW)
    second = evaluate(WATCH, state, page(BASE), base, RULES, NOW)
    assert isinstance(first, Unchanged)
    assert first.not_modified
    assert first.new is None
    assert isinstance(second, Unchanged)
    assert not second.not_modified
    assert second.new is None


def test_an_edit_is_a_change_with_its_diff_and_typography_is_a_minor_snapshot() -> None:
    state, base = good_state(BASE), base_of(BASE)
    changed = evaluate(WATCH, state, page(CHANGED), base, RULES, NOW)
    assert isinstance(changed, Changed)
    assert [c.kind for c in changed.diff.alerts] == ["modified"]
    assert changed.state.last_status == "changed"
    minor = evaluate(WATCH, state, page(TYPOGRAPHY), base, RULES, NOW)
    assert isinstance(minor, Unchanged)
    assert minor.new is not None
    assert minor.minor > 0


def test_a_new_year_is_an_edition() -> None:
    outcome = evaluate(WATCH, good_state(BASE), page(NEXT_YEAR), base_of(BASE), RULES, NOW)
    assert isinstance(outcome, Edition)
    assert outcome.state.edition == "2022"


def test_failures_count_once_per_run_and_notice_once_when_the_streak_is_long() -> None:
    error = FetchError(URL, "http", "HTTP 503", status=503, retryable=True)
    state, base = good_state(BASE), base_of(BASE)
    first = evaluate(WATCH, state, error, base, RULES, NOW)
    assert isinstance(first, Failed)
    assert first.retryable
    assert first.notices == ()
    again = evaluate(WATCH, first.state, error, base, RULES, NOW)  # a retry in the same run
    assert again.state.consecutive_failures == 1
    assert again.notices == ()
    later = NOW + timedelta(days=1)
    next_run = Rules(RULES.guard, RULES.alert_after, "run-2")
    second = evaluate(WATCH, first.state, error, base, next_run, later)
    assert second.state.consecutive_failures == 2
    assert second.state.failing_notified
    [notice] = second.notices
    assert notice.kind == "failing"
    assert notice.id == f"failing-{NOW:%Y%m%dT%H%M%S%f}"
    back = evaluate(WATCH, second.state, page(BASE), base, next_run, later)
    assert isinstance(back, Unchanged)
    assert [n.kind for n in back.notices] == ["recovered"]
    assert back.state.consecutive_failures == 0
    assert not back.state.failing_notified


def test_a_gutted_page_is_suspect_and_the_outcome_cannot_be_changed() -> None:
    gutted = BASE[: len(BASE) // 6] + b"</body></html>"
    outcome = evaluate(WATCH, good_state(BASE), page(gutted), base_of(BASE), RULES, NOW)
    assert isinstance(outcome, Suspect)
    assert "suspect page" in outcome.error
    assert outcome.page is not None
    assert outcome.page.body == gutted
    with pytest.raises(FrozenInstanceError):
        outcome.error = "changed"  # type: ignore[misc]


class Recording(LocalBlobs):
    """Local blobs that remember the order of writes."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.writes: list[str] = []

    def write(self, path: str, data: bytes) -> None:
        self.writes.append(path)
        super().write(path, data)


def _kind(path: str) -> str:
    if path.startswith(".pending/"):
        return "pending"
    return path.split("/")[1] if "/" in path else path


def test_commit_writes_snapshot_then_event_then_state(tmp_path: Path) -> None:
    blobs = Recording(tmp_path)
    store = SnapshotStore(blobs)
    outbox = Outbox(store)
    first = evaluate(WATCH, WatchState(watch_id="kz"), page(BASE), Base(None, None), RULES, NOW)
    done = commit(store, outbox, WATCH, first, NOW)
    assert done.record is not None
    assert done.event is None
    assert done.report is None
    assert [_kind(p) for p in blobs.writes] == ["raw", "docs", "snapshots", "state.json"]
    blobs.writes.clear()

    state = store.state("kz")
    base = Base(
        state.last_good, state.last_good_hash, store.document("kz", done.record.content_hash)
    )
    later = NOW + timedelta(days=1)
    changed = evaluate(WATCH, state, page(CHANGED, at=later), base, RULES, later)
    done = commit(store, outbox, WATCH, changed, later)
    # the event, then its channel's pending entry, then the state that moves the baseline
    kinds = [_kind(p) for p in blobs.writes]
    assert kinds == ["raw", "docs", "snapshots", "outbox", "pending", "state.json"]
    assert done.event is not None
    assert done.event.to_snapshot == done.record.id  # type: ignore[union-attr]
    assert done.report is not None
    assert done.report.path == done.event.report
    assert not blobs.exists(done.report.path)  # written by the caller, after the lock
    assert store.state("kz").last_good == done.record.id  # type: ignore[union-attr]


def test_commit_of_a_suspect_keeps_the_page_then_notices_then_state(tmp_path: Path) -> None:
    blobs = Recording(tmp_path)
    store = SnapshotStore(blobs)
    state = good_state(BASE).model_copy(update={"consecutive_failures": 1, "last_failed_run": "x"})
    gutted = BASE[: len(BASE) // 6] + b"</body></html>"
    outcome = evaluate(WATCH, state, page(gutted), base_of(BASE), RULES, NOW)
    assert isinstance(outcome, Suspect)
    assert len(outcome.notices) == 1
    commit(store, Outbox(store), WATCH, outcome, NOW)
    assert [_kind(p) for p in blobs.writes] == ["suspect", "outbox", "pending", "state.json"]
    assert store.latest("kz") is None  # a suspect page never becomes a snapshot


def test_an_unchanged_check_writes_nothing_per_watch_until_the_run_writes_its_log(
    tmp_path: Path,
) -> None:
    blobs = Recording(tmp_path)
    store = SnapshotStore(blobs)
    first = evaluate(WATCH, WatchState(watch_id="kz"), page(BASE), Base(None, None), RULES, NOW)
    commit(store, Outbox(store), WATCH, first, NOW)
    blobs.writes.clear()
    later = NOW + timedelta(hours=1)
    before = store.state("kz")
    again = evaluate(WATCH, before, page(BASE, at=later), base_of(BASE), RULES, later)
    assert isinstance(again, Unchanged)
    commit(store, Outbox(store), WATCH, again, later, before=before)
    assert blobs.writes == []  # no state.json rewrite for an unchanged watch
    assert store.state("kz").last_check == later  # this run already reads its own check
    assert store.flush_checks()
    assert [p.split("/")[0] for p in blobs.writes] == [".checks"]
    reopened = SnapshotStore(LocalBlobs(tmp_path))  # the next run
    state = reopened.state("kz")
    assert state.last_check == later
    assert state.last_good == before.last_good
    # the state file still holds the older check; the run's log holds the newer one
    on_disk = WatchState.model_validate_json((tmp_path / "kz" / "state.json").read_bytes())
    assert on_disk.last_check == NOW


def test_a_failure_after_an_unchanged_run_is_written_to_the_state_file(tmp_path: Path) -> None:
    store = SnapshotStore(LocalBlobs(tmp_path))
    first = evaluate(WATCH, WatchState(watch_id="kz"), page(BASE), Base(None, None), RULES, NOW)
    commit(store, Outbox(store), WATCH, first, NOW)
    later = NOW + timedelta(hours=1)
    before = store.state("kz")
    again = evaluate(WATCH, before, page(BASE, at=later), base_of(BASE), RULES, later)
    commit(store, Outbox(store), WATCH, again, later, before=before)
    store.flush_checks()
    store = SnapshotStore(LocalBlobs(tmp_path))
    after = NOW + timedelta(hours=2)
    before = store.state("kz")
    error = FetchError(URL, "http", "HTTP 503", status=503, retryable=True)
    failed = evaluate(WATCH, before, error, base_of(BASE), RULES, after)
    commit(store, Outbox(store), WATCH, failed, after, before=before)
    state = SnapshotStore(LocalBlobs(tmp_path)).state("kz")
    assert state.consecutive_failures == 1
    assert state.last_check == after


def test_loading_a_config_imports_no_html_parser(tmp_path: Path) -> None:
    """Nor croniter (it runs a subprocess when it loads) when no schedule is set: every
    command loads the config before its first request."""
    config = tmp_path / "rw.yaml"
    config.write_text(f"watches:\n  - {{id: kz, url: '{URL}', profile: hrw-world-report}}\n")
    code = (
        "import sys; from rightswatch.config import load_config; "
        f"load_config({str(config)!r}); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('bs4', 'lxml', 'croniter')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


class LockWatching(Recording):
    """Also records, for each write, whether the watch's lock was held at the time."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.held = False
        self.under_lock: dict[str, bool] = {}

    @contextmanager
    def lock(self, name: str, timeout: float) -> Iterator[None]:
        with super().lock(name, timeout):
            self.held = True
            try:
                yield
            finally:
                self.held = False

    def write(self, path: str, data: bytes) -> None:
        self.under_lock[path] = self.held
        super().write(path, data)


def test_check_watch_writes_the_change_report_after_releasing_the_lock(
    tmp_path: Path, loopback: Loopback
) -> None:
    url = loopback.page("/kz", BASE)
    config = parse_config(
        f"snapshots: {tmp_path / 's'}\nfetch: {{per_host_delay: 0, retries: 0, timeout: 5}}\n"
        f"watches:\n  - {{id: kz, url: '{url}', profile: hrw-world-report}}\n"
    )
    blobs = LockWatching(tmp_path / "s")
    ctx = CheckContext(config=config, store=SnapshotStore(blobs), fetcher=Fetcher(config.fetch))
    try:
        assert check_watch(config.watches[0], ctx).status == "baseline"
        loopback.page("/kz", CHANGED)
        result = check_watch(config.watches[0], ctx)
    finally:
        ctx.close()
    assert result.status == "changed"
    assert result.event is not None
    assert result.event.report
    assert blobs.under_lock[result.event.report] is False  # rendered outside the lock
    assert "<ins>152</ins>" in (tmp_path / "s" / result.event.report).read_text()
    state = blobs.under_lock["kz/state.json"]
    assert state is True  # the commit itself ran under the lock


class Crash(BaseException):
    """The process dying at this point."""


def test_a_report_a_crash_kept_from_being_written_is_written_before_its_digest(
    tmp_path: Path, loopback: Loopback, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = loopback.page("/kz", BASE)
    config = parse_config(
        f"snapshots: {tmp_path / 's'}\nfetch: {{per_host_delay: 0, retries: 0, timeout: 5}}\n"
        "defaults: {channels: [c]}\nchannels:\n  c: {type: console}\n"
        f"watches:\n  - {{id: kz, url: '{url}', profile: hrw-world-report}}\n"
    )
    store = SnapshotStore(LocalBlobs(tmp_path / "s"))
    ctx = CheckContext(config=config, store=store, fetcher=Fetcher(config.fetch))
    try:
        check_watch(config.watches[0], ctx)
        loopback.page("/kz", CHANGED)

        def crash(*_: object) -> str:
            raise Crash

        monkeypatch.setattr(check_module, "write_change_report", crash)
        with pytest.raises(Crash):
            check_watch(config.watches[0], ctx)
        monkeypatch.undo()
    finally:
        ctx.close()
    [event] = Outbox(store).pending()
    assert event.report
    assert not (tmp_path / "s" / event.report).exists()
    assert deliver_channel("c", config, Outbox(store)).status == "sent"
    assert "<ins>152</ins>" in (tmp_path / "s" / event.report).read_text()


def test_a_baseline_read_by_another_profile_becomes_a_quiet_new_baseline() -> None:
    """After an upgrade teaches `auto` a publisher, the old generic outline and the new one
    differ everywhere; that is no change of the page, so no alert, just a new baseline."""
    generic = extract(BASE.decode(), URL, profile="generic")
    assert generic.profile == "generic"
    old = Base(
        "20260201T000000000000Z-" + generic.content_hash()[:12], generic.content_hash(), generic
    )
    state = WatchState(
        watch_id="kz", last_good=old.id, last_good_hash=old.hash, last_raw_sha256="0"
    )
    outcome = evaluate(WATCH, state, page(CHANGED), old, RULES, NOW)
    assert isinstance(outcome, Baseline)
    assert outcome.new.doc.profile == "hrw-world-report"
    assert outcome.state.last_status == "baseline"
    # the same profile on both sides is compared as always
    same = evaluate(WATCH, good_state(BASE), page(CHANGED), base_of(BASE), RULES, NOW)
    assert isinstance(same, Changed)
