"""The CLI follows a run's progress through progress.following, with no listener list: every
watch's final result is heard from inside Prefect's task threads, and only by its follower."""

from __future__ import annotations

from pathlib import Path

from flows.monitor import monitor

from rightswatch.progress import following, tell
from rightswatch.result import WatchResult
from tests.e2e.conftest import FIXTURES, write_config
from tests.loopback import Loopback

BASE = (FIXTURES / "hrw_kazakhstan_2021.html").read_bytes()


def test_a_follower_hears_each_watch_of_a_flow_run_once(
    prefect_api: str, loopback: Loopback, tmp_path: Path
) -> None:
    cfg = write_config(
        tmp_path / "rw.yaml",
        tmp_path / "snapshots",
        [
            ("kz", loopback.page("/kz", BASE), "hrw-world-report"),
            ("gone", loopback.url("/gone"), "auto"),
        ],
    )
    heard: list[str] = []
    with following(lambda r: heard.append(f"{r.id}:{r.status}")):
        monitor(config_path=str(cfg), notify=False)
    assert sorted(heard) == ["gone:error", "kz:baseline"]
    tell(WatchResult(id="late", url="http://127.0.0.1/", title="late", status="unchanged"))
    assert "late:unchanged" not in heard  # nothing stays registered after the block
