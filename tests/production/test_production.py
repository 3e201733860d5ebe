"""README "Production", followed by deploy/production.sh on this machine, end to end.

PostgreSQL (a Debian cluster of its own), a Prefect server on it, two process workers on the
`rightswatch` pool, prefect.yaml deployed, snapshots in a moto S3 server, a Secret block for
the digest webhook and the failed-run automation; then `prefect deployment run
'rightswatch-monitor/daily'` over 1,000 pages (RW_PRODUCTION_PAGES) on three loopback "sites",
with `run.shards: auto`; prints pages/s. Torn down afterwards.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.loopback import Reply, Request, serving
from tests.peers import S3, Receiver, free_port

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
PAGES = int(os.environ.get("RW_PRODUCTION_PAGES", "1000"))
EDITED = [n * PAGES // 200 for n in (3, 17, 42, 64, 99, 100, 128, 150, 177, 199)]
PER_HOST = 2
BUCKET = "rw-production"

pytestmark = pytest.mark.timeout(1200)


class Sites:
    """Three loopback hosts serving the seed chapter at /wr/<n>, each answer taking 30 ms."""

    def __init__(self, stack: ExitStack) -> None:
        self.hosts = [stack.enter_context(serving(f"127.0.0.{n}")) for n in (1, 2, 3)]
        base = (FIXTURES / "hrw_kazakhstan_2021.html").read_bytes()
        self.edited = (FIXTURES / "pairs" / "torture_number.html").read_bytes()
        self.body = dict.fromkeys(range(PAGES), base)
        self.urls = [self.hosts[n % 3].route(f"/wr/{n}", self._route(n)) for n in range(PAGES)]

    def _route(self, n: int) -> object:
        def answer(request: Request) -> Reply:
            return Reply(200, self.body[n], {"Content-Type": "text/html; charset=utf-8"}, 0.03)

        return answer

    def reset_counters(self) -> None:
        for host in self.hosts:
            host.max_in_flight = 0


def _config(path: Path, sites: Sites, s3: S3) -> Path:
    lines = [
        f"snapshots: s3://{BUCKET}/snapshots",
        f"snapshot_options: {{endpoint_url: '{s3.endpoint}'}}",
        f"fetch: {{per_host_concurrency: {PER_HOST}, per_host_delay: 0, retries: 1, timeout: 10}}",
        "run: {max_workers: 6, shards: auto, task_retries: 1, task_retry_delay: 0, "
        "shard_timeout: 600}",
        "defaults: {channels: [digest]}",
        "channels:",
        "  digest: {type: webhook, url: 'prefect-secret:digest-webhook'}",
        "watches:",
    ]
    for n, url in enumerate(sites.urls):
        lines += [f"  - id: wr-{n:03d}", f"    url: {url}", "    profile: hrw-world-report"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def production(tmp_path: Path, s3: S3) -> Iterator[tuple[dict[str, str], Path]]:
    if os.geteuid() != 0 or shutil.which("pg_createcluster") is None:
        pytest.fail("the production test runs as root with Debian's postgresql (make test does)")
    state = tmp_path / "state"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "AWS_"))}
    env.update(
        s3.env,
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        PG_PASSWORD=secrets.token_urlsafe(16),
        PG_CLUSTER=f"rwtest{os.getpid()}",
        PG_PORT=str(free_port()),
        PREFECT_PORT=str(port),
        PREFECT_API_URL=f"http://127.0.0.1:{port}/api",
        WORKERS="2",
        STATE_DIR=str(state),
        PREFECT_WORKER_QUERY_SECONDS="1",
        PREFECT_LOGGING_LEVEL="INFO",
    )
    try:
        yield env, state
    finally:
        down = subprocess.run(
            ["bash", "deploy/production.sh", "down"],
            cwd=ROOT,
            env={**env, "DROP_DATABASE": "1"},
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert down.returncode == 0, down.stderr
        assert not list(state.glob("*.pid")), "down left a server or worker running"
        for log in sorted(state.glob("worker-*.log")):
            assert "stopped!" in log.read_text(), f"down killed {log.stem} instead of stopping it"


def _prefect(env: dict[str, str], *args: str, timeout: float = 900) -> str:
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "prefect"), *args],
        cwd=ROOT,
        env={**env, "COLUMNS": "250"},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"prefect {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _run_daily(env: dict[str, str], config: Path) -> str:
    return _prefect(
        env,
        "deployment",
        "run",
        "rightswatch-monitor/daily",
        "--param",
        f"config_path={json.dumps(str(config))}",
        "--watch",
        "--watch-timeout",
        "800",
    )


def _snapshot_counts(s3: S3) -> Counter[str]:
    keys = s3.keys(BUCKET, "snapshots/")
    history = re.compile(r"snapshots/([^/]+)/snapshots/.+")
    return Counter(m.group(1) for k in keys if (m := history.fullmatch(k)))


def _submissions(state: Path) -> list[int]:
    return [
        len(re.findall(r"[Ss]ubmitting flow run", (state / f"worker-{i}.log").read_text()))
        for i in (1, 2)
    ]


def test_the_production_setup_shards_a_sweep_across_two_workers(
    production: tuple[dict[str, str], Path], tmp_path: Path, s3: S3
) -> None:
    env, state = production
    s3.bucket(BUCKET)
    with ExitStack() as stack:
        sites = Sites(stack)
        hooks = stack.enter_context(serving("127.0.0.9"))
        digest, alert = Receiver(hooks, "/hooks/digest"), Receiver(hooks, "/hooks/alert")
        env.update(DIGEST_URL=digest.url, SECRETS="digest-webhook=DIGEST_URL")
        env["ALERT_WEBHOOK_URL"] = alert.url
        config = _config(tmp_path / "rightswatch.yaml", sites, s3)

        up = subprocess.run(
            ["bash", "deploy/production.sh", "up"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert up.returncode == 0, f"{up.stdout}\n{up.stderr}"
        assert "saved Secret block 'digest-webhook'" in up.stdout
        assert digest.url not in up.stdout + up.stderr  # the secret value is never printed

        # Run 1: every page's first snapshot, split over both workers (shards: auto).
        started = time.monotonic()
        out = _run_daily(env, config)
        print(f"\nbaseline run: {PAGES / (time.monotonic() - started):.1f} pages/s")
        assert "Completed" in out
        counts = _snapshot_counts(s3)
        assert counts == Counter({f"wr-{n:03d}": 1 for n in range(PAGES)})
        assert all(1 <= h.max_in_flight <= PER_HOST for h in sites.hosts), [
            h.max_in_flight for h in sites.hosts
        ]
        assert all(n >= 1 for n in _submissions(state)), _submissions(state)
        assert digest.accepted == []  # first snapshots are baselines, not changes

        # Run 2: ten pages changed; each change delivered exactly once, from either worker.
        for n in EDITED:
            sites.body[n] = sites.edited
        sites.reset_counters()
        started = time.monotonic()
        _run_daily(env, config)
        print(f"run with 10 changes: {PAGES / (time.monotonic() - started):.1f} pages/s")
        counts = _snapshot_counts(s3)
        assert counts == Counter({f"wr-{n:03d}": 2 if n in EDITED else 1 for n in range(PAGES)})
        delivered = Counter(
            w["watch_id"] for payload in digest.accepted for w in payload["watches"]
        )
        assert delivered == Counter({f"wr-{n:03d}": 1 for n in EDITED})
        assert all("Torture" in json.dumps(w) for p in digest.accepted for w in p["watches"])
        assert all(h.max_in_flight <= PER_HOST for h in sites.hosts), [
            h.max_in_flight for h in sites.hosts
        ]
        assert all(n >= 2 for n in _submissions(state)), _submissions(state)

        limits = _prefect(env, "global-concurrency-limit", "ls")
        # one lease per host for each shard run, no per-page watch locks or host slots
        assert "lease:127.0.0.2" in limits
        assert "watch:wr-042" not in limits

        # A failed flow run reaches the alert webhook through the automation.
        env_missing = str(tmp_path / "missing.yaml")
        failed = subprocess.run(
            [
                str(ROOT / ".venv" / "bin" / "prefect"),
                "deployment",
                "run",
                "rightswatch-monitor/daily",
                "--param",
                f"config_path={json.dumps(env_missing)}",
                "--watch",
                "--watch-timeout",
                "300",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=400,
        )
        assert "Failed" in failed.stdout + failed.stderr
        for _ in range(120):  # bounded: 60 s
            if alert.accepted:
                break
            time.sleep(0.5)
        assert alert.accepted, "no alert arrived for the failed flow run"
        assert "Failed" in alert.accepted[0]["text"]
