"""The `rightswatch-monitor` flow under a real Prefect server, against pages on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest
from flows.monitor import monitor
from prefect.artifacts import Artifact

from rightswatch.store import open_store
from tests.e2e.conftest import FIXTURES, write_config
from tests.loopback import Loopback, Reply, Request

BASE = (FIXTURES / "hrw_kazakhstan_2021.html").read_bytes()
EDITED = (FIXTURES / "pairs" / "torture_number.html").read_bytes()
RU = (FIXTURES / "hrw_kazakhstan_2021_ru.html").read_bytes()
GENERIC = (FIXTURES / "generic_article.html").read_bytes()


class Site:
    """Pages that answer conditional requests like a Drupal site, switchable per test."""

    def __init__(self, loopback: Loopback) -> None:
        self.loopback = loopback
        self.bodies: dict[str, tuple[bytes, str]] = {}

    def serve(self, path: str, body: bytes, ctype: str = "text/html; charset=utf-8") -> str:
        self.bodies[path] = (body, ctype)
        return self.loopback.route(path, self._answer)

    def _answer(self, req: Request) -> Reply:
        body, ctype = self.bodies[req.path]
        etag = f'"{hash(body) & 0xFFFFFFFF:x}"'
        headers = {
            "Content-Type": ctype,
            "ETag": etag,
            "Last-Modified": "Wed, 13 Jan 2021 10:00:00 GMT",
        }
        if req.headers.get("If-None-Match") == etag and req.headers.get("If-Modified-Since"):
            return Reply(304, b"", headers)
        return Reply(200, body, headers)


@pytest.fixture
def site(loopback: Loopback) -> Site:
    return Site(loopback)


def statuses(report: dict) -> dict[str, str]:
    return {w["id"]: w["status"] for w in report["watches"]}


def test_baseline_then_changed_and_unchanged_pages(
    prefect_api: str, site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = write_config(
        tmp_path / "rw.yaml",
        tmp_path / "snapshots",
        [
            ("kz", site.serve("/kz", BASE), "hrw-world-report"),
            ("kz-ru", site.serve("/ru", RU, ctype="text/html"), "auto"),
            ("article", site.serve("/article", GENERIC), "generic"),
            ("gone", site.loopback.url("/gone"), "auto"),
        ],
    )
    first = monitor(config_path=str(cfg))
    assert statuses(first) == {
        "kz": "baseline",
        "kz-ru": "baseline",
        "article": "baseline",
        "gone": "error",
    }
    gone = next(w for w in first["watches"] if w["id"] == "gone")
    assert gone["error"] == f"{site.loopback.url('/gone')}: HTTP 404 Not Found"
    assert first["deliveries"] == []  # a baseline is not a change

    site.serve("/kz", EDITED)
    second = monitor(config_path=str(cfg))
    assert statuses(second) == {
        "kz": "changed",
        "kz-ru": "unchanged",
        "article": "unchanged",
        "gone": "error",
    }
    kz = next(w for w in second["watches"] if w["id"] == "kz")
    [change] = kz["changes"]
    assert (change["section"], change["kind"]) == ("Torture", "modified")
    assert change["facts"][0]["old"] == "140 complaints"
    assert change["facts"][0]["new"] == "152 complaints"
    assert [(d["channel"], d["status"], d["events"]) for d in second["deliveries"]] == [
        ("console", "sent", 1)
    ]
    printed = capsys.readouterr().out
    assert "Torture — modified" in printed
    assert "fact 140 complaints → 152 complaints (number)" in printed

    artifact = Artifact.get("rightswatch-digest")
    assert artifact is not None
    assert artifact.data is not None
    markdown = str(artifact.data)
    assert "1 changed" in markdown
    assert "2 unchanged" in markdown
    assert "1 error" in markdown
    assert "Torture" in markdown
    assert "**152 complaints**" in markdown
    assert "**gone** (error)" in markdown
    [report] = (tmp_path / "snapshots" / "kz" / "reports").glob("*.html")
    assert "<ins>152</ins>" in report.read_text()
    assert "[Full report](file://" in markdown
    assert kz["snapshot"]
    assert report.name.startswith(kz["snapshot"][:8])

    third = monitor(config_path=str(cfg))
    assert statuses(third)["kz"] == "unchanged"
    assert next(w for w in third["watches"] if w["id"] == "kz")["not_modified"] is True
    # The Torture change was delivered once and never again; what goes out now is the one
    # "watch failing" notice for `gone`, after its third failed check in a row.
    assert [(d["channel"], d["events"]) for d in third["deliveries"]] == [("console", 1)]
    printed = capsys.readouterr().out
    assert "gone: 3 consecutive failed checks" in printed
    assert "Torture" not in printed
    store = open_store(tmp_path / "snapshots")
    assert len(store.history("kz")) == 2
    assert len(store.history("kz-ru")) == 1


def test_transient_fetch_error_is_retried_within_the_run(
    prefect_api: str, loopback: Loopback, tmp_path: Path
) -> None:
    def flaky(req: Request) -> Reply:
        if req.count == 1:
            return Reply(503, b"busy", {"Content-Type": "text/html"})
        return Reply(200, BASE, {"Content-Type": "text/html; charset=utf-8"})

    url = loopback.route("/flaky", flaky)
    cfg = write_config(tmp_path / "rw.yaml", tmp_path / "snapshots", [("kz", url, "auto")])
    report = monitor(config_path=str(cfg), notify=False)
    assert statuses(report) == {"kz": "baseline"}
    assert len(loopback.requests_to("/flaky")) == 2  # fetch retries are 0: the check retried


def test_client_errors_are_not_retried(
    prefect_api: str, loopback: Loopback, tmp_path: Path
) -> None:
    cfg = write_config(
        tmp_path / "rw.yaml", tmp_path / "snapshots", [("gone", loopback.url("/gone"), "auto")]
    )
    report = monitor(config_path=str(cfg))
    assert statuses(report) == {"gone": "error"}
    assert len(loopback.requests_to("/gone")) == 1


def test_watch_subset_and_no_notify_keep_changes_pending(
    prefect_api: str, site: Site, tmp_path: Path
) -> None:
    cfg = write_config(
        tmp_path / "rw.yaml",
        tmp_path / "snapshots",
        [
            ("kz", site.serve("/kz", BASE), "hrw-world-report"),
            ("article", site.serve("/article", GENERIC), "generic"),
        ],
    )
    assert statuses(monitor(config_path=str(cfg), watches=["kz"])) == {"kz": "baseline"}
    site.serve("/kz", EDITED)
    quiet = monitor(config_path=str(cfg), watches=["kz"], notify=False)
    assert statuses(quiet) == {"kz": "changed"}
    assert quiet["deliveries"] == []
    later = monitor(config_path=str(cfg), watches=["kz"])
    assert statuses(later) == {"kz": "unchanged"}
    assert [(d["channel"], d["status"], d["events"]) for d in later["deliveries"]] == [
        ("console", "sent", 1)
    ]
