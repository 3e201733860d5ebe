"""The snapshot store: content addressing, history, refs, atomic writes, locks."""

from __future__ import annotations

import gzip
import hashlib
import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from rightswatch.document import Document
from rightswatch.extract import extract
from rightswatch.store import (
    FetchInfo,
    LockTimeout,
    SnapshotStore,
    StoreError,
    WatchState,
    open_store,
)
from rightswatch.store.blobs import LocalBlobs

FIXTURES = Path(__file__).parent / "fixtures"
URL = "https://www.hrw.org/world-report/2021/country-chapters/kazakhstan"
T0 = datetime(2021, 1, 13, 10, 0, tzinfo=UTC)


def page(name: str) -> tuple[bytes, Document]:
    path = FIXTURES / ("hrw_kazakhstan_2021.html" if name == "base" else f"pairs/{name}.html")
    raw = path.read_bytes()
    return raw, extract(raw.decode("utf-8"), URL)


def info(raw: bytes, at: datetime) -> FetchInfo:
    return FetchInfo(
        fetched_at=at,
        status=200,
        final_url=URL,
        etag='"e1"',
        last_modified="Wed, 13 Jan 2021 10:00:00 GMT",
        raw_sha256=hashlib.sha256(raw).hexdigest(),
        encoding="utf-8",
    )


