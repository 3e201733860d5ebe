"""Secrets never reach snapshots, the outbox, the run report, artifacts or logs."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from flows.monitor import monitor
from prefect.artifacts import Artifact

from tests.e2e.conftest import FIXTURES, write_config
from tests.loopback import Loopback, Reply
from tests.peers import Receiver, free_port

TOKEN = "XOXB-SECRET-TOKEN-7f3a9"
PASSWORD = "smtp-PASSWORD-91c2e"


def test_secrets_stay_out_of_every_output(
    prefect_api: str,
    loopback: Loopback,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    slack = Receiver(loopback, f"/services/T0/B0/{TOKEN}")
    slack.failures += [Reply(500, b"oops")] * 4
    monkeypatch.setenv("RW_SLACK", slack.url)
    monkeypatch.setenv("RW_SMTP_PASSWORD", PASSWORD)
    page = loopback.page("/kz", (FIXTURES / "hrw_kazakhstan_2021.html").read_bytes())
    cfg = write_config(
        tmp_path / "rw.yaml",
        tmp_path / "snapshots",
        [("kz", page, "hrw-world-report")],
        extra=f"""\
defaults: {{channels: [slack, mail]}}
channels:
  slack: {{type: slack, webhook_url: "${{RW_SLACK}}"}}
  mail: {{type: email, host: 127.0.0.1, port: {free_port()}, security: none, username: u,
          password: "${{RW_SMTP_PASSWORD}}", sender: a@example.org, recipients: [b@example.org]}}
""",
    )
    caplog.set_level(logging.DEBUG)
    monitor(config_path=str(cfg))
    loopback.page("/kz", (FIXTURES / "pairs" / "torture_number.html").read_bytes())
    report = monitor(config_path=str(cfg))
    assert {d["status"] for d in report["deliveries"]} == {"failed"}  # both channels failed
    outputs = [json.dumps(report), caplog.text]
    artifact = Artifact.get("rightswatch-digest")
    outputs.append(str(artifact.data if artifact else ""))
    outputs += [
        p.read_bytes().decode("utf-8", "replace")
        for p in (tmp_path / "snapshots").rglob("*")
        if p.is_file() and not p.name.endswith(".gz")
    ]
    for text in outputs:
        assert TOKEN not in text and PASSWORD not in text
    assert "slack channel 'slack': 127.0.0.1 answered HTTP 500" in json.dumps(report)
