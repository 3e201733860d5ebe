"""Outages of Slack and SMTP: every change is delivered on a later run, exactly once, and a
failing channel never holds back the others. Runs go through the real flow and Prefect server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from flows.monitor import monitor

from rightswatch.outbox import Outbox
from rightswatch.store import open_store
from tests.e2e.conftest import FIXTURES, write_config
from tests.loopback import Loopback, Reply
from tests.peers import PASSWORD, USER, Inbox, Receiver, free_port, smtp_server

BASE = (FIXTURES / "hrw_kazakhstan_2021.html").read_bytes()
EDITED = (FIXTURES / "pairs" / "torture_number.html").read_bytes()


class World:
    """One watched page, a Slack-like receiver, an SMTP server, and the config tying them."""

    def __init__(
        self, loopback: Loopback, tmp_path: Path, stack: ExitStack, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        self.loopback, self.stack = loopback, stack
        self.page = loopback.page("/kz", BASE)
        self.slack = Receiver(loopback)
        self.smtp_port = free_port()
        self.inbox: Inbox | None = None
        monkeypatch.setenv("TEST_SLACK_WEBHOOK", self.slack.url)
        monkeypatch.setenv("TEST_SMTP_PASSWORD", PASSWORD)
        self.config = write_config(
            tmp_path / "rw.yaml",
            tmp_path / "snapshots",
            [("kz", self.page, "hrw-world-report")],
            extra=f"""\
defaults: {{channels: [team-slack, analysts-email]}}
channels:
  team-slack: {{type: slack, webhook_url: "${{TEST_SLACK_WEBHOOK}}"}}
  analysts-email:
    type: email
    host: 127.0.0.1
    port: {self.smtp_port}
    security: none
    username: {USER}
    password: "${{TEST_SMTP_PASSWORD}}"
    sender: rightswatch@example.org
    recipients: [analyst@example.org]
    timeout: 5
""",
        )
        self.store = open_store(tmp_path / "snapshots")

    def start_smtp(self) -> None:
        self.inbox, _ = self.stack.enter_context(
            smtp_server("none", auth=True, port=self.smtp_port)
        )

    def run(self) -> dict[str, str]:
        report = monitor(config_path=str(self.config))
        return {d["channel"]: d["status"] for d in report["deliveries"]}

    def baseline_then_change(self) -> dict[str, str]:
        assert self.run() == {}
        self.loopback.page("/kz", EDITED)
        return self.run()

    def slack_torture_messages(self) -> int:
        return sum("|Torture>*" in str(p) for p in self.slack.accepted)


@pytest.fixture
def world(
    loopback: Loopback, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefect_api: str
) -> Iterator[World]:
    with ExitStack() as stack:
        yield World(loopback, tmp_path, stack, monkeypatch)


def test_slack_500_then_recovering(world: World) -> None:
    world.start_smtp()
    world.slack.failures += [Reply(500, b"internal_error")] * 2  # both in-run attempts
    assert world.baseline_then_change() == {"team-slack": "failed", "analysts-email": "sent"}
    assert world.slack_torture_messages() == 0
    assert world.inbox is not None
    assert len(world.inbox.messages) == 1
    assert world.run() == {"team-slack": "sent"}  # next run, page unchanged
    assert world.slack_torture_messages() == 1
    assert world.run() == {}
    assert world.slack_torture_messages() == 1
    assert len(world.inbox.messages) == 1
    assert Outbox(world.store).pending() == []


def test_slack_429_with_retry_after(world: World) -> None:
    world.start_smtp()
    world.slack.failures.append(Reply(429, b"rate_limited", {"Retry-After": "1"}))
    assert world.baseline_then_change() == {"team-slack": "sent", "analysts-email": "sent"}
    assert world.slack.attempts == 2
    assert world.slack_torture_messages() == 1


def test_smtp_refusing_connections(world: World) -> None:
    assert world.baseline_then_change() == {"team-slack": "sent", "analysts-email": "failed"}
    assert world.slack_torture_messages() == 1
    world.start_smtp()
    assert world.run() == {"analysts-email": "sent"}
    assert world.inbox is not None
    assert len(world.inbox.messages) == 1
    assert "152 complaints" in world.inbox.messages[0].get_body(("plain",)).get_content()
    assert world.run() == {}
    assert world.slack_torture_messages() == 1
    assert len(world.inbox.messages) == 1


def test_smtp_rejecting_auth(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    world.start_smtp()
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "not-the-password")
    assert world.baseline_then_change() == {"team-slack": "sent", "analysts-email": "failed"}
    [event] = Outbox(world.store).pending()
    error = Outbox(world.store).last_error(event, "analysts-email") or ""
    assert "SMTP 535 authentication failed" in error
    assert "not-the-password" not in error
    monkeypatch.setenv("TEST_SMTP_PASSWORD", PASSWORD)
    assert world.run() == {"analysts-email": "sent"}
    assert world.inbox is not None
    assert len(world.inbox.messages) == 1
    assert world.slack_torture_messages() == 1


def test_crash_between_send_and_commit_resends_with_the_same_idempotency_key(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.start_smtp()
    original = Outbox.commit
    crashed: list[str] = []

    def crash_once(self: Outbox, events: list, channel: str, key: str) -> None:
        if channel == "team-slack" and not crashed:
            crashed.append(key)
            raise RuntimeError("killed after Slack accepted, before the delivery was recorded")
        original(self, events, channel, key)

    monkeypatch.setattr(Outbox, "commit", crash_once)
    assert world.baseline_then_change() == {"team-slack": "failed", "analysts-email": "sent"}
    assert world.run() == {"team-slack": "sent"}
    # At least once: Slack saw the digest twice, both carrying the same idempotency key.
    assert world.slack_torture_messages() == 2
    [event] = Outbox(world.store).events("kz")
    marker = world.store.blobs.read(f"kz/outbox/{event.id}.team-slack.sent")
    assert marker is not None
    assert json.loads(marker)["key"] == crashed[0]
    assert world.run() == {}


def test_crash_between_commit_and_marks_is_repaired_without_resending(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.start_smtp()
    original = Outbox.mark_sent
    crashed: list[str] = []

    def crash_once(
        self: Outbox, events: list, channel: str, key: str, outcome: str = "sent"
    ) -> None:
        if channel == "team-slack" and not crashed:
            crashed.append(key)
            raise RuntimeError("killed after the delivery was recorded, before the markers")
        original(self, events, channel, key, outcome)  # type: ignore[arg-type]

    monkeypatch.setattr(Outbox, "mark_sent", crash_once)
    assert world.baseline_then_change() == {"team-slack": "failed", "analysts-email": "sent"}
    assert world.run() == {"team-slack": "nothing"}  # repaired from the commit record
    assert world.slack_torture_messages() == 1
    assert Outbox(world.store).pending() == []
