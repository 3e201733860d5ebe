"""The address policy's rules, the hop limit, pinned HTTPS, page caps and slug ids."""

from __future__ import annotations

import http.server
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from rightswatch.config import WATCH_ID, FetchSettings, GuardSettings, Watch
from rightswatch.document import Document, Section
from rightswatch.fetch import Fetcher, FetchError, Page
from rightswatch.guard import assess
from rightswatch.links import cap_watched, link_refusal, page_id, safe_slug
from rightswatch.netpolicy import AddressPolicy, AddressRefused, address_rule
from tests.loopback import Loopback, Reply

REFUSED = [
    ("169.254.169.254", "a link-local address (cloud metadata service)"),
    ("fd00:ec2::254", "a link-local address (cloud metadata service)"),
    ("127.0.0.1", "a loopback address"),
    ("127.9.9.9", "a loopback address"),
    ("::1", "a loopback address"),
    ("10.1.2.3", "a private address (RFC 1918)"),
    ("172.16.0.1", "a private address (RFC 1918)"),
    ("192.168.1.1", "a private address (RFC 1918)"),
    ("fc00::1", "a unique-local address (RFC 4193)"),
    ("fe80::1", "a link-local address"),
    ("169.254.1.1", "a link-local address"),
    ("100.64.0.1", "a shared CGNAT address (RFC 6598)"),
    ("224.0.0.251", "a multicast address"),
    ("ff02::1", "a multicast address"),
    ("0.0.0.0", "an unspecified address ('this network')"),
    ("::", "the unspecified address"),
    ("240.0.0.1", "a reserved address"),
    ("198.18.0.1", "a reserved address (benchmarking, RFC 2544)"),
    ("::ffff:127.0.0.1", "a loopback address, embedded in IPv6 ::ffff:7f00:1"),
    ("::ffff:169.254.169.254", "a link-local address (cloud metadata service), embedded in"),
]


@pytest.mark.parametrize(("address", "reason"), REFUSED)
def test_non_public_addresses_are_refused_with_their_rule(address: str, reason: str) -> None:
    rule = address_rule(ipaddress.ip_address(address))
    assert rule is not None
    assert rule.startswith(reason)


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.216.34", "2001:4860:4860::8888"])
def test_public_addresses_pass(address: str) -> None:
    assert address_rule(ipaddress.ip_address(address)) is None


def test_every_resolved_address_is_checked_and_the_first_is_pinned() -> None:
    answers = {"mixed.example": ["93.184.216.34", "10.0.0.7"], "ok.example": ["8.8.8.8", "1.1.1.1"]}
    policy = AddressPolicy(resolver=lambda host, _port: answers[host])
    with pytest.raises(AddressRefused) as refused:
        policy.check("https://mixed.example/report")
    assert refused.value.message == (
        "refused: mixed.example resolves to 10.0.0.7, 10.0.0.7 is a private address (RFC 1918); "
        "set fetch.allow_private: true if this is intended"
    )
    assert policy.check("https://ok.example/").address == "8.8.8.8"
    assert policy.check("https://mixed.example/", trusted=["mixed.example"]).address
    assert AddressPolicy(allow_private=True, resolver=lambda h, _p: answers[h]).check(
        "http://mixed.example/"
    )
    with pytest.raises(AddressRefused, match="only http:// and https://"):
        policy.check("file:///etc/passwd")


def test_the_metadata_service_is_refused_before_any_connection() -> None:
    with (
        Fetcher(FetchSettings(retries=0, timeout=2)) as fetcher,
        pytest.raises(FetchError) as error,
    ):
        fetcher.fetch("http://169.254.169.254/latest/meta-data/", trusted=())
    assert error.value.kind == "refused"
    assert not error.value.retryable
    with Fetcher(FetchSettings(retries=0, timeout=2)) as fetcher:  # for a renderer, Save Page Now
        with pytest.raises(FetchError, match="cloud metadata service"):
            fetcher.check_address("http://[::ffff:169.254.169.254]/latest/")
        fetcher.check_address("http://127.0.0.1:8000/", trusted=["127.0.0.1:8000"])
    assert str(error.value) == (
        "http://169.254.169.254/latest/meta-data/: refused: 169.254.169.254 is a link-local "
        "address (cloud metadata service); set fetch.allow_private: true if this is intended"
    )


