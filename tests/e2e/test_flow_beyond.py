"""The flow wires discovery and translation lag in: discovered pages join the next run, and
a lag notice reaches the channels at the end of a run."""

from __future__ import annotations

import time
from pathlib import Path

from rightswatch.outbox import Outbox
from rightswatch.store import open_store
from tests.e2e.conftest import FIXTURES
from tests.loopback import Loopback
from tests.test_discovery import CHAPTERS, index_page

BASE = (FIXTURES / "hrw_kazakhstan_2021.html").read_bytes()
TORTURE = (FIXTURES / "pairs" / "torture_number.html").read_bytes()
RU = (FIXTURES / "hrw_kazakhstan_2021_ru.html").read_bytes()


def test_the_flow_follows_discovered_pages_and_reports_translation_lag(
    tmp_path: Path, loopback: Loopback, prefect_api: str
) -> None:
    from flows.monitor import monitor

    for href, _name in CHAPTERS:
        loopback.page(href, BASE)
    index = loopback.page("/world-report", index_page(CHAPTERS))
    en, ru = loopback.page("/en", BASE), loopback.page("/ru", RU, "text/html")
    cfg = tmp_path / "rw.yaml"
    cfg.write_text(
        f"snapshots: {tmp_path / 'snapshots'}\n"
        "fetch: {per_host_delay: 0, retries: 0, timeout: 5, respect_robots: false}\n"
        "run: {max_workers: 4, task_retries: 0}\n"
        f"editions: {{lag_days: {1.0 / 86400}}}\n"
        "watches:\n"
        f"  - {{id: wr, url: '{index}', kind: index, auto_watch: true,\n"
        "      link_pattern: '/country-chapters/', profile: hrw-world-report}\n"
        f"  - {{id: kz-en, url: '{en}', profile: hrw-world-report, lang: en}}\n"
        f"  - {{id: kz-ru, url: '{ru}', profile: hrw-world-report, edition_of: kz-en,"
        " lang: ru}\n",
        encoding="utf-8",
    )
    first = monitor(config_path=str(cfg), notify=False)
    assert sorted(w["id"] for w in first["watches"]) == ["kz-en", "kz-ru", "wr"]

    loopback.page("/en", TORTURE)
    second = monitor(config_path=str(cfg), notify=False)
    found = [w for w in second["watches"] if w["id"] not in ("kz-en", "kz-ru", "wr")]
    assert len(found) == 2
    assert {w["status"] for w in found} == {"baseline"}

    time.sleep(2)
    third = monitor(config_path=str(cfg), notify=True)
    [console] = third["deliveries"]
    assert console["status"] == "sent"
    outbox = Outbox(open_store(tmp_path / "snapshots"))
    assert [e.kind for e in outbox.events("kz-ru")] == ["lag"]
    assert outbox.pending("console") == []
