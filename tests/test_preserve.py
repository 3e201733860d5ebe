"""Preservation against a loopback Wayback stand-in: Save Page Now on baseline and change
(pending → success), the archive URL in export and the report, max_per_run, an outage that
leaves everything queued; backfill of five captures from CDX + id_."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rightswatch.check import check_watches
from rightswatch.config import load_config
from rightswatch.deliver import deliver_channel
from rightswatch.export import change_rows
from rightswatch.preserve import queued, run_saves
from rightswatch.tasks import open_context
from tests.loopback import Loopback, Reply
from tests.peers import Receiver
from tests.wayback import Capture, Wayback, wayback_server

FIXTURES = Path(__file__).parent / "fixtures"
BASE = (FIXTURES / "hrw_kazakhstan_2021.html").read_bytes()
TORTURE = (FIXTURES / "pairs" / "torture_number.html").read_bytes()
EXPRESSION = (FIXTURES / "pairs" / "expression_sentence.html").read_bytes()
BLOCK = (
    b"<html><head><title>Just a moment...</title></head><body><h1>Checking your browser</h1>"
    b"<p>Enable JavaScript and cookies to continue.</p></body></html>"
)


@pytest.fixture
def wayback() -> Iterator[Wayback]:
    with wayback_server() as server:
        yield server


def _config(tmp_path: Path, url: str, wayback: Wayback, extra: str = "") -> Path:
    path = tmp_path / "rw.yaml"
    path.write_text(
        f"snapshots: {tmp_path / 'snapshots'}\n"
        "fetch: {per_host_delay: 0, retries: 0, timeout: 5, respect_robots: false}\n"
        f"archive: {{service: wayback, endpoint: '{wayback.base}', access_key: '${{TEST_IA_KEY}}',"
        " secret_key: '${TEST_IA_SECRET}', poll_interval: 0.02, poll_timeout: 5" + extra + "}\n"
        f"watches:\n  - {{id: kz, url: '{url}', profile: hrw-world-report, channels: []}}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_IA_KEY", "k3y")
    monkeypatch.setenv("TEST_IA_SECRET", "s3cr3t")


def test_save_page_now_on_baseline_and_change_fills_export_and_report(
    tmp_path: Path, loopback: Loopback, wayback: Wayback
) -> None:
    url = loopback.page("/kz", BASE)
    config = load_config(_config(tmp_path, url, wayback))
    ctx = open_context(config)
    check_watches(config.watches, ctx)
    first = run_saves(config, ctx.store)
    assert [s.url for s in first.saved] == [url]
    assert not first.failed
    statuses = [a for a in wayback.asked if a.path.startswith("/save/status/")]
    assert len(statuses) == 3  # pending, pending, success
    save = wayback.saves()[0]
    assert save.form == {"url": [url]}
    assert save.headers["Authorization"] == "LOW k3y:s3cr3t"
    assert save.headers["Accept"] == "application/json"

    loopback.page("/kz", TORTURE)
    [result] = check_watches(config.watches, ctx)
    assert result.status == "changed"
    second = run_saves(config, ctx.store)
    [saved] = second.saved
    job = wayback.jobs["spn2-0002"]
    expected = f"{wayback.base}/web/{job['timestamp']}/{url}"
    assert saved.archive_url == expected
    assert saved.snapshot == result.snapshot
    rows = list(change_rows(ctx.store, ["kz"], {w.id: w for w in config.watches}))
    assert [r["archive_url"] for r in rows] == [expected]
    [event] = ctx.outbox.events("kz")
    report = (tmp_path / "snapshots" / (event.report or "")).read_text(encoding="utf-8")
    assert f'href="{expected}"' in report
    assert "rightswatch:archive" not in report
    assert run_saves(config, ctx.store).saved == []  # nothing saved twice


def test_outage_keeps_saves_queued_and_max_per_run_takes_the_oldest_first(
    tmp_path: Path, loopback: Loopback, wayback: Wayback
) -> None:
    urls = [loopback.page(f"/p{n}", BASE) for n in range(3)]
    path = _config(tmp_path, urls[0], wayback, ", max_per_run: 2")
    text = path.read_text().replace(
        f"watches:\n  - {{id: kz, url: '{urls[0]}', profile: hrw-world-report, channels: []}}\n",
        "watches:\n"
        + "".join(
            f"  - {{id: p{n}, url: '{u}', profile: hrw-world-report}}\n" for n, u in enumerate(urls)
        ),
    )
    path.write_text(text)
    config = load_config(path)
    ctx = open_context(config)
    check_watches(config.watches, ctx)
    wayback.outage = True
    down = run_saves(config, ctx.store)
    assert len(down.failed) == 1
    assert down.waiting == 2
    assert "HTTP 503" in (down.failed[0].last_error or "")
    assert len(queued(ctx.store)) == 3
    wayback.outage = False
    oldest = [s.url for s in queued(ctx.store)][:2]
    up = run_saves(config, ctx.store)
    assert [s.url for s in up.saved] == oldest
    assert up.waiting == 1
    assert [s.url for s in run_saves(config, ctx.store).saved] == [urls[2]]
    assert queued(ctx.store) == []


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    rightswatch = str(Path(sys.executable).with_name("rightswatch"))
    return subprocess.run(
        [rightswatch, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "250"},
    )


def _backfill(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return _cli("backfill", "kz", "--config", str(config), *args)


def test_backfill_of_five_captures_yields_their_changes_and_sends_nothing(
    tmp_path: Path, loopback: Loopback, wayback: Wayback
) -> None:
    url = loopback.page("/kz", BASE)
    slack = Receiver(loopback)
    path = _config(tmp_path, url, wayback)
    path.write_text(
        path.read_text().replace("channels: []", "channels: [team, news]")
        + f"channels:\n  team: {{type: slack, webhook_url: '{slack.url}'}}\n"
        f"  news: {{type: atom, path: '{tmp_path / 'feed.xml'}'}}\n"
    )
    config = load_config(path)
    ctx = open_context(config)
    refused = _backfill(path)  # no own snapshot yet: nothing to anchor the history to
    assert refused.returncode == 1
    assert "run `rightswatch check --watch kz` first" in refused.stderr
    check_watches(config.watches, ctx)  # the first own snapshot: BASE, now
    wayback.captures = [
        Capture("20210113090000", url, BASE),
        Capture("20210201090000", url, TORTURE),
        Capture("20210301090000", url, BLOCK),  # a block page captured by the archive
        Capture("20210401090000", url, b"gone", status=404),
        Capture("20210501090000", url, EXPRESSION),
    ]
    done = _backfill(path, "--since", "2021-01-01")
    assert done.returncode == 0, done.stderr
    assert "3 capture(s) imported, 2 skipped" in done.stderr
    assert f"skipped  {wayback.base}/web/20210301090000/{url}: suspect" in done.stdout
    assert f"skipped  {wayback.base}/web/20210401090000/{url}: the capture answered HTTP 404" in (
        done.stdout
    )
    cdx = [a for a in wayback.asked if a.path == "/cdx/search/cdx"]
    assert len(cdx) == 1

    history = ctx.store.history("kz")
    assert [r.taken_at.strftime("%Y%m%d%H%M%S") for r in history[:3]] == [
        "20210113090000",
        "20210201090000",
        "20210501090000",
    ]
    assert all(r.fetch.archived_from for r in history[:3])
    assert not history[3].fetch.archived_from
    assert history[1].fetch.raw_sha256 == hashlib.sha256(TORTURE).hexdigest()

    exported = subprocess.run(
        [
            str(Path(sys.executable).with_name("rightswatch")),
            "export",
            "--format",
            "jsonl",
            "--config",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    rows = [json.loads(line) for line in exported.stdout.splitlines()]
    assert [(r["section"], r["new_fetched_at"]) for r in rows] == [
        ("Torture", "2021-02-01T09:00:00+00:00"),
        ("Freedom of Expression", "2021-05-01T09:00:00+00:00"),
        ("Torture", "2021-05-01T09:00:00+00:00"),
        ("Freedom of Expression", history[3].taken_at.isoformat()),
    ]
    assert rows[0]["archive_url"] == f"{wayback.base}/web/20210201090000/{url}"
    assert "152 complaints" in rows[0]["new_text"]

    # Nothing went to any channel, feeds included.
    assert ctx.outbox.pending() == []
    assert deliver_channel("team", config, ctx.outbox).status == "nothing"
    assert slack.attempts == 0
    assert not (tmp_path / "feed.xml").exists()

    listed = _cli("history", "kz", "--config", str(path))
    assert listed.stdout.count("(from the web archive)") == 3, listed.stdout
    diffed = _cli("diff", "kz", "--from", "2021-01-13", "--to", "2021-02-01", "--config", str(path))
    assert diffed.returncode == 0
    assert "152 complaints" in diffed.stdout

    again = _backfill(path)
    assert again.returncode == 0, again.stderr
    assert "0 capture(s) imported" in again.stderr
    assert len(ctx.store.history("kz")) == 4


def test_a_digest_sent_after_the_save_links_the_archived_copy(
    tmp_path: Path, loopback: Loopback, wayback: Wayback
) -> None:
    url = loopback.page("/kz", BASE)
    slack = Receiver(loopback)
    path = _config(tmp_path, url, wayback)
    path.write_text(
        path.read_text().replace("channels: []", "channels: [team]")
        + f"channels:\n  team: {{type: slack, webhook_url: '{slack.url}'}}\n"
    )
    config = load_config(path)
    ctx = open_context(config)
    check_watches(config.watches, ctx)
    loopback.page("/kz", TORTURE)
    check_watches(config.watches, ctx)
    slack.failures.append(Reply(500, b"internal_error"))
    assert deliver_channel("team", config, ctx.outbox).status == "failed"  # this run: no link
    [saved, changed] = run_saves(config, ctx.store).saved  # ...the saves come after delivery
    assert deliver_channel("team", config, ctx.outbox).status == "sent"  # the next run's retry
    assert f"<{changed.archive_url}|archived copy>" in json.dumps(slack.accepted[-1])
    assert saved.archive_url not in json.dumps(slack.accepted[-1])  # the new side's copy only


def test_saves_keep_the_per_host_delay_towards_the_archive(
    tmp_path: Path, loopback: Loopback, wayback: Wayback
) -> None:
    urls = [loopback.page(f"/p{n}", BASE) for n in range(3)]
    path = tmp_path / "rw.yaml"
    path.write_text(
        f"snapshots: {tmp_path / 'snapshots'}\n"
        "fetch: {per_host_delay: 0.2, retries: 0, timeout: 5, respect_robots: false}\n"
        f"archive: {{endpoint: '{wayback.base}', poll_interval: 0, poll_timeout: 5}}\n"
        "watches:\n"
        + "".join(
            f"  - {{id: p{n}, url: '{u}', profile: hrw-world-report}}\n" for n, u in enumerate(urls)
        ),
        encoding="utf-8",
    )
    config = load_config(path)
    ctx = open_context(config)
    check_watches(config.watches, ctx)
    wayback.pending_polls = 1
    assert len(run_saves(config, ctx.store).saved) == 3
    starts = [a.at for a in wayback.asked]
    assert len(starts) == 3 + 3 * 2  # a submit and two polls per save
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 0.18, gaps  # fetch.per_host_delay holds for the archive too
