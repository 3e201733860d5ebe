"""Health notices (one "failing", one "recovered") and the suspect guard's persistence rule,
through the real flow."""

from __future__ import annotations

from pathlib import Path

from flows.monitor import monitor

from rightswatch.extract import extract
from tests.e2e.conftest import FIXTURES, write_config
from tests.faults.test_fetch_faults import CAPTCHA, HTML, FaultyPage, hook_channel
from tests.loopback import Loopback, Reply
from tests.peers import Receiver

BASE = (FIXTURES / "hrw_kazakhstan_2021.html").read_bytes()


def notices(receiver: Receiver, kind: str) -> list[dict]:
    return [n for p in receiver.accepted for n in p["notices"] if n["kind"] == kind]


def test_one_failing_notice_then_one_recovered_to_health_channels(
    prefect_api: str, loopback: Loopback, tmp_path: Path
) -> None:
    page = FaultyPage(loopback)
    news, ops = Receiver(loopback, "/news"), Receiver(loopback, "/ops")
    cfg = write_config(
        tmp_path / "rw.yaml",
        tmp_path / "s",
        [("kz", page.url, "hrw-world-report")],
        extra=f"""\
health: {{alert_after: 2}}
defaults: {{channels: [news], health_channels: [ops]}}
channels:
  news: {{type: webhook, url: '{news.url}'}}
  ops: {{type: webhook, url: '{ops.url}'}}
""",
    )
    run = lambda: monitor(config_path=str(cfg))  # noqa: E731
    assert run()["watches"][0]["status"] == "baseline"
    page.fault = Reply(503, b"down", HTML)
    for _ in range(4):
        assert run()["watches"][0]["status"] == "error"
    [failing] = notices(ops, "failing")  # after 2 failures, and never repeated
    assert failing["watch_id"] == "kz"
    assert "2 consecutive failed checks" in failing["message"]
    assert "HTTP 503" in failing["message"]
    page.fault = None
    assert run()["watches"][0]["status"] == "unchanged"
    assert run()["watches"][0]["status"] == "unchanged"
    [recovered] = notices(ops, "recovered")
    assert "after 4 failed check(s)" in recovered["message"]
    assert len(notices(ops, "failing")) == 1
    assert news.accepted == []  # health notices went to health_channels only


def test_a_large_deletion_is_suspect_until_it_persists(
    prefect_api: str, loopback: Loopback, tmp_path: Path
) -> None:
    page = FaultyPage(loopback)
    hook = Receiver(loopback, "/hook")
    cfg = write_config(
        tmp_path / "rw.yaml",
        tmp_path / "s",
        [("kz", page.url, "hrw-world-report")],
        extra=hook_channel(hook.url),
    )
    run = lambda: monitor(config_path=str(cfg))["watches"][0]  # noqa: E731
    assert run()["status"] == "baseline"
    # The chapter loses everything after "Labor Rights": most sections gone at once.
    text = BASE.decode()
    cut = text.index('<h3 id="counterterrorism-and-extremism">')
    page.body = (
        text[:cut] + text[text.index('<div class="social-share social-share--bottom">') :]
    ).encode()
    assert len(extract(page.body.decode(), page.url).sections) == 6
    first = run()
    assert first["status"] == "suspect"
    assert "seen 1 of 2 runs" in first["error"]
    assert hook.accepted == []
    second = run()
    assert second["status"] == "changed"
    removed = [c["section"] for c in second["changes"] if c["kind"] == "removed"]
    assert removed[:2] == ["Counterterrorism and Extremism", "Violence against Women and Girls"]
    assert len(removed) == 9
    assert run()["status"] == "unchanged"
    assert len(hook.accepted) == 1


def test_a_block_page_is_never_accepted_however_long_it_lasts(
    prefect_api: str, loopback: Loopback, tmp_path: Path
) -> None:
    page = FaultyPage(loopback)
    cfg = write_config(tmp_path / "rw.yaml", tmp_path / "s", [("kz", page.url, "hrw-world-report")])
    assert monitor(config_path=str(cfg))["watches"][0]["status"] == "baseline"
    page.fault = Reply(200, CAPTCHA, HTML)
    for _ in range(3):
        result = monitor(config_path=str(cfg))["watches"][0]
        assert result["status"] == "suspect"
        assert "Just a moment" in result["error"]
