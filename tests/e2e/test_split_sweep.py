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
from rightswatch.store import open_store
from tests.e2e.conftest import FIXTURES
from tests.e2e.test_cli_check import run
from tests.e2e.test_early_fetch import Site as EarlySite
from tests.e2e.test_early_fetch import config as early_config
from tests.loopback import Loopback
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
