"""Every fetch fault against a real loopback server, through the real flow.

Each case: a baseline; then the page is edited *and* misbehaves; then it recovers. Asserted:
nothing lost (the edit is reported once the page recovers), no false alert (nothing is
reported while it misbehaves, the baseline is untouched), no duplicate (delivered once).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flows.monitor import monitor

from rightswatch.outbox import Outbox
from rightswatch.store import open_store
from tests.e2e.conftest import FIXTURES, write_config
from tests.loopback import Loopback, Reply, Request
from tests.peers import Receiver

BASE = (FIXTURES / "hrw_kazakhstan_2021.html").read_bytes()
EDITED = (FIXTURES / "pairs" / "torture_number.html").read_bytes()
HTML = {"Content-Type": "text/html; charset=utf-8"}
CAPTCHA = (
    b"<html><head><title>Just a moment...</title></head><body><h1>Checking your browser "
    b"before accessing www.hrw.org</h1><form id='challenge-form'></form></body></html>"
)

FAULTS: dict[str, Reply] = {
    "500": Reply(500, b"<html><body>Internal Server Error</body></html>", HTML),
    "503": Reply(503, b"<html><body>Service Unavailable</body></html>", HTML),
    "429-retry-after": Reply(429, b"slow down", {**HTML, "Retry-After": "1"}),
    "timeout": Reply(200, EDITED, HTML, delay=3),
    "connection-reset": Reply(action="reset"),
    "empty-200": Reply(200, b"", HTML),
    "truncated-body": Reply(200, EDITED, HTML, action="truncate"),
    "captcha-200": Reply(200, CAPTCHA, HTML),
    "error-page-200": Reply(
        200,
        b"<html><head><title>Human Rights Watch</title></head><body>"
        b"<main><h1>Page not found</h1><p>Sorry.</p></main></body></html>",
        HTML,
    ),
}
EXPECTED_STATUS = {"empty-200": "suspect", "captcha-200": "suspect", "error-page-200": "suspect"}


def hook_channel(url: str) -> str:
    return f"defaults: {{channels: [hook]}}\nchannels:\n  hook: {{type: webhook, url: '{url}'}}\n"


class FaultyPage:
    def __init__(self, loopback: Loopback) -> None:
        self.body = BASE
        self.fault: Reply | None = None
        self.url = loopback.route("/world-report/2021/country-chapters/kazakhstan", self._answer)

    def _answer(self, req: Request) -> Reply:  # noqa: ARG002 - a Route
        return self.fault or Reply(200, self.body, HTML)


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fetch_fault_loses_nothing_and_raises_no_false_alert(
    fault: str, prefect_api: str, loopback: Loopback, tmp_path: Path
) -> None:
    page = FaultyPage(loopback)
    healthy = loopback.page("/healthy", (FIXTURES / "generic_article.html").read_bytes())
    hook = Receiver(loopback, "/hook")
    cfg = write_config(
        tmp_path / "rw.yaml",
        tmp_path / "snapshots",
        [
            ("kz", page.url, "hrw-world-report"),
            ("other", healthy, "generic"),
        ],
        extra=hook_channel(hook.url),
        timeout=1,
    )
    store = open_store(tmp_path / "snapshots")

    def run() -> dict[str, dict]:
        return {w["id"]: w for w in monitor(config_path=str(cfg))["watches"]}

    assert run()["kz"]["status"] == "baseline"
    baseline = store.state("kz").last_good_hash

    page.body, page.fault = EDITED, FAULTS[fault]
    during = run()
    assert during["kz"]["status"] == EXPECTED_STATUS.get(fault, "error"), during["kz"]
    assert during["kz"]["error"]
    assert during["kz"]["changes"] == []
    assert during["other"]["status"] == "unchanged"  # the others are checked as usual
    assert store.state("kz").last_good_hash == baseline  # garbage never becomes the baseline
    assert Outbox(store).pending() == []
    assert hook.accepted == []
    if EXPECTED_STATUS.get(fault) == "suspect":
        assert list((tmp_path / "snapshots" / "kz" / "suspect").iterdir())  # kept for inspection

    page.fault = None
    after = run()
    assert after["kz"]["status"] == "changed"  # nothing lost
    assert [c["section"] for c in after["kz"]["changes"]] == ["Torture"]
    assert run()["kz"]["status"] == "unchanged"
    torture = [p for p in hook.accepted if "Torture" in str(p)]
    assert len(torture) == 1  # no duplicate
    assert len(store.history("kz")) == 2
