"""Snapshots on S3 (a moto server) and sharded sweeps, under the session's Prefect server."""

from __future__ import annotations

import itertools
import json
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from rightswatch.check import check_watches
from rightswatch.config import load_config
from rightswatch.tasks import open_context
from tests.e2e.conftest import FIXTURES, rightswatch_bin, write_config
from tests.loopback import Loopback, Reply
from tests.peers import S3, S3_ENV

BASE = (FIXTURES / "hrw_kazakhstan_2021.html").read_bytes()
EDITED = (FIXTURES / "pairs" / "torture_number.html").read_bytes()


def _rw(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [rightswatch_bin(), *args], capture_output=True, text=True, env=env, timeout=240
    )


def _s3_config(tmp_path: Path, s3: S3, snapshots: str, page: str) -> Path:
    """One watch of `page`, its snapshots at `snapshots` on the moto server."""
    return write_config(
        tmp_path / "rw.yaml",
        snapshots,
        [("kz", page, "hrw-world-report")],
        extra=f"snapshot_options: {{endpoint_url: '{s3.endpoint}'}}\n",
    )


def test_check_history_diff_and_outbox_work_on_an_s3_store(
    tmp_path: Path, loopback: Loopback, prefect_env: dict[str, str], s3: S3
) -> None:
    url = s3.bucket("e2e-cli")
    body = {"page": BASE}
    page = loopback.route(
        "/kz", lambda _req: Reply(200, body["page"], {"Content-Type": "text/html; charset=utf-8"})
    )
    cfg = _s3_config(tmp_path, s3, f"{url}/team", page)
    env = {**prefect_env, **s3.env}

    first = _rw(["check", "--json", "--config", str(cfg)], env)
    assert first.returncode == 0, first.stderr
    body["page"] = EDITED
    second = _rw(["check", "--json", "--config", str(cfg)], env)
    assert second.returncode == 0, second.stderr
    report = json.loads(second.stdout)
    assert report["watches"][0]["status"] == "changed"
    assert "Torture" in json.dumps(report["watches"][0]["changes"])

    keys = s3.keys("e2e-cli", "team/kz/")
    assert len([k for k in keys if "/snapshots/" in k]) == 2
    assert len([k for k in keys if "/raw/" in k]) == 2
    assert any("/reports/" in k for k in keys)

    history = _rw(["history", "kz", "--config", str(cfg)], env)
    assert history.returncode == 0
    assert "kz: 2 snapshots" in history.stdout
    diff = _rw(["diff", "kz", "--config", str(cfg)], env)
    assert diff.returncode == 0, diff.stderr
    assert "Torture" in diff.stdout, diff.stderr
    outbox = _rw(["outbox", "--config", str(cfg)], env)
    assert outbox.returncode == 0, outbox.stderr


