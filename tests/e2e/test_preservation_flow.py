"""An archive outage through the real flow: the Slack digest goes out in the same run, before
any save is attempted, and the next run fills in the archive URL (export, report, site)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flows.monitor import monitor

from rightswatch.config import load_config
from rightswatch.export import change_rows
from rightswatch.outbox import Outbox
from rightswatch.preserve import queued
from rightswatch.store import open_store
from tests.e2e.conftest import FIXTURES, write_config
from tests.e2e.deployments import run_daily, serve, stop, wait_until_served
from tests.loopback import Loopback
from tests.peers import Receiver
from tests.wayback import Wayback, wayback_server

BASE = (FIXTURES / "hrw_kazakhstan_2021.html").read_bytes()
EDITED = (FIXTURES / "pairs" / "torture_number.html").read_bytes()


@pytest.fixture
def wayback() -> Iterator[Wayback]:
    with wayback_server() as server:
        yield server


def test_archive_outage_neither_blocks_nor_delays_slack_then_fills_the_url(
    loopback: Loopback,
    wayback: Wayback,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    prefect_api: str,
) -> None:
    page = loopback.page("/kz", BASE)
    slack = Receiver(loopback)
    monkeypatch.setenv("TEST_SLACK_WEBHOOK", slack.url)
    config_path = write_config(
        tmp_path / "rw.yaml",
        tmp_path / "snapshots",
        [("kz", page, "hrw-world-report")],
        extra=f"""\
defaults: {{channels: [team-slack]}}
channels:
  team-slack: {{type: slack, webhook_url: "${{TEST_SLACK_WEBHOOK}}"}}
archive: {{endpoint: "{wayback.base}", poll_interval: 0.05, poll_timeout: 5}}
""",
    )
    site = tmp_path / "public"
    store = open_store(tmp_path / "snapshots")
    wayback.outage = True

    def run() -> dict[str, str]:
        report = monitor(config_path=str(config_path), site_dir=str(site))
        return {d["channel"]: d["status"] for d in report["deliveries"]}

    assert run() == {}  # the baseline: its save fails, queued
    loopback.page("/kz", EDITED)
    started = time.monotonic()
    assert run() == {"team-slack": "sent"}  # the outage did not block the change
    [sent] = [s for s in loopback.seen if s.path.startswith("/services/") and s.at > started]
    saves = [a for a in wayback.saves() if a.at > started]
    assert saves
    assert sent.at < saves[0].at
    assert "archived copy" not in str(slack.accepted[-1])
    assert len(queued(store)) == 2
    config = load_config(config_path)
    rows = list(change_rows(store, ["kz"], {w.id: w for w in config.watches}))
    assert [r["archive_url"] for r in rows] == [None]

    wayback.outage = False
    assert run() == {}  # nothing new to deliver; the queued saves go through
    assert queued(store) == []
    [row] = list(change_rows(store, ["kz"], {w.id: w for w in config.watches}))
    [event] = Outbox(store).events("kz")
    assert (
        row["archive_url"] == f"{wayback.base}/web/{wayback.jobs['spn2-0002']['timestamp']}/{page}"
    )
    assert (
        f'href="{row["archive_url"]}"' in (store.report_bytes(event.report or "") or b"").decode()
    )
    assert f'href="{row["archive_url"]}"' in (site / "watches" / "kz.html").read_text()
    assert slack.attempts == 1  # the change went out once


def test_prefect_deployment_run_with_site_dir_refreshes_the_site(
    prefect_env: dict[str, str], loopback: Loopback, tmp_path: Path
) -> None:
    """The README's example, as written: `prefect deployment run ... --param site_dir=...`."""
    url = loopback.page("/kz", BASE)
    cfg = write_config(
        tmp_path / "rw.yaml", tmp_path / "snapshots", [("kz", url, "hrw-world-report")]
    )
    site = tmp_path / "www"
    server = serve(cfg, prefect_env)
    try:
        wait_until_served(server, prefect_env)
        triggered = run_daily(prefect_env, f'site_dir="{site}"')
    finally:
        stop(server)
    assert triggered.returncode == 0, triggered.stdout + triggered.stderr
    assert "Completed" in triggered.stdout + triggered.stderr
    index = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="watches/kz.html"' in index
    assert (site / "watches" / "kz.html").is_file()
    assert (site / "feed.xml").is_file()
