"""Early fetches of a one-shot run (prefetch.py) against a real server on 127.0.0.1: what the
checks may take from them, and what they must never do (write, skip the rules, double-fetch)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from rightswatch import prefetch
from rightswatch.config import Config, parse_config
from rightswatch.coordinate import store_for
from rightswatch.fetch import FetchError, NotModified, Page, Validators
from tests.loopback import Loopback, Reply, Request

HTML = "<html><head><title>T</title></head><body><main><h2>A</h2><p>Text.</p></main></body></html>"


def config(tmp_path: Path, urls: list[str], extra: str = "", workers: int = 4) -> Config:
    lines = [
        f"snapshots: {tmp_path / 'snapshots'}",
        "fetch: {per_host_delay: 0, retries: 0, timeout: 5, per_host_concurrency: "
        f"{workers}, respect_robots: true}}",
        f"run: {{max_workers: {workers}{extra}}}",
        "watches:",
        *(f"  - {{id: p{i}, url: '{u}'}}" for i, u in enumerate(urls)),
    ]
    return parse_config("\n".join(lines) + "\n")


def etag_page(request: Request) -> Reply:
    if request.headers.get("If-None-Match") == '"v1"':
        return Reply(304, b"", {"ETag": '"v1"'})
    return Reply(200, HTML.encode(), {"Content-Type": "text/html", "ETag": '"v1"'})


def early(cfg: Config) -> prefetch.Prefetch:
    store = store_for(cfg)
    prefetch.start(cfg, store, list(cfg.watches))
    got = prefetch.claim(cfg)
    assert got is not None
    return got


def test_a_first_check_takes_the_early_page_and_nothing_is_fetched_twice(
    tmp_path: Path, loopback: Loopback
) -> None:
    urls = [loopback.route(f"/r{i}", etag_page) for i in range(6)]
    cfg = config(tmp_path, urls)
    ahead = early(cfg)
    try:
        for watch in cfg.watches:
            got = ahead.take(watch, None, None)  # no baseline yet: no validators
            assert isinstance(got, Page)
            assert got.validators.etag == '"v1"'
        assert ahead.take(cfg.watches[0], None, None) is None  # taken once only
    finally:
        ahead.close()
    assert [len(loopback.requests_to(f"/r{i}")) for i in range(6)] == [1] * 6
    assert not (tmp_path / "snapshots").exists() or not any(
        (tmp_path / "snapshots").rglob("*.json")
    )


def test_an_early_answer_to_other_validators_is_not_used(
    tmp_path: Path, loopback: Loopback
) -> None:
    url = loopback.route("/r", etag_page)
    cfg = config(tmp_path, [url])
    ahead = early(cfg)
    try:
        # The state moved between the early fetch and the check (another run committed): the
        # check would send validators the early fetch did not, so it must fetch itself.
        assert ahead.take(cfg.watches[0], Validators('"v1"', None), "a-baseline") is None
    finally:
        ahead.close()
    with ahead.fetcher as fetcher:
        assert isinstance(fetcher.fetch(url, Validators('"v1"', None)), NotModified)


def test_a_page_not_yet_started_is_left_to_the_check(tmp_path: Path, loopback: Loopback) -> None:
    slow = loopback.route("/slow", Reply(200, HTML.encode(), {"Content-Type": "text/html"}, 0.6))
    later = loopback.page("/later", HTML)
    cfg = config(tmp_path, [slow, later], workers=1)  # one early thread, busy with /slow
    ahead = early(cfg)
    try:
        time.sleep(0.1)
        assert ahead.take(cfg.watches[1], None, None) is None  # cancelled: never fetched early
        assert isinstance(ahead.take(cfg.watches[0], None, None), Page)  # waited for
    finally:
        ahead.close()
    assert loopback.requests_to("/later") == []


def test_early_fetches_obey_robots_txt(tmp_path: Path, loopback: Loopback) -> None:
    loopback.page("/robots.txt", "User-agent: *\nDisallow: /private\n", "text/plain")
    private = loopback.page("/private", HTML)
    cfg = config(tmp_path, [private])
    ahead = early(cfg)
    try:
        got = ahead.take(cfg.watches[0], None, None)
    finally:
        ahead.close()
    assert isinstance(got, FetchError)
    assert got.kind == "robots"
    assert loopback.requests_to("/private") == []


@pytest.mark.parametrize("extra", [", shards: 2", ", coordination: prefect"])
def test_no_early_fetches_when_limits_must_hold_across_workers(
    tmp_path: Path, loopback: Loopback, extra: str
) -> None:
    cfg = config(tmp_path, [loopback.page("/r", HTML)], extra)
    prefetch.start(cfg, store_for(cfg), list(cfg.watches))
    assert prefetch.claim(cfg) is None
    assert loopback.requests_to("/r") == []


def test_a_run_with_another_config_does_not_take_them(tmp_path: Path, loopback: Loopback) -> None:
    cfg = config(tmp_path, [loopback.page("/r", HTML)])
    prefetch.start(cfg, store_for(cfg), list(cfg.watches))
    other = cfg.model_copy(update={"retention_days": cfg.retention_days + 1})
    assert prefetch.claim(other) is None
    assert prefetch.claim(cfg) is None  # discarded, not kept for later


def test_pages_past_the_memory_budget_are_left_to_their_checks(
    tmp_path: Path, loopback: Loopback, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(prefetch, "EARLY_BYTES", len(HTML))  # one page's bytes and text fill it
    urls = [loopback.page(f"/b{i}", HTML) for i in range(3)]
    cfg = config(tmp_path, urls, workers=1)  # one early thread: the pages come in order
    ahead = early(cfg)
    try:
        time.sleep(0.5)  # the early thread has been through all three by now
        got = [ahead.take(w, None, None) for w in cfg.watches]
    finally:
        ahead.close()
    assert isinstance(got[0], Page)
    assert got[1:] == [None, None]  # skipped while the budget was full: their checks fetch them
    assert len(loopback.requests_to("/b0")) == 1
    assert loopback.requests_to("/b1") == loopback.requests_to("/b2") == []


def test_answers_without_a_body_are_all_fetched_early(tmp_path: Path, loopback: Loopback) -> None:
    urls = [
        loopback.route(f"/n{i}", Reply(404, b"", {"Content-Type": "text/html"})) for i in range(40)
    ]
    cfg = config(tmp_path, urls)
    ahead = early(cfg)
    try:
        time.sleep(0.5)
        got = [ahead.take(w, None, None) for w in cfg.watches]
    finally:
        ahead.close()
    assert all(isinstance(g, FetchError) and g.status == 404 for g in got)
    assert all(len(loopback.requests_to(f"/n{i}")) == 1 for i in range(40))


def test_an_early_answer_against_another_baseline_is_not_used(
    tmp_path: Path, loopback: Loopback
) -> None:
    url = loopback.page("/nv", HTML)  # no ETag, no Last-Modified: validators alone are blind
    cfg = config(tmp_path, [url])
    ahead = early(cfg)
    try:
        # Another run stored a baseline after the early fetch: its page may be older than that
        assert ahead.take(cfg.watches[0], None, "newer-baseline-hash") is None
    finally:
        ahead.close()


def test_early_fetches_start_before_the_parsers_and_prefect_load() -> None:
    """What `rightswatch check` imports before its first request (its CLI module, the config,
    the watch selection, prefetch) must not bring the HTML parsers, the diff, the report
    templates, Prefect or its HTTP client with it: they load while the pages are fetched."""
    code = (
        "import sys, rightswatch.cli.run; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'bs4', 'lxml', 'diff_match_patch', 'jinja2', 'pysbd', 'prefect', 'httpx', 'croniter'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"
