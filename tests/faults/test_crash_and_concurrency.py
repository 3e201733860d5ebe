"""kill -9 at seeded points of a run, and two runs at once: the store stays loadable, and the
next run finishes the work with no change lost and none reported twice."""

from __future__ import annotations

import itertools
import multiprocessing
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rightswatch.outbox import Outbox
from rightswatch.store import SnapshotStore, open_store
from tests.e2e.conftest import FIXTURES, ROOT
from tests.faults import run_core as core_runner
from tests.loopback import Loopback
from tests.peers import Receiver

RUNNER = ROOT / "tests" / "faults" / "run_core.py"
SEED = 20261125
KILL_POINTS = 24

PAGES = {
    "kz": (
        (FIXTURES / "hrw_kazakhstan_2021.html").read_bytes(),
        (FIXTURES / "pairs" / "torture_number.html").read_bytes(),
        "hrw-world-report",
    ),
    "kz-ru": (
        (FIXTURES / "hrw_kazakhstan_2021_ru.html").read_bytes(),
        (FIXTURES / "hrw_kazakhstan_2021_ru.html")
        .read_bytes()
        .replace("140 жалоб".encode("cp1251"), "152 жалоб".encode("cp1251")),
        "hrw-world-report",
    ),
    "article": (
        (FIXTURES / "generic_article.html").read_bytes(),
        (FIXTURES / "generic_article.html")
        .read_bytes()
        .replace(
            b"Restrictions on independent organizing persist.",
            b"Restrictions on independent organizing persist, and two union leaders were jailed.",
        ),
        "generic",
    ),
}


# Runs are forked from a process that has imported the core once: a kill -9 of a real process
# at each seeded point, without paying the interpreter's start and the imports 70 times.
_FORKS = multiprocessing.get_context("forkserver")
_FORKS.set_forkserver_preload(["tests.faults.run_core"])
_RUNS = itertools.count()


def run_core(config: Path, kill_point: int = -1) -> subprocess.CompletedProcess[str]:
    args = [str(config), str(kill_point)]
    n = next(_RUNS)
    out, err = config.with_name(f"run-{n}.out"), config.with_name(f"run-{n}.err")
    proc = _FORKS.Process(target=core_runner.run_to_files, args=(args, str(out), str(err)))
    proc.start()
    proc.join(120)  # bounded, as the subprocess was
    if proc.is_alive():
        proc.kill()
        proc.join()
        raise AssertionError(f"run_core {args} did not finish in 120 s")
    assert proc.exitcode is not None
    return subprocess.CompletedProcess(args, proc.exitcode, out.read_text(), err.read_text())


def write_config(path: Path, snapshots: Path, loopback: Loopback, hook_url: str) -> Path:
    watches = "".join(
        f"  - id: {w}\n    url: {loopback.url('/' + w)}\n    profile: {p}\n"
        for w, (_, _, p) in PAGES.items()
    )
    path.write_text(f"""\
snapshots: {snapshots}
fetch: {{per_host_delay: 0, retries: 0, timeout: 5}}
defaults: {{channels: [hook, console]}}
watches:
{watches}channels:
  hook: {{type: webhook, url: '{hook_url}'}}
""")
    return path


def serve(loopback: Loopback, edition: int) -> None:
    for watch_id, pages in PAGES.items():
        ctype = "text/html" if watch_id == "kz-ru" else "text/html; charset=utf-8"
        loopback.page("/" + watch_id, pages[edition], ctype=ctype)


def assert_loadable(store: SnapshotStore) -> None:
    for watch_id in store.watch_ids():
        state = store.state(watch_id)
        if state.last_good_hash:
            store.document(watch_id, state.last_good_hash)
        for record in store.history(watch_id):
            store.document(watch_id, record.content_hash)
        Outbox(store).events(watch_id)


