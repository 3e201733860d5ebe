"""`rightswatch outbox [--retry]` and `rightswatch notify-test CHANNEL` with real peers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rightswatch.cli import app
from rightswatch.outbox import ChangeEvent, Outbox
from rightswatch.store import open_store
from tests.loopback import Loopback, Reply
from tests.peers import PASSWORD, USER, Receiver, smtp_server
from tests.test_notify import URL, fixture_digest

runner = CliRunner()


def config(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "rw.yaml"
    path.write_text(
        f"snapshots: {tmp_path / 'snapshots'}\nwatches:\n  - id: hrw-kz\n    url: {URL}\n"
        f"    channels: [hook]\nchannels:\n{extra}"
    )
    return path


def test_outbox_lists_pending_and_retry_sends_them(tmp_path: Path, loopback: Loopback) -> None:
    receiver = Receiver(loopback, "/hook")
    receiver.failures.append(Reply(503, b"down"))
    cfg = config(tmp_path, f"  hook: {{type: webhook, url: '{receiver.url}'}}\n")
    outbox = Outbox(open_store(tmp_path / "snapshots"))
    changes = fixture_digest("torture_number").watches[0].changes
    outbox.add(
        ChangeEvent(
            id="change-a-b",
            watch_id="hrw-kz",
            url=URL,
            title="HRW Kazakhstan",
            detected_at=datetime(2021, 1, 14, tzinfo=UTC),
            changes=changes,
            channels=["hook"],
        )
    )
    listed = runner.invoke(app, ["outbox", "--config", str(cfg)], env={"COLUMNS": "200"})
    assert listed.exit_code == 0
    assert "hrw-kz" in listed.output
    assert "Torture" in listed.output
    first = runner.invoke(app, ["outbox", "--retry", "--config", str(cfg)], env={"COLUMNS": "200"})
    assert first.exit_code == 1
    assert "hook: failed" in first.output
    assert "HTTP 503" in first.output
    second = runner.invoke(app, ["outbox", "--retry", "--config", str(cfg)])
    assert second.exit_code == 0
    assert "hook: sent (1 change(s))" in second.output
    assert len(receiver.accepted) == 1
    empty = runner.invoke(app, ["outbox", "--config", str(cfg)])
    assert "outbox is empty" in empty.output


def test_notify_test_reports_the_exact_smtp_error_without_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RW_TEST_PASSWORD", "definitely-wrong-password")
    with smtp_server("none", auth=True) as (inbox, port):
        cfg = config(
            tmp_path,
            f"""\
  hook: {{type: console}}
  mail:
    type: email
    host: 127.0.0.1
    port: {port}
    security: none
    username: {USER}
    password: "${{RW_TEST_PASSWORD}}"
    sender: rightswatch@example.org
    recipients: [analyst@example.org]
""",
        )
        bad = runner.invoke(app, ["notify-test", "mail", "--config", str(cfg)])
        assert bad.exit_code == 1
        assert (
            f"email channel 'mail': SMTP 535 authentication failed at 127.0.0.1:{port}"
            in bad.output
        )
        assert "definitely-wrong" not in bad.output
        monkeypatch.setenv("RW_TEST_PASSWORD", PASSWORD)
        good = runner.invoke(app, ["notify-test", "mail", "--config", str(cfg)])
        assert good.exit_code == 0
        assert "sent a sample digest to mail" in good.output
    [message] = inbox.messages
    assert "[test] World Report 2021: Kazakhstan" in message["Subject"]
    assert "152 complaints" in message.get_body(("plain",)).get_content()
    unknown = runner.invoke(app, ["notify-test", "nope", "--config", str(cfg)])
    assert unknown.exit_code == 2
    assert "no channel 'nope'" in unknown.output