def test_distinct_documents_are_stored_once_and_unchanged_adds_nothing(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    raw, base = page("base")
    first = store.record("kz", base, info(raw, T0), raw)
    again = store.record("kz", base, info(raw, T0 + timedelta(days=1)), raw)
    assert again == first
    raw2, edited = page("torture_number")
    second = store.record("kz", edited, info(raw2, T0 + timedelta(days=2)), raw2)
    assert [r.id for r in store.history("kz")] == [first.id, second.id]
    assert len(list((tmp_path / "kz" / "docs").iterdir())) == 2
    assert store.document("kz", first.content_hash) == base
    assert store.raw("kz", first.fetch.raw_sha256 or "") == raw
    # Back to the first text: a new history entry, but the document is not stored again.
    third = store.record("kz", base, info(raw, T0 + timedelta(days=3)), raw)
    assert third.content_hash == first.content_hash
    assert third.id != first.id
    assert len(list((tmp_path / "kz" / "docs").iterdir())) == 2
    assert (
        gzip.decompress(
            (tmp_path / "kz" / "raw" / f"{first.fetch.raw_sha256}.html.gz").read_bytes()
        )
        == raw
    )


def test_fetch_metadata_is_kept_with_each_snapshot(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    raw, base = page("base")
    record = store.record("kz", base, info(raw, T0), raw)
    loaded = store.history("kz")[0]
    assert loaded == record
    assert loaded.fetch.etag == '"e1"'
    assert loaded.fetch.final_url == URL
    assert loaded.fetch.raw_sha256 == hashlib.sha256(raw).hexdigest()
    assert (loaded.sections, loaded.title) == (15, "World Report 2021: Kazakhstan")


def test_raw_pages_are_not_kept_when_disabled(tmp_path: Path) -> None:
    store = open_store(tmp_path, keep_raw=False)
    raw, base = page("base")
    store.record("kz", base, info(raw, T0), raw)
    assert not (tmp_path / "kz" / "raw").exists()


def test_state_round_trips(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    assert store.state("kz") == WatchState(watch_id="kz")
    state = WatchState(
        watch_id="kz",
        last_check=T0,
        last_good="x",
        etag='"e"',
        consecutive_failures=2,
        last_error="HTTP 503",
    )
    store.save_state(state)
    saved = store.state("kz")
    assert saved.swept_at is not None  # the first write cleared leftovers (see below)
    assert saved.model_copy(update={"swept_at": None}) == state
    assert not [p for p in (tmp_path / "kz").iterdir() if p.name.endswith(".tmp")]


def test_refs_resolve_latest_time_prefix_and_short_hash(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    recs = []
    for n, name in enumerate(["base", "torture_number", "expression_sentence"]):
        raw, doc = page(name)
        recs.append(store.record("kz", doc, info(raw, T0 + timedelta(days=n)), raw))
    assert store.resolve("kz", "latest") == recs[2]
    assert store.resolve("kz", "latest~2") == recs[0]
    assert store.resolve("kz", "2021-01-14") == recs[1]
    assert store.resolve("kz", "2021-01-14T10:00") == recs[1]
    assert store.resolve("kz", recs[0].content_hash[:7]) == recs[0]
    for bad in ("latest~3", "1999-01-01", "zzzz"):
        with pytest.raises(StoreError, match=f"no snapshot of 'kz' matches '{bad}'"):
            store.resolve("kz", bad)


def test_watch_ids_cannot_escape_the_store(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    for bad in ("../etc", "a/b", "", "UPPER"):
        with pytest.raises(StoreError, match="is not a valid watch id"):
            store.state(bad)


def test_lock_excludes_a_second_process(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    script = textwrap.dedent(f"""
        import sys, time
        from rightswatch.store import open_store
        with open_store({str(tmp_path)!r}).lock("kz"):
            print("locked", flush=True)
            time.sleep(30)
    """)
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "locked"
        with (
            pytest.raises(LockTimeout, match="held by another rightswatch run"),
            store.lock("kz", timeout=0.2),
        ):
            pass
    finally:
        child.kill()
        child.wait(timeout=10)
    with store.lock("kz", timeout=5):  # a killed holder's lock is released by the OS
        pass


KILLER = textwrap.dedent("""
    import os, signal, sys, hashlib
    from datetime import datetime, UTC
    from pathlib import Path
    import rightswatch.store.blobs as blobs
    from rightswatch.extract import extract
    from rightswatch.store import FetchInfo, WatchState, open_store

    root, html_path, kill_at = sys.argv[1], sys.argv[2], int(sys.argv[3])
    calls = 0
    def interrupted(tmp, target):
        global calls
        calls += 1
        if calls == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)  # between the temp write and the rename
    blobs._before_rename = interrupted
    raw = Path(html_path).read_bytes()
    doc = extract(raw.decode(), "https://www.hrw.org/x")
    store = open_store(root)
    fetch = FetchInfo(fetched_at=datetime.now(UTC), status=200, final_url="https://www.hrw.org/x",
                      raw_sha256=hashlib.sha256(raw).hexdigest())
    with store.lock("kz"):
        record = store.record("kz", doc, fetch, raw)
        store.save_state(WatchState(watch_id="kz", last_good=record.id,
                                    last_good_hash=record.content_hash))
    print("finished")
""")


@pytest.mark.parametrize("kill_at", [1, 2, 3, 4])
def test_writer_killed_between_temp_write_and_rename_leaves_a_loadable_store(
    tmp_path: Path, kill_at: int
) -> None:
    store = open_store(tmp_path)
    raw, base = page("base")
    baseline = store.record("kz", base, info(raw, T0), raw)
    store.save_state(
        WatchState(watch_id="kz", last_good=baseline.id, last_good_hash=baseline.content_hash)
    )
    edited = FIXTURES / "pairs" / "torture_number.html"
    proc = subprocess.run(
        [sys.executable, "-c", KILLER, str(tmp_path), str(edited), str(kill_at)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    # Whatever step died, everything present loads and the baseline is intact or advanced whole.
    state = store.state("kz")
    assert state.last_good_hash is not None
    assert store.document("kz", state.last_good_hash).sections
    for record in store.history("kz"):
        assert store.document("kz", record.content_hash).title == "World Report 2021: Kazakhstan"
    leftovers = [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]
    assert all(p.name.startswith(".") for p in leftovers)  # only hidden temp files, never read
    # The next run finishes the work without duplicating anything.
    rerun = subprocess.run(
        [sys.executable, "-c", KILLER, str(tmp_path), str(edited), "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert rerun.returncode == 0, rerun.stderr
    hashes = [r.content_hash for r in store.history("kz")]
    assert len(hashes) == 2
    assert len(set(hashes)) == 2
    assert store.state("kz").last_good_hash == hashes[1]
    assert os.listdir(tmp_path / "kz" / "docs")
    assert isinstance(store, SnapshotStore)


def test_stale_temp_files_of_killed_writers_are_swept_when_the_state_is_written(
    tmp_path: Path,
) -> None:
    store = open_store(tmp_path)
    raw, base = page("base")
    store.record("kz", base, info(raw, T0), raw)
    stale = tmp_path / "kz" / "docs" / ".abc.json.gz.x1.tmp"
    fresh = tmp_path / "kz" / "snapshots" / ".def.json.x2.tmp"
    for leftover in (stale, fresh):
        leftover.write_bytes(b"partial")
    os.utime(stale, (1_000_000_000, 1_000_000_000))  # long ago
    with store.lock("kz"):
        assert stale.exists()  # an unchanged check (no state write) does not walk the folder
        store.save_state(store.state("kz"))
    assert not stale.exists()
    assert fresh.exists()  # could still belong to a live writer
    assert store.history("kz")
    assert store.document("kz", store.history("kz")[0].content_hash)
    # ...so the next write looks again rather than waiting a day
    assert store.state("kz").swept_at is None
    os.utime(fresh, (1_000_000_000, 1_000_000_000))
    with store.lock("kz"):
        store.save_state(store.state("kz").model_copy(update={"title": "Kazakhstan"}))
    assert not fresh.exists()
    assert store.state("kz").title == "Kazakhstan"


def test_the_walk_for_leftover_temp_files_runs_at_most_once_a_day(tmp_path: Path) -> None:
    """It reads every file name of the watch's history; a time in the future (another
    machine's clock) or with no zone (a hand-edited state.json) does not stop it."""
    store = open_store(tmp_path)
    raw, base = page("base")
    store.record("kz", base, info(raw, T0), raw)
    store.save_state(store.state("kz"))
    swept = store.state("kz").swept_at
    assert swept is not None
    assert abs(datetime.now(UTC) - swept) < timedelta(minutes=1)
    leftover = tmp_path / "kz" / "docs" / ".abc.json.gz.x1.tmp"
    for when, cleared in (
        (swept, False),  # swept just now: not again today
        (swept - timedelta(days=1), True),
        (swept + timedelta(days=2), True),
        (swept.replace(tzinfo=None) - timedelta(days=1), True),
        (swept.replace(tzinfo=None), False),
    ):
        leftover.write_bytes(b"partial")
        os.utime(leftover, (1_000_000_000, 1_000_000_000))
        store.save_state(store.state("kz").model_copy(update={"swept_at": when}))
        assert leftover.exists() is not cleared, when
        now = store.state("kz").swept_at
        assert now is not None
        assert (now == when) is not cleared


def test_paths_leading_out_of_the_store_are_refused(tmp_path: Path) -> None:
    """Also for a folder met for the first time beneath one already known, and for a folder
    that is a symlink to somewhere else."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "kz").mkdir()
    os.symlink(outside, tmp_path / "store" / "kz" / "linked")
    blobs = LocalBlobs(tmp_path / "store")
    blobs.write("kz/raw/page.gz", b"kept")  # kz is known from here on
    for path in ("/etc/passwd", "../x", "kz/../../x", "kz/linked/x", "kz/linked/deeper/x"):
        with pytest.raises(ValueError, match="outside the store") as refused:
            blobs.write(path, b"escaped")
        assert repr(path) in str(refused.value)
    assert list(outside.iterdir()) == []
    blobs.write("kz/../ua/state.json", b"{}")
    assert (tmp_path / "store" / "ua" / "state.json").read_bytes() == b"{}"
    assert blobs.read("kz/raw/page.gz") == b"kept"
