"""Fetch behaviours against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import gzip
import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from rightswatch.config import FetchSettings
from rightswatch.fetch import Fetcher, FetchError, NotModified, Page, Validators, decode_html
from tests.loopback import Loopback, Reply, Request

FIXTURES = Path(__file__).parent / "fixtures"
HTML = "<html><head><title>T</title></head><body><main><h2>A</h2><p>Text.</p></main></body></html>"


def fetcher(**overrides: object) -> Fetcher:
    base: dict[str, object] = {
        "per_host_delay": 0.0,
        "timeout": 5,
        "retries": 2,
        "respect_robots": False,
    }
    return Fetcher(FetchSettings.model_validate({**base, **overrides}))


def test_page_is_fetched_with_user_agent_validators_and_encoding(loopback: Loopback) -> None:
    url = loopback.page(
        "/p", HTML, ETag='"v1"', **{"Last-Modified": "Tue, 12 Jan 2021 10:00:00 GMT"}
    )
    with fetcher(user_agent="rightswatch-test/1.0 (+https://example.org)") as f:
        page = f.fetch(url)
    assert isinstance(page, Page)
    assert page.status == 200
    assert page.final_url == url
    assert page.text == HTML
    assert page.validators == Validators('"v1"', "Tue, 12 Jan 2021 10:00:00 GMT")
    assert loopback.seen[0].headers["User-Agent"] == "rightswatch-test/1.0 (+https://example.org)"


def test_conditional_get_sends_both_validators_and_304_means_not_modified(
    loopback: Loopback,
) -> None:
    validators = Validators('"abc"', "Tue, 12 Jan 2021 10:00:00 GMT")

    def drupal(req: Request) -> Reply:
        # Drupal answers 304 only when both validators match.
        both = (
            req.headers.get("If-None-Match") == '"abc"'
            and req.headers.get("If-Modified-Since") == validators.last_modified
        )
        if both:
            return Reply(304, b"", {"ETag": '"abc"'})
        return Reply(200, HTML.encode(), {"Content-Type": "text/html"})

    url = loopback.route("/drupal", drupal)
    with fetcher() as f:
        result = f.fetch(url, validators)
        assert isinstance(result, NotModified)
        assert isinstance(f.fetch(url, Validators('"abc"', None)), Page)


def test_503_with_retry_after_is_retried_after_the_wait(loopback: Loopback) -> None:
    def flaky(req: Request) -> Reply:
        if req.count == 1:
            return Reply(503, b"busy", {"Retry-After": "1", "Content-Type": "text/html"})
        return Reply(200, HTML.encode(), {"Content-Type": "text/html"})

    url = loopback.route("/flaky", flaky)
    with fetcher() as f:
        page = f.fetch(url)
    assert isinstance(page, Page)
    first, second = loopback.requests_to("/flaky")
    assert second.at - first.at >= 0.95  # honoured Retry-After: 1


def test_429_gives_up_after_configured_retries_with_a_retryable_error(loopback: Loopback) -> None:
    url = loopback.route("/limited", Reply(429, b"slow down", {"Retry-After": "0"}))
    with fetcher(retries=2) as f, pytest.raises(FetchError) as info:
        f.fetch(url)
    assert info.value.status == 429
    assert info.value.retryable
    assert len(loopback.requests_to("/limited")) == 3  # first try + 2 retries


def test_4xx_is_not_retried(loopback: Loopback) -> None:
    url = loopback.route(
        "/gone", Reply(404, b"<html>Not found</html>", {"Content-Type": "text/html"})
    )
    with fetcher() as f, pytest.raises(FetchError, match="HTTP 404") as info:
        f.fetch(url)
    assert not info.value.retryable
    assert len(loopback.requests_to("/gone")) == 1


def test_timeout_is_a_clear_error(loopback: Loopback) -> None:
    url = loopback.route("/slow", Reply(200, HTML.encode(), {"Content-Type": "text/html"}, delay=3))
    with fetcher(timeout=0.5, retries=0) as f, pytest.raises(FetchError) as info:
        f.fetch(url)
    assert info.value.kind == "timeout"
    assert "no answer within 0.5 s (fetch.timeout)" in str(info.value)
    assert str(info.value).startswith(url)


def test_size_cap_by_content_length_and_by_streaming(loopback: Loopback) -> None:
    big = b"<html><body>" + b"x" * 5000 + b"</body></html>"
    url = loopback.page("/big", big)
    with fetcher(max_bytes=1000) as f, pytest.raises(FetchError, match="over the 1,000-byte limit"):
        f.fetch(url)
    # A gzip body that inflates past the cap is stopped while streaming (bomb guard).
    bomb = gzip.compress(b"<html>" + b" " * 200_000)
    url = loopback.route(
        "/bomb", Reply(200, bomb, {"Content-Type": "text/html", "Content-Encoding": "gzip"})
    )
    with fetcher(max_bytes=50_000) as f, pytest.raises(FetchError) as info:
        f.fetch(url)
    assert info.value.kind == "too-large"


def test_wrong_content_type_is_rejected(loopback: Loopback) -> None:
    url = loopback.page("/report.docx", b"PK\x03\x04", ctype="application/msword")
    with (
        fetcher() as f,
        pytest.raises(FetchError, match="expected an HTML page, got 'application/msword'"),
    ):
        f.fetch(url)


def test_a_pdf_is_fetched_as_a_pdf_and_octet_stream_only_for_pdf_urls(loopback: Loopback) -> None:
    pdf = b"%PDF-1.7\n%binary\n"
    served = loopback.page("/report", pdf, ctype="application/pdf")
    named = loopback.page("/report.pdf", pdf, ctype="application/octet-stream")
    unnamed = loopback.page("/download", pdf, ctype="application/octet-stream")
    fake = loopback.page("/fake.pdf", b"<html>not it</html>", ctype="application/pdf")
    with fetcher() as f:
        for url in (served, named):
            page = f.fetch(url)
            assert isinstance(page, Page)
            assert (page.content_type, page.body) == ("application/pdf", pdf)
        with pytest.raises(FetchError, match="octet-stream"):
            f.fetch(unnamed)
        with pytest.raises(FetchError, match="not a PDF"):
            f.fetch(fake)


def test_redirects_are_followed_and_recorded(loopback: Loopback) -> None:
    final = loopback.page("/new", HTML)
    start = loopback.route("/old", Reply(301, b"", {"Location": "/new"}))
    with fetcher() as f:
        page = f.fetch(start)
    assert isinstance(page, Page)
    assert page.url == start
    assert page.final_url == final
    assert page.redirects == (start,)


def test_robots_txt_is_respected_by_default(loopback: Loopback) -> None:
    loopback.page("/robots.txt", "User-agent: *\nDisallow: /private/\n", ctype="text/plain")
    allowed = loopback.page("/public", HTML)
    blocked = loopback.page("/private/report", HTML)
    with fetcher(respect_robots=True) as f:
        assert isinstance(f.fetch(allowed), Page)
        with pytest.raises(FetchError, match=r"disallowed by robots\.txt") as info:
            f.fetch(blocked)
        assert info.value.kind == "robots"
    assert loopback.requests_to("/private/report") == []
    assert len(loopback.requests_to("/robots.txt")) == 1  # cached for the run
    with fetcher(respect_robots=False) as f:
        assert isinstance(f.fetch(blocked), Page)


def test_robots_txt_is_asked_for_once_when_many_pages_of_a_host_start_at_once(
    loopback: Loopback,
) -> None:
    """A run's first checks of a host start together (early fetches: one per thread); the
    others wait for the first one's robots.txt instead of each asking the site for it."""
    loopback.route("/robots.txt", Reply(200, b"User-agent: *\nAllow: /\n", delay=0.3))
    urls = [loopback.page(f"/p{i}", HTML) for i in range(6)]
    start = threading.Barrier(len(urls))

    def fetch(f: Fetcher, url: str) -> object:
        start.wait(timeout=10)
        return f.fetch(url)

    with fetcher(respect_robots=True, per_host_concurrency=6) as f, ThreadPoolExecutor(6) as pool:
        pages = list(pool.map(lambda url: fetch(f, url), urls))
    assert all(isinstance(p, Page) for p in pages)
    assert len(loopback.requests_to("/robots.txt")) == 1


