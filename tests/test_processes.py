"""A sweep split over processes (processes.py, checkworker.py), without Prefect: who checks
what under which limits, and real child processes checking pages on 127.0.0.1."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from rightswatch import processes
from rightswatch.check import CheckContext, check_watch
from rightswatch.config import Config, Watch, load_config
from rightswatch.coordinate import fetcher_for, store_for
from rightswatch.result import WatchResult
from tests.loopback import Loopback, Reply, Request

HTML = (
    "<html><head><title>Report {i}</title></head><body><main><h1>Report {i}</h1>"
    "<h2>Freedom of Assembly</h2><p>Police detained {i} protesters in Almaty in January.</p>"
    "<h2>Civil Society</h2><p>Authorities fined activists for unsanctioned rallies.</p>"
    "</main></body></html>"
)


def write(tmp_path: Path, urls: list[str], fetch: str = "", run: str = "") -> tuple[Path, Config]:
    path = tmp_path / "rw.yaml"
    watches = "".join(f"  - {{id: p{i}, url: '{u}'}}\n" for i, u in enumerate(urls))
    path.write_text(
        f"snapshots: {tmp_path / 'snapshots'}\n"
        f"fetch: {{per_host_delay: 0, retries: 0, timeout: 10{fetch}}}\n"
        f"run: {{max_workers: 4{run}}}\n"
        "defaults: {channels: [], profile: generic}\n"
        f"watches:\n{watches}",
        encoding="utf-8",
    )
    return path, load_config(path)


def ids(watches: list[Watch]) -> list[str]:
    return [w.id for w in watches]


def served(loopback: Loopback, count: int, delay: float = 0.05) -> list[str]:
    def answer(request: Request) -> Reply:
        i = int(request.path.rsplit("/", 1)[1])
        body = HTML.format(i=i).encode()
        return Reply(200, body, {"Content-Type": "text/html; charset=utf-8"}, delay=delay)

    return [loopback.route(f"/report/{i}", answer) for i in range(count)]


def test_without_a_delay_every_host_is_dealt_over_processes_with_a_share_of_its_limits(
    tmp_path: Path,
) -> None:
    urls = [f"http://{host}.test/r{i}" for i in range(5) for host in ("a", "b")]
    _, cfg = write(tmp_path, urls, ", per_host_concurrency: 5", ", processes: 2")
    split = processes.plan(cfg, list(cfg.watches))
    assert split.own == []  # the flow's process checks only what no child could
    assert sorted(ids([w for s in split.shares for w in s.watches])) == sorted(ids(cfg.watches))
    for share in split.shares:  # in config order, and each host about half in each process
        assert ids(share.watches) == sorted(ids(share.watches), key=lambda i: int(i[1:]))
        for host in ("a.test", "b.test"):
            assert len([w for w in share.watches if f"//{host}/" in w.url]) in (2, 3)
    # 5 in flight per host for the run: 2 in each process (never more than allowed in all)
    assert [s.fetch.per_host_concurrency for s in split.shares] == [2, 2]


def test_with_a_delay_each_host_goes_whole_to_one_process_under_the_full_limits(
    tmp_path: Path,
) -> None:
    urls = [f"http://{host}.test/r{i}" for i in range(4) for host in ("a", "b", "c")]
    fetch = ", per_host_concurrency: 2, per_host_delay: 1"
    _, cfg = write(tmp_path, urls, fetch, ", processes: 2")
    split = processes.plan(cfg, list(cfg.watches))
    groups = [s.watches for s in split.shares]
    assert len(groups) == 2
    hosts = [{w.url.split("/")[2] for w in group} for group in groups]
    assert not hosts[0] & hosts[1]  # a host's delay between starts is kept by one process
    assert sorted(ids(groups[0] + groups[1])) == sorted(ids(list(cfg.watches)))
    assert [s.fetch for s in split.shares] == [cfg.fetch, cfg.fetch]


@pytest.mark.parametrize(
    ("fetch", "run", "why"),
    [
        (", per_host_concurrency: 1", ", processes: 2", "one request in flight cannot be shared"),
        (", per_host_concurrency: 4", ", processes: 1", "asked for one process"),
        (", per_host_concurrency: 4", "", "auto, below AUTO_MIN_PAGES"),
        (", per_host_concurrency: 4", ", processes: 2, shards: 2", "sharded: Prefect's limits"),
    ],
)
def test_no_split_where_it_would_break_a_limit_or_cost_more_than_it_saves(
    tmp_path: Path, fetch: str, run: str, why: str
) -> None:
    _, cfg = write(tmp_path, [f"http://a.test/r{i}" for i in range(20)], fetch, run)
    split = processes.plan(cfg, list(cfg.watches))
    assert split.shares == [], why
    assert ids(split.own) == ids(list(cfg.watches))


def test_auto_uses_every_cpu_once_a_sweep_is_big_enough(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(processes, "_cpus", lambda: 2)
    urls = [f"http://a.test/r{i}" for i in range(processes.AUTO_MIN_PAGES)]
    _, cfg = write(tmp_path, urls, ", per_host_concurrency: 10")
    split = processes.plan(cfg, list(cfg.watches))
    assert [s.fetch.per_host_concurrency for s in split.shares] == [5, 5]
    monkeypatch.setattr(processes, "_cpus", lambda: 64)
    assert processes.process_count(cfg, len(urls)) == processes.AUTO_MAX_PROCESSES


def run_children(path: Path, cfg: Config) -> tuple[processes.Workers, list[WatchResult]]:
    split = processes.plan(cfg, list(cfg.watches))
    assert split.shares
    workers = processes.start(str(path), cfg, split, "run-1")
    heard: list[WatchResult] = []
    workers.follow(heard.append)
    return workers, heard


def test_check_processes_check_their_share_once_each_within_the_host_limits(
    tmp_path: Path, loopback: Loopback
) -> None:
    urls = served(loopback, 12)
    path, cfg = write(tmp_path, urls, ", per_host_concurrency: 2", ", processes: 2")
    workers, heard = run_children(path, cfg)
    workers.wait()
    theirs = [w for share in workers.split.shares for w in share.watches]
    assert len(workers.children) == 2
    assert sorted(ids(theirs)) == sorted(ids(list(cfg.watches)))
    assert sorted(ids(theirs)) == sorted(r.id for r in heard)
    assert {r.status for r in heard} == {"baseline"}
    assert workers.unreported() == []
    assert [(c.proc.returncode, bool(c.peak_rss_mb)) for c in workers.children] == [(0, True)] * 2
    asked = sorted(s.path for s in loopback.seen if s.path.startswith("/report/"))
    assert asked == sorted(f"/report/{w.id[1:]}" for w in theirs)  # once each
    assert loopback.max_in_flight <= 2  # one each: the run's limit holds across processes
    store = store_for(cfg)
    for watch in theirs:
        latest = store.latest(watch.id)
        assert latest is not None
        assert "Report" in store.document(watch.id, latest.content_hash).title


def test_a_killed_check_process_loses_nothing_and_its_rest_can_be_checked_here(
    tmp_path: Path, loopback: Loopback
) -> None:
    urls = served(loopback, 10, delay=0.3)
    path, cfg = write(tmp_path, urls, ", per_host_concurrency: 2", ", processes: 2")
    split = processes.plan(cfg, list(cfg.watches))
    workers = processes.start(str(path), cfg, split, "run-1")
    child = workers.children[0]
    heard: list[WatchResult] = []

    def kill_after_its_first(result: WatchResult) -> None:
        if result.id in ids(child.share.watches):
            heard.append(result)
            if len(heard) == 1:
                os.kill(child.proc.pid, signal.SIGKILL)

    workers.follow(kill_after_its_first)
    workers.wait()
    assert [c.proc.returncode for c in workers.children] == [-signal.SIGKILL, 0]
    [(_, missing)] = workers.unreported()
    assert 1 <= len(heard) < len(child.share.watches)
    assert sorted(ids(missing) + [r.id for r in heard]) == sorted(ids(child.share.watches))
    store = store_for(cfg)
    reported = {r.id: r.snapshot for r in heard}
    for watch_id, snapshot in reported.items():  # what it reported, it had committed
        latest = store.latest(watch_id)
        assert latest is not None
        assert latest.id == snapshot
    ctx = CheckContext(config=cfg, store=store, fetcher=fetcher_for(cfg))
    try:
        again = {w.id: check_watch(w, ctx) for w in child.share.watches}
    finally:
        ctx.close()
    # The reported ones are unchanged against what was committed; whatever the kill cut
    # short is baselined now, or was committed before the kill and is unchanged too.
    assert {again[i].status for i in reported} == {"unchanged"}
    assert {again[w.id].status for w in missing} <= {"baseline", "unchanged"}
    assert all(store.latest(w.id) is not None for w in child.share.watches)


def test_a_check_process_refuses_a_config_changed_since_the_plan(
    tmp_path: Path, loopback: Loopback
) -> None:
    urls = served(loopback, 6)
    path, cfg = write(tmp_path, urls, ", per_host_concurrency: 2", ", processes: 2")
    path.write_text(path.read_text().replace("timeout: 10", "timeout: 11"), encoding="utf-8")
    workers, heard = run_children(path, cfg)
    split = workers.split
    workers.wait()
    assert [c.proc.returncode for c in workers.children] == [3, 3]
    assert heard == []
    assert [ids(m) for _, m in workers.unreported()] == [ids(s.watches) for s in split.shares]
    assert not [s for s in loopback.seen if s.path.startswith("/report/")]


def test_an_overdue_check_process_is_stopped_after_the_check_it_is_in(
    tmp_path: Path, loopback: Loopback
) -> None:
    urls = served(loopback, 6, delay=4.0)
    run = ", processes: 2, task_timeout: 1"  # 3 pages of 4 s each cannot fit in 3 s
    path, cfg = write(tmp_path, urls, ", per_host_concurrency: 2", run)
    workers, heard = run_children(path, cfg)
    # 3 pages on 2 threads, two checks a thread at the task timeout: 3 rounds of 1 s
    assert workers.time_allowed() == pytest.approx(3.0)
    workers.wait()
    assert [c.overdue for c in workers.children] == [True, True]
    # Stopped, not killed: each finished the check it was in, said so, and exited cleanly.
    assert [c.proc.returncode for c in workers.children] == [0, 0]
    assert all(c.peak_rss_mb for c in workers.children)
    assert {r.status for r in heard} == {"baseline"}
    missing = [w for _, gap in workers.unreported() for w in gap]
    assert missing
    assert sorted(ids(missing) + [r.id for r in heard]) == sorted(ids(list(cfg.watches)))
