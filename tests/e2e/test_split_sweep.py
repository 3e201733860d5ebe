"""A sweep split over processes (`run.processes`) through the real flow and a real Prefect
server: the same results, sections and single delivery as one process, every page asked once,
the run's per-host limit held across processes, and nothing lost when a process dies."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from flows.monitor import monitor

from rightswatch import processes
from rightswatch.config import load_config
from rightswatch.store import open_store
from tests.e2e.conftest import FIXTURES
from tests.e2e.test_cli_check import run
from tests.e2e.test_early_fetch import Site as EarlySite
from tests.e2e.test_early_fetch import config as early_config
from tests.loopback import Loopback, Reply
from tests.peers import Receiver

EDITED = (FIXTURES / "pairs" / "expression_sentence.html").read_bytes()
PAGES = 10
LIMIT = 2


class Site(EarlySite):
    """The early-fetch test's report pages, with the paths asked for since a point."""

    def since(self, start: int) -> list[str]:
        return sorted(path for _, path, _ in self.run_of(start))


def config(tmp_path: Path, site: Site, hook: str) -> Path:
    channels = (
        f"defaults: {{channels: [hook]}}\nchannels:\n  hook: {{type: webhook, url: '{hook}'}}\n"
    )
    run = "max_workers: 4, task_retries: 0, processes: 2"
    return early_config(tmp_path, site, LIMIT, run, channels)


def check(cfg: Path, env: dict[str, str]) -> tuple[dict[str, Any], str]:
    proc = run(["check", "--json", "--verbose", "--config", str(cfg)], env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout), proc.stderr


def delivered(receiver: Receiver) -> list[str]:
    return [w["watch_id"] for p in receiver.accepted for w in p["watches"]]


def test_a_split_sweep_reports_and_delivers_as_one_process_would(
    tmp_path: Path, loopback: Loopback, prefect_env: dict[str, str]
) -> None:
    site = Site(loopback, PAGES)
    hook = Receiver(loopback, "/hook")
    cfg = config(tmp_path, site, hook.url)
    every = sorted(f"/r{i}" for i in range(PAGES))

    first, log = check(cfg, prefect_env)
    assert {w["status"] for w in first["watches"]} == {"baseline"}
    assert [w["id"] for w in first["watches"]] == [f"r{i}" for i in range(PAGES)]
    for child in (1, 2):
        assert f"check process {child}: {PAGES // 2} of {PAGES // 2} watches" in log
    assert site.since(0) == every  # once each: nothing a child checks is fetched early here
    assert loopback.max_in_flight <= LIMIT

    seen = len(site.arrivals)
    site.body[2] = site.body[5] = EDITED  # one page of each process
    second, _ = check(cfg, prefect_env)
    assert site.since(seen) == every
    by_id = {w["id"]: w for w in second["watches"]}
    for changed in ("r2", "r5"):
        assert by_id[changed]["status"] == "changed"
        assert [c["heading"] for c in by_id[changed]["changes"]] == ["Freedom of Expression"]
    rest = [by_id[f"r{i}"] for i in range(PAGES) if i not in (2, 5)]
    assert {w["status"] for w in rest} == {"unchanged"}
    assert all(w["not_modified"] for w in rest)
    assert sorted(delivered(hook)) == ["r2", "r5"]

    third, _ = check(cfg, prefect_env)
    assert {w["status"] for w in third["watches"]} == {"unchanged"}
    assert sorted(delivered(hook)) == ["r2", "r5"]  # sent once, never again
    assert loopback.max_in_flight <= LIMIT


