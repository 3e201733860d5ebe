"""Secrets never reach snapshots, the outbox, the run report, artifacts or logs."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path
from uuid import UUID

import pytest
from flows.monitor import monitor
from prefect.artifacts import Artifact
from pydantic import SecretStr

from rightswatch.secrets import reveal
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
        assert TOKEN not in text
        assert PASSWORD not in text
    assert "slack channel 'slack': 127.0.0.1 answered HTTP 500" in json.dumps(report)


def test_a_revealed_secret_is_redacted_from_every_logger_before_any_handler(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "https://hooks.example.org/services/T0/B0/CHILD-LOGGER-TOKEN-5d1e"
    reveal(SecretStr(secret))
    caplog.set_level(logging.DEBUG)
    logging.getLogger("rightswatch.store").warning("writing for %s", secret)
    logging.getLogger("some.other.library").info("POST /services/T0/B0/CHILD-LOGGER-TOKEN-5d1e")
    try:
        raise RuntimeError(f"cannot reach {secret}")
    except RuntimeError:
        logging.getLogger("rightswatch").exception("send failed")
    assert "CHILD-LOGGER-TOKEN" not in caplog.text
    assert [r.getMessage() for r in caplog.records] == [
        "writing for [redacted]",
        "POST [redacted]",
        "send failed",
    ]
    assert "RuntimeError: cannot reach [redacted]" in caplog.text  # the traceback's text too


def test_a_prefect_run_logger_sends_the_server_only_redacted_lines(prefect_api: str) -> None:
    from prefect import flow, get_run_logger
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogHandler
    from prefect.runtime import flow_run

    secret = "smtp-RUN-LOGGER-PASSWORD-0b7a"

    @flow(name="rightswatch-redaction-probe")
    def probe() -> str:
        get_run_logger().warning("logging in with %s", reveal(SecretStr(secret)))
        return str(flow_run.id)

    run_id = probe()
    asyncio.run(APILogHandler.aflush())

    async def lines() -> list[str]:
        async with get_client() as client:
            logs = await client.read_logs(
                LogFilter(flow_run_id=LogFilterFlowRunId(any_=[UUID(run_id)]))
            )
            return [log.message for log in logs]

    deadline = time.monotonic() + 30
    found = asyncio.run(lines())
    while not any("logging in with" in m for m in found):
        assert time.monotonic() < deadline, found
        time.sleep(0.5)
        found = asyncio.run(lines())
    [line] = [m for m in found if "logging in with" in m]
    assert line == "logging in with [redacted]"
    assert all(secret not in m for m in found)