def delivered_changes(receiver: Receiver) -> list[tuple[str, str]]:
    """(watch, event) pairs delivered, counting each idempotency key once (as a consumer would)."""
    seen: dict[str, list[tuple[str, str]]] = {}
    for payload in receiver.accepted:
        pairs = [(w["watch_id"], e["id"]) for w in payload["watches"] for e in w["events"]]
        seen.setdefault(payload["idempotency_key"], pairs)
    return sorted(pair for pairs in seen.values() for pair in pairs)


@pytest.fixture
def template(loopback: Loopback, tmp_path: Path) -> Path:
    """A store holding the baseline of every page, made by one complete run."""
    serve(loopback, 0)
    hook = Receiver(loopback, "/hook-baseline")
    cfg = write_config(tmp_path / "base.yaml", tmp_path / "template", loopback, hook.url)
    done = run_core(cfg)
    assert done.returncode == 0, done.stderr
    assert "statuses baseline,baseline,baseline" in done.stdout, done.stderr
    serve(loopback, 1)
    return tmp_path / "template"


def test_kill_9_at_seeded_points_loses_nothing_and_doubles_nothing(
    loopback: Loopback, tmp_path: Path, template: Path
) -> None:
    probe_hook = Receiver(loopback, "/hook-probe")
    shutil.copytree(template, tmp_path / "probe")
    probe = run_core(
        write_config(tmp_path / "probe.yaml", tmp_path / "probe", loopback, probe_hook.url)
    )
    writes = int(re.search(r"writes (\d+)", probe.stdout).group(1))  # type: ignore[union-attr]
    expected = delivered_changes(probe_hook)
    assert len(expected) == 3
    assert writes >= 12
    points = sorted(random.Random(SEED).sample(range(2 * writes), KILL_POINTS))
    for point in points:
        snapshots = tmp_path / f"kill-{point}"
        shutil.copytree(template, snapshots)
        hook = Receiver(loopback, f"/hook-{point}")
        cfg = write_config(tmp_path / f"kill-{point}.yaml", snapshots, loopback, hook.url)
        killed = run_core(cfg, point)
        assert killed.returncode == -9, (point, killed.stdout, killed.stderr)
        store = open_store(snapshots)
        assert_loadable(store)  # every file present loads
        finish = run_core(cfg)
        assert finish.returncode == 0, (point, finish.stderr)
        again = run_core(cfg)
        assert "deliveries \n" in again.stdout or again.stdout.rstrip().endswith("deliveries"), (
            again.stdout
        )
        # Nothing lost, nothing doubled: the same changes as an uninterrupted run, each once.
        got = delivered_changes(hook)
        assert [w for w, _ in got] == [w for w, _ in expected], (point, got)
        for watch_id in PAGES:
            history = store.history(watch_id)
            assert len(history) == 2, (point, watch_id)
            assert store.state(watch_id).last_good_hash == history[-1].content_hash
        assert Outbox(store).pending() == []


def test_two_runs_at_once_never_corrupt_or_double_report(
    loopback: Loopback, tmp_path: Path, template: Path
) -> None:
    hook = Receiver(loopback, "/hook-both")
    cfg = write_config(tmp_path / "both.yaml", template, loopback, hook.url)
    runs = [
        subprocess.Popen(
            [sys.executable, str(RUNNER), str(cfg)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [r.communicate(timeout=120) for r in runs]
    assert all(r.returncode == 0 for r in runs), outputs
    statuses = sorted(re.search(r"statuses (\S+)", out).group(1) for out, _ in outputs)  # type: ignore[union-attr]
    # Each watch was found changed by exactly one of the two runs.
    per_watch = list(zip(*(s.split(",") for s in statuses), strict=True))
    assert all(sorted(pair) == ["changed", "unchanged"] for pair in per_watch), statuses
    store = open_store(template)
    assert_loadable(store)
    assert [w for w, _ in delivered_changes(hook)] == sorted(PAGES)
    assert len(hook.accepted) == len({p["idempotency_key"] for p in hook.accepted})
    assert sum(len(store.history(w)) for w in PAGES) == 6