def test_watches_of_a_check_process_that_died_are_checked_by_the_flow(
    prefect_api: str,
    tmp_path: Path,
    loopback: Loopback,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    site = Site(loopback, PAGES)
    hook = Receiver(loopback, "/hook")
    cfg = config(tmp_path, site, hook.url)
    site.delay = 0.4  # each child checks one page at a time: it is killed half way
    start = processes.start
    killed: list[processes.Child] = []

    def kill_after_its_first(child: processes.Child) -> None:
        deadline = time.monotonic() + 60
        while not child.results and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(child.proc.pid, signal.SIGKILL)
        killed.append(child)

    def start_then_kill(*args: Any, **kwargs: Any) -> processes.Workers:
        workers = start(*args, **kwargs)
        for child in workers.children:
            threading.Thread(target=kill_after_its_first, args=(child,)).start()
        return workers

    monkeypatch.setattr(processes, "start", start_then_kill)
    report = monitor(config_path=str(cfg))
    assert sorted(c.proc.returncode for c in killed) == [-signal.SIGKILL] * 2
    assert all(1 <= len(c.results) < PAGES // 2 for c in killed)  # reported some, not all
    assert [w["id"] for w in report["watches"]] == [f"r{i}" for i in range(PAGES)]
    assert {w["status"] for w in report["watches"]} == {"baseline"}
    store = open_store(str(tmp_path / "snapshots"))
    assert all(store.latest(f"r{i}") is not None for i in range(PAGES))


def test_watches_a_stopped_check_process_never_reached_are_errors_naming_the_limit(
    prefect_api: str, tmp_path: Path, loopback: Loopback
) -> None:
    site = Site(loopback, 6)
    site.delay = 4.0  # three pages a process, one at a time, cannot fit in the 3 s allowed
    run = "max_workers: 4, task_retries: 0, processes: 2, task_timeout: 1"
    report = monitor(config_path=str(early_config(tmp_path, site, LIMIT, run)))
    by_status: dict[str, list[dict[str, Any]]] = {}
    for w in report["watches"]:
        by_status.setdefault(w["status"], []).append(w)
    # Usually each process finishes the checks it started (baseline) before it is stopped; on
    # a machine so loaded that a process took 3 s to start, all of its watches are errors.
    assert "error" in by_status
    assert set(by_status) <= {"baseline", "error"}
    assert sorted(w["id"] for w in report["watches"]) == sorted(f"r{i}" for i in range(6))
    for w in by_status["error"]:
        assert "did not finish within 3 s and was stopped" in w["error"]
        assert "raise run.task_timeout" in w["error"]
    store = open_store(str(tmp_path / "snapshots"))
    assert all(store.latest(w["id"]) is not None for w in by_status["baseline"])
    assert all(store.latest(w["id"]) is None for w in by_status["error"])  # checked next run


def recording_starts(monkeypatch: pytest.MonkeyPatch) -> list[processes.Workers]:
    """Every set of check processes a run starts, in order."""
    started: list[processes.Workers] = []
    start = processes.start

    def recorded(*args: Any, **kwargs: Any) -> processes.Workers:
        started.append(start(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(processes, "start", recorded)
    return started


INDEX = (
    b"<html><head><title>Publications</title></head><body><main><h1>Publications</h1>"
    b"<ul><li><a href='/about'>About us</a></li></ul></main></body></html>"
)


def test_the_flow_keeps_each_hosts_delay_after_the_check_processes_end(
    prefect_api: str, tmp_path: Path, loopback: Loopback, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each host goes whole to one process; the index on host A is checked by the flow once
    they are done, and its first request to A waits the delay after A's last page."""
    site = Site(loopback, 2)
    site.delay = 0.0
    a, b = site.urls[0], site.urls[1].replace("127.0.0.1", "localhost")
    index = loopback.route("/index", Reply(200, INDEX, {"Content-Type": "text/html"}))
    cfg = tmp_path / "rw.yaml"
    cfg.write_text(
        f"snapshots: {tmp_path / 'snapshots'}\n"
        "fetch: {per_host_delay: 2, retries: 0, timeout: 10, per_host_concurrency: 2}\n"
        "run: {max_workers: 4, task_retries: 0, processes: 2}\n"
        "watches:\n"
        f"  - {{id: r0, url: '{a}', profile: hrw-world-report}}\n"
        f"  - {{id: r1, url: '{b}', profile: hrw-world-report}}\n"
        f"  - {{id: idx, url: '{index}', kind: index, link_pattern: '/publications/'}}\n",
        encoding="utf-8",
    )
    started = recording_starts(monkeypatch)
    report = monitor(config_path=str(cfg))
    [workers] = started  # one host a process, the index left to the flow
    assert sorted(sorted(c.results) for c in workers.children) == [["r0"], ["r1"]]
    assert [(w["id"], w["status"]) for w in report["watches"]] == [
        ("r0", "baseline"),
        ("r1", "baseline"),
        ("idx", "baseline"),
    ]
    on_a = sorted(
        (s for s in loopback.seen if s.headers.get("Host", "").startswith("127.0.0.1")),
        key=lambda s: s.at,
    )
    last_page = max(i for i, s in enumerate(on_a) if s.path == "/r0")
    assert [s.path for s in on_a[last_page + 1 :]][-1:] == ["/index"]  # after the process
    assert on_a[last_page + 1].at - on_a[last_page].at >= 2.0 - 0.05


def test_early_check_processes_of_a_changed_config_are_replaced_and_a_failure_counts_once(
    prefect_api: str, tmp_path: Path, loopback: Loopback, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = Site(loopback, 6)
    site.delay = 0.5  # the early processes are usually still checking when they are replaced
    bad = loopback.route("/bad", Reply(500, b"down", {"Content-Type": "text/plain"}))
    cfg = early_config(tmp_path, site, LIMIT, "max_workers: 4, task_retries: 0, processes: 2")
    first = f"watches:\n  - {{id: bad, url: '{bad}', profile: hrw-world-report}}\n"
    cfg.write_text(cfg.read_text().replace("watches:\n", first), encoding="utf-8")
    started = recording_starts(monkeypatch)
    loaded = load_config(cfg)
    processes.start_early(str(cfg), loaded, list(loaded.watches))  # as `rightswatch check` does
    try:
        deadline = time.monotonic() + 60
        while not any("bad" in c.results for c in started[0].children):
            assert time.monotonic() < deadline, "the early check process never checked 'bad'"
            time.sleep(0.02)
        cfg.write_text(cfg.read_text().replace("timeout: 10", "timeout: 11"), encoding="utf-8")
        report = monitor(config_path=str(cfg))
    finally:
        processes.discard()  # an early process no run claimed stops with the test
    assert len(started) == 2  # the early processes were stopped and others started
    assert all(c.proc.returncode is not None for c in started[0].children)
    assert started[1].run_id == started[0].run_id  # one run, as far as failures count
    statuses = {w["id"]: w["status"] for w in report["watches"]}
    assert list(statuses) == ["bad", *(f"r{i}" for i in range(6))]
    assert statuses.pop("bad") == "error"
    assert set(statuses.values()) <= {"baseline", "unchanged"}
    store = open_store(str(tmp_path / "snapshots"))
    assert all(store.latest(w) is not None for w in statuses)
    assert store.state("bad").consecutive_failures == 1  # checked twice, failed once this run