def test_two_runs_racing_on_one_watch_record_one_snapshot_and_one_event(
    tmp_path: Path,
    loopback: Loopback,
    prefect_api: str,
    s3: S3,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key, value in S3_ENV.items():
        monkeypatch.setenv(key, value)
    url = s3.bucket("e2e-race")
    page = loopback.page("/kz", BASE)
    cfg = _s3_config(tmp_path, s3, f"{url}/s", page)
    config = load_config(cfg)
    assert config.coordinated()
    ctx = open_context(config)
    check_watches(config.watches, ctx)  # the baseline
    loopback.page("/kz", EDITED)

    start = threading.Barrier(2)
    statuses: list[Any] = []

    def one_run() -> None:
        run_ctx = open_context(config)  # each run its own fetcher, store and limits
        start.wait()
        statuses.extend(r.status for r in check_watches(config.watches, run_ctx))
        run_ctx.close()

    runs = [threading.Thread(target=one_run) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join(timeout=120)
    assert sorted(statuses) == ["changed", "unchanged"]
    assert len(ctx.store.history("kz")) == 2
    assert len(ctx.outbox.events("kz")) == 1
    ctx.close()


def test_a_leased_shard_takes_one_lease_not_a_lock_per_page_and_racing_shards_still_exclude(
    tmp_path: Path,
    loopback: Loopback,
    prefect_api: str,
    s3: S3,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import prefect.concurrency.sync as prefect_concurrency

    for key, value in S3_ENV.items():
        monkeypatch.setenv(key, value)
    url = s3.bucket("e2e-lease")
    pages = [loopback.page(f"/l{n}", BASE) for n in range(5)]
    cfg = write_config(
        tmp_path / "rw.yaml",
        f"{url}/s",
        [(f"l{n}", page, "hrw-world-report") for n, page in enumerate(pages)],
        extra=f"snapshot_options: {{endpoint_url: '{s3.endpoint}'}}\n",
    )
    config = load_config(cfg)
    calls: list[object] = []
    original = prefect_concurrency.concurrency

    def counted(names: object, *args: Any, **kwargs: Any) -> Any:
        calls.append(names)
        return original(names, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(prefect_concurrency, "concurrency", counted)
    ctx = open_context(config)
    assert ctx.lease is not None
    with ctx.lease(config.watches, 60):
        results = check_watches(config.watches, ctx)
    assert {r.status for r in results} == {"baseline"}
    assert calls == [["lease:127.0.0.1"]]  # one acquire for the shard: no lock, no host slot
    for n in range(5):
        loopback.page(f"/l{n}", EDITED)
    start = threading.Barrier(2)
    statuses: list[Any] = []

    def one_run() -> None:
        run_ctx = open_context(config)
        assert run_ctx.lease is not None
        start.wait()
        with run_ctx.lease(config.watches, 120):
            statuses.extend(r.status for r in check_watches(config.watches, run_ctx))
        run_ctx.close()

    runs = [threading.Thread(target=one_run) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join(timeout=120)
    assert sorted(statuses) == ["changed"] * 5 + ["unchanged"] * 5
    assert all(len(ctx.outbox.events(f"l{n}")) == 1 for n in range(5))
    ctx.close()


def _sharded(tmp_path: Path, loopback: Loopback, run: str) -> tuple[Path, list[str]]:
    # two hosts (shards are host-affine): 127.0.0.1 and localhost, both the loopback server
    watches = [
        (
            f"p{n}",
            loopback.page(f"/p{n}", BASE).replace(
                "127.0.0.1", "localhost" if n % 2 else "127.0.0.1"
            ),
            "hrw-world-report",
        )
        for n in range(4)
    ]
    cfg = write_config(tmp_path / "rw.yaml", tmp_path / "snapshots", watches)
    cfg.write_text(cfg.read_text().replace("run: {", f"run: {{shards: 2, {run}, "))
    return cfg, [w[0] for w in watches]


def test_a_sharded_run_without_a_shard_deployment_checks_every_watch_itself(
    tmp_path: Path, loopback: Loopback, prefect_api: str
) -> None:
    from flows.monitor import monitor

    cfg, ids = _sharded(tmp_path, loopback, "shard_deployment: rightswatch-shard/not-deployed")
    report = monitor(config_path=str(cfg), notify=False)
    assert sorted(w["id"] for w in report["watches"]) == ids
    assert {w["status"] for w in report["watches"]} == {"baseline"}


def test_a_shard_no_worker_takes_is_reclaimed_and_checked_by_the_parent(
    tmp_path: Path, loopback: Loopback, prefect_api: str
) -> None:
    from flows.monitor import monitor, shard
    from prefect.client.orchestration import get_client

    shard.to_deployment(name="nobody-serves").apply()  # exists, but no worker polls it
    cfg, ids = _sharded(
        tmp_path,
        loopback,
        "shard_deployment: rightswatch-shard/nobody-serves, shard_pickup_timeout: 1",
    )
    report = monitor(config_path=str(cfg), notify=False)
    assert sorted(w["id"] for w in report["watches"]) == ids
    assert {w["status"] for w in report["watches"]} == {"baseline"}
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs()
    shards = [r for r in runs if r.parameters.get("run_key") and r.state is not None]
    assert shards
    assert all(r.state.is_cancelled() for r in shards)


def test_per_host_delay_holds_across_two_workers_through_a_global_rate_limit(
    tmp_path: Path, loopback: Loopback, prefect_api: str
) -> None:
    from rightswatch.coordinate import fetcher_for

    urls = [loopback.page(f"/r{n}", BASE) for n in range(6)]
    cfg = write_config(tmp_path / "rw.yaml", tmp_path / "s", [("r0", urls[0], "auto")])
    text = cfg.read_text().replace("per_host_delay: 0,", "per_host_delay: 0.5,")
    cfg.write_text(text.replace("run: {", "run: {coordination: prefect, "))
    config = load_config(cfg)
    workers = [fetcher_for(config), fetcher_for(config)]  # two workers, limits of their own

    failures: list[BaseException] = []

    def sweep(fetcher: Any, mine: list[str]) -> None:
        try:
            for url in mine:
                fetcher.fetch(url)
        except BaseException as exc:  # a thread's exception would otherwise vanish
            failures.append(exc)
            raise

    threads = [
        threading.Thread(target=sweep, args=(workers[0], urls[:3])),
        threading.Thread(target=sweep, args=(workers[1], urls[3:])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    pages = {f"/r{n}" for n in range(6)}
    assert failures == []
    starts = sorted(s.at for s in loopback.seen if s.path in pages)

    assert len(starts) == 6
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    # One request every 0.5 s for the host as a whole, whichever worker sends it.
    assert min(gaps) >= 0.3, gaps
    for fetcher in workers:
        fetcher.close()
