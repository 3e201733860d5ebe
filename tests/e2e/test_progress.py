"""The CLI follows a run's progress through progress.following, with no listener list: every
watch's final result is heard from inside Prefect's task threads, and only by its follower."""

from __future__ import annotations

from pathlib import Path

from flows.monitor import monitor

from rightswatch.progress import following, tell
from rightswatch.result import WatchResult
from tests.e2e.conftest import FIXTURES, write_config
from tests.loopback import Loopback, Reply, Request

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


def test_a_transient_failure_is_checked_again_by_a_prefect_task_retry_within_the_run(
    prefect_api: str, loopback: Loopback, tmp_path: Path
) -> None:
    def flaky(req: Request) -> Reply:  # fails twice, then answers
        if req.count <= 2:
            return Reply(503, b"busy", {"Content-Type": "text/html"})
        return Reply(200, BASE, {"Content-Type": "text/html; charset=utf-8"})

    cfg = write_config(
        tmp_path / "rw.yaml",
        tmp_path / "snapshots",
        [("kz", loopback.route("/kz", flaky), "hrw-world-report")],
        extra="",
    )
    cfg.write_text(cfg.read_text().replace("task_retries: 1", "task_retries: 2"))
    heard: list[str] = []
    with following(lambda r: heard.append(f"{r.id}:{r.status}")):
        summary = monitor(config_path=str(cfg), notify=False)
    assert [w["status"] for w in summary["watches"]] == ["baseline"]
    assert len(loopback.requests_to("/kz")) == 3  # the first check and two task attempts
    assert heard == ["kz:baseline"]  # the failures on the way were not final


def test_a_failure_that_stays_transient_ends_as_an_error_after_the_task_retries(
    prefect_api: str, loopback: Loopback, tmp_path: Path
) -> None:
    url = loopback.route("/kz", Reply(503, b"busy", {"Content-Type": "text/html"}))
    cfg = write_config(tmp_path / "rw.yaml", tmp_path / "snapshots", [("kz", url, "auto")])
    summary = monitor(config_path=str(cfg), notify=False)
    [kz] = summary["watches"]
    assert kz["status"] == "error"
    assert "503" in kz["error"]
    assert len(loopback.requests_to("/kz")) == 2  # task_retries: 1 → checked twice in all
