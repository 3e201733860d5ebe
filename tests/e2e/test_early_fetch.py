"""`rightswatch check` starts fetching while Prefect loads (prefetch.py): the pages are asked
for before the flow starts, each exactly once per run, with the validators of the last check,
and never more at once than `fetch.per_host_concurrency`."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime
from pathlib import Path

from tests.e2e.conftest import FIXTURES
from tests.e2e.test_cli_check import run
from tests.loopback import Loopback, Reply, Request

BASE = (FIXTURES / "hrw_kazakhstan_2021.html").read_bytes()
EDITED = (FIXTURES / "pairs" / "expression_sentence.html").read_bytes()
PAGES = 12
LIMIT = 3


class Site:
    """Report pages with ETags; records when each request arrived (wall clock)."""

    def __init__(self, loopback: Loopback, pages: int = PAGES) -> None:
        self.body = dict.fromkeys(range(pages), BASE)
        self.delay = 0.05  # seconds before each answer
        self.arrivals: list[tuple[float, str, str | None]] = []
        self._lock = threading.Lock()
        self.urls = [loopback.route(f"/r{i}", self._answer(i)) for i in range(pages)]

    def _answer(self, i: int):  # type: ignore[no-untyped-def]
        def answer(request: Request) -> Reply:
            with self._lock:
                self.arrivals.append(
                    (time.time(), request.path, request.headers.get("If-None-Match"))
                )
            etag = f'"{hash(self.body[i]) & 0xFFFF:x}"'
            if request.headers.get("If-None-Match") == etag:
                return Reply(304, b"", {"ETag": etag}, delay=self.delay)
            headers = {"Content-Type": "text/html", "ETag": etag}
            return Reply(200, self.body[i], headers, delay=self.delay)

        return answer

    def run_of(self, since: int) -> list[tuple[float, str, str | None]]:
        return self.arrivals[since:]


def config(
    tmp_path: Path,
    site: Site,
    limit: int = LIMIT,
    run: str = "max_workers: 2, task_retries: 0",
    extra: str = "",
) -> Path:
    cfg = tmp_path / "rw.yaml"
    watches = "".join(
        f"  - {{id: r{i}, url: '{u}', profile: hrw-world-report}}\n"
        for i, u in enumerate(site.urls)
    )
    cfg.write_text(
        f"snapshots: {tmp_path / 'snapshots'}\n"
        f"fetch: {{per_host_delay: 0, retries: 0, timeout: 10, per_host_concurrency: {limit}}}\n"
        f"run: {{{run}}}\n{extra}"
        f"watches:\n{watches}",
        encoding="utf-8",
    )
    return cfg


def check(cfg: Path, env: dict[str, str]) -> dict:  # type: ignore[type-arg]
    proc = run(["check", "--json", "--config", str(cfg)], env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def test_pages_are_fetched_early_once_each_with_validators_and_within_limits(
    tmp_path: Path, loopback: Loopback, prefect_env: dict[str, str]
) -> None:
    site = Site(loopback)
    cfg = config(tmp_path, site)

    first = check(cfg, prefect_env)
    arrivals = site.run_of(0)
    assert {w["status"] for w in first["watches"]} == {"baseline"}
    assert sorted(path for _, path, _ in arrivals) == sorted(f"/r{i}" for i in range(PAGES))
    started = datetime.fromisoformat(first["started_at"]).timestamp()
    assert min(at for at, _, _ in arrivals) < started  # asked for before the flow began

    seen = len(site.arrivals)
    site.body[5] = EDITED
    second = check(cfg, prefect_env)
    arrivals = site.run_of(seen)
    assert sorted(path for _, path, _ in arrivals) == sorted(f"/r{i}" for i in range(PAGES))
    assert all(etag is not None for _, _, etag in arrivals)  # the stored validators were sent
    by_id = {w["id"]: w for w in second["watches"]}
    assert by_id["r5"]["status"] == "changed"
    assert [c["heading"] for c in by_id["r5"]["changes"]] == ["Freedom of Expression"]
    assert {by_id[f"r{i}"]["status"] for i in range(PAGES) if i != 5} == {"unchanged"}
    assert all(by_id[f"r{i}"]["not_modified"] for i in range(PAGES) if i != 5)
    assert loopback.max_in_flight <= LIMIT