def test_redirects_stop_at_fetch_max_redirects(loopback: Loopback) -> None:
    for hop in range(7):
        loopback.route(f"/r{hop}", Reply(302, b"", {"Location": f"/r{hop + 1}"}))
    loopback.page("/r7", "<html><title>end</title><p>here</p></html>")
    settings = {"retries": 0, "timeout": 5, "per_host_delay": 0, "respect_robots": False}
    with (
        Fetcher(FetchSettings.model_validate(settings)) as fetcher,
        pytest.raises(FetchError) as error,
    ):
        fetcher.fetch(loopback.url("/r0"))
    assert error.value.kind == "redirects"
    assert "fetch.max_redirects" in error.value.message
    assert len(loopback.requests_to("/r5")) == 1
    assert loopback.requests_to("/r6") == []
    with Fetcher(FetchSettings.model_validate({**settings, "max_redirects": 7})) as fetcher:
        page = fetcher.fetch(loopback.url("/r0"))
    assert isinstance(page, Page)
    assert page.final_url == loopback.url("/r7")
    assert page.redirects == tuple(loopback.url(f"/r{i}") for i in range(7))


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, str]]:
    """HTTPS on 127.0.0.1 with a certificate for reports.example only (trustme CA)."""
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("reports.example")
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers.get("Host", ""))
            body = b"<html><title>tls</title><p>secure</p></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], str(bundle)
    finally:
        server.shutdown()
        server.server_close()


def test_a_pinned_https_connection_keeps_sni_host_and_certificate_on_the_name(
    tls_server: tuple[int, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, bundle = tls_server
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):  # they would override session.verify
        monkeypatch.delenv(name, raising=False)
    names = {"reports.example": ["127.0.0.1"], "wrong.example": ["127.0.0.1"]}
    policy = AddressPolicy(allow_private=True, resolver=lambda host, _p: names[host])
    settings = FetchSettings(retries=0, timeout=5, per_host_delay=0, respect_robots=False)
    with Fetcher(settings, policy=policy) as fetcher:
        fetcher.session.verify = bundle
        page = fetcher.fetch(f"https://reports.example:{port}/")
        assert isinstance(page, Page)
        assert "secure" in page.text
        with pytest.raises(FetchError) as error:  # the certificate is not for this name
            fetcher.fetch(f"https://wrong.example:{port}/")
    assert error.value.kind == "connection"
    assert "wrong.example" in str(error.value) or "certificate" in str(error.value).lower()


def _doc(sections: int, paragraphs: int) -> Document:
    body = [f"Paragraph {i} says something about rights." for i in range(paragraphs)]
    parts = [
        Section(key=f"s{i}", heading=f"S{i}", level=2, paragraphs=body) for i in range(sections)
    ]
    return Document(url="http://x/", final_url="http://x/", title="Report", sections=parts)


def test_a_page_with_too_many_sections_or_paragraphs_is_suspect() -> None:
    limits = GuardSettings(max_sections=50, max_paragraphs=400)
    assert assess(_doc(50, 8), None, limits) is None
    verdict = assess(_doc(51, 1), None, limits)
    assert verdict is not None
    assert "guard.max_sections 50" in verdict.reason
    verdict = assess(_doc(2, 201), None, limits)
    assert verdict is not None
    assert "402 paragraphs" in verdict.reason
    assert not verdict.may_persist


def _index() -> Watch:
    return Watch(
        id="hrw-world-report",
        url="https://www.hrw.org/world-report",
        kind="index",
        link_pattern="chapters/",
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://www.hrw.org/chapters/../../etc/passwd",
        "https://www.hrw.org/chapters/..%2F..%2Fetc%2Fpasswd",
        "https://www.hrw.org/chapters/a\\b/c:d",
        "https://www.hrw.org/",
        "https://www.hrw.org/chapters/" + "x" * 300,
        "https://www.hrw.org/chapters/%2e%2e",
    ],
)
def test_generated_ids_are_slugs(url: str) -> None:
    made = page_id(_index().id, url)
    assert WATCH_ID.fullmatch(made), made
    assert ".." not in made, made
    assert "/" not in made, made
    assert safe_slug("../../etc/passwd", 40) == "etc-passwd"
    assert safe_slug("..", 40) == "page"


def test_link_decisions_are_pure() -> None:
    hosts = {"www.hrw.org", "www.hrw.org:443"}
    assert link_refusal("https://www.hrw.org/chapters/kz", hosts) is None
    assert link_refusal("https://www.hrw.org:8443/chapters/kz", hosts) is not None
    assert "another" not in (link_refusal("http://169.254.169.254/chapters/", hosts) or "")
    assert "cloud metadata" in (link_refusal("http://169.254.169.254/chapters/", hosts) or "")
    assert cap_watched(["a", "b", "c"], already=1, cap=2) == (["a"], ["b", "c"])
    assert cap_watched(["a"], already=5, cap=2) == ([], ["a"])
