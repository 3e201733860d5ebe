"""Bad pages give a clear per-watch error or a sensible extraction, never a crash of the run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from rightswatch.check import CheckContext, WatchResult, check_watch
from rightswatch.config import parse_config
from rightswatch.fetch import Fetcher
from rightswatch.store import open_store
from tests.e2e.conftest import FIXTURES
from tests.loopback import Loopback

RU = (FIXTURES / "hrw_kazakhstan_2021_ru.html").read_bytes()


@pytest.fixture
def check(loopback: Loopback, tmp_path: Path) -> Iterator:
    config = parse_config(
        f"snapshots: {tmp_path / 's'}\nfetch: {{per_host_delay: 0, retries: 0, timeout: 5}}\n"
        "watches:\n  - {id: page, url: 'http://127.0.0.1/'}\n"
    )
    ctx = CheckContext(
        config=config, store=open_store(config.snapshots), fetcher=Fetcher(config.fetch)
    )

    def run(
        body: bytes, ctype: str = "text/html; charset=utf-8", profile: str = "auto"
    ) -> WatchResult:
        url = loopback.page("/page", body, ctype=ctype)
        watch = config.watches[0].model_copy(update={"url": url, "profile": profile})
        return check_watch(watch, ctx)

    yield run
    ctx.close()


def stored(tmp_path: Path) -> list[tuple[str, list[str]]] | None:
    """The baseline document's sections as (heading, paragraphs), or None if none was kept."""
    store = open_store(tmp_path / "s")
    record = store.latest("page")
    if record is None:
        return None
    doc = store.document("page", record.content_hash)
    return [(section.heading, section.paragraphs) for section in doc.sections]


def test_malformed_html_is_extracted_sensibly(check, tmp_path: Path) -> None:
    html = (
        b"<html><body><main><h2>Torture<p>Unclosed paragraph <b>bold <i>both</b> and more text"
        b"<h2>Labor Rights</h3><p>Restrictions persist.<div></span></table></main>"
    )
    result = check(html)
    assert (result.status, result.error) == ("baseline", None)
    assert stored(tmp_path) == [
        ("Torture", ["Unclosed paragraph bold both and more text"]),
        ("Labor Rights", ["Restrictions persist."]),
    ]


def test_10000_deep_nesting_does_not_crash(check, tmp_path: Path) -> None:
    html = (
        b"<html><body><main>"
        + b"<div>" * 10_000
        + b"<h2>Deep</h2><p>Bottom text here.</p>"
        + b"</div>" * 10_000
    )
    result = check(html)
    assert (result.status, result.error) == ("baseline", None)
    assert stored(tmp_path) == [("Deep", ["Bottom text here."])]


def test_50_mb_body_is_a_clear_error(check) -> None:
    result = check(b"<html><body>" + b"x" * (50 * 1024 * 1024) + b"</body></html>")
    assert result.status == "error"
    assert "over the 10,485,760-byte limit (fetch.max_bytes)" in (result.error or "")


def test_binary_bodies(check, tmp_path: Path) -> None:
    blob = os.urandom(200_000)
    result = check(blob, ctype="application/octet-stream")
    assert result.status == "error"
    assert "expected an HTML page, got 'application/octet-stream'" in (result.error or "")
    disguised = check(blob, ctype="text/html")
    assert disguised.status == "error"
    assert (disguised.error or "").endswith(
        "/page: the body is binary data, not an HTML page (served as text/html)"
    )
    assert stored(tmp_path) is None  # neither became a baseline


def test_wrong_and_missing_charsets(check) -> None:
    text = RU.replace(b'<meta charset="windows-1251">', b"")
    lying = check(text, ctype="text/html; charset=utf-8", profile="hrw-world-report")
    assert lying.status == "baseline"
    assert lying.title == "Всемирный доклад 2021: Казахстан"
    missing = check(
        text.replace(b"Covid-19", b"COVID-19"), ctype="text/html", profile="hrw-world-report"
    )
    assert missing.status == "changed"
    assert missing.title == "Всемирный доклад 2021: Казахстан"


def test_a_page_with_no_headings_is_one_section(check, tmp_path: Path) -> None:
    result = check(
        b"<html><head><title>Statement</title></head><body><p>"
        + b"A statement. " * 40
        + b"</p></body></html>"
    )
    assert (result.status, result.title) == ("baseline", "Statement")
    [(_, paragraphs)] = stored(tmp_path) or []
    assert paragraphs == [" ".join(["A statement."] * 40)]