def test_missing_robots_txt_allows_everything(loopback: Loopback) -> None:
    url = loopback.page("/page", HTML)
    with fetcher(respect_robots=True) as f:
        assert isinstance(f.fetch(url), Page)


def test_truncated_body_and_connection_reset_are_retryable_errors(loopback: Loopback) -> None:
    truncated = loopback.route(
        "/t", Reply(200, HTML.encode() * 50, {"Content-Type": "text/html"}, action="truncate")
    )
    reset = loopback.route("/r", Reply(action="reset"))
    with fetcher(retries=0) as f:
        with pytest.raises(FetchError) as info:
            f.fetch(truncated)
        assert info.value.kind == "truncated"
        assert info.value.retryable
        with pytest.raises(FetchError) as info:
            f.fetch(reset)
        assert info.value.retryable


def test_dead_host_is_a_connection_error_naming_the_url() -> None:
    with fetcher(retries=0, timeout=2) as f, pytest.raises(FetchError) as info:
        f.fetch("http://127.0.0.1:9/report")  # discard port: nothing listens
    assert info.value.kind == "connection"
    assert str(info.value).startswith("http://127.0.0.1:9/report: connection failed")


def test_per_host_concurrency_holds_across_threads(loopback: Loopback) -> None:
    for i in range(8):
        loopback.route(
            f"/c{i}", Reply(200, HTML.encode(), {"Content-Type": "text/html"}, delay=0.2)
        )
    with fetcher(per_host_concurrency=2) as f:
        threads = [
            threading.Thread(target=f.fetch, args=(loopback.url(f"/c{i}"),)) for i in range(8)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    assert len(loopback.seen) == 8
    assert loopback.max_in_flight == 2


def test_per_host_delay_spaces_request_starts(loopback: Loopback) -> None:
    for i in range(3):
        loopback.page(f"/d{i}", HTML)
    with fetcher(per_host_delay=0.3, per_host_concurrency=4) as f:
        threads = [
            threading.Thread(target=f.fetch, args=(loopback.url(f"/d{i}"),)) for i in range(3)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    starts = sorted(s.at for s in loopback.seen)
    assert len(starts) == 3
    assert all(b - a >= 0.28 for a, b in itertools.pairwise(starts))


def test_a_deferred_host_waits_for_the_delay_another_process_began(loopback: Loopback) -> None:
    url = loopback.page("/d", HTML)
    with fetcher(per_host_delay=0.4, per_host_concurrency=4) as f:
        asked = time.monotonic()
        f.limiter.defer({"127.0.0.1"}, 0.4)  # a check process just sent a request there
        f.fetch(url)
        f.limiter.defer({"other.test"}, 60)  # another host's delay holds nobody here
        f.fetch(url)
    [first, second] = [s.at for s in loopback.seen]
    assert first - asked >= 0.38
    assert 0.38 <= second - first < 5


def test_russian_page_served_without_charset_header_decodes_from_meta(loopback: Loopback) -> None:
    raw = (FIXTURES / "hrw_kazakhstan_2021_ru.html").read_bytes()
    url = loopback.page("/ru", raw, ctype="text/html")
    with fetcher() as f:
        page = f.fetch(url)
    assert isinstance(page, Page)
    assert page.encoding == "cp1251"
    assert "Всемирный доклад 2021: Казахстан" in page.text


def test_decoding_order_bom_header_meta_utf8_fallback() -> None:
    cyr = "<meta charset='windows-1251'><p>Пытки</p>"
    assert decode_html(cyr.encode("cp1251"))[0] == cyr
    # A header that lies about UTF-8 is skipped when the bytes do not fit it.
    assert decode_html(cyr.encode("cp1251"), "utf-8") == (cyr, "cp1251")
    assert decode_html("\ufeffПытки".encode("utf-8"), "latin-1") == ("Пытки", "utf-8")
    assert decode_html("“quote”".encode("cp1252"), "iso-8859-1") == ("“quote”", "cp1252")
    assert decode_html(b"caf\xc3\xa9") == ("café", "utf-8")
    # Nothing declared: charset-normalizer guesses; a wrong header on a Russian page is survived.
    ru = "Пытки и жестокое обращение остаются безнаказанными в Казахстане."
    assert decode_html(ru.encode("cp1251"), "utf-8") == (ru, "cp1251")
