"""Watch URL → Page, politely: pooled session, retries, conditional GET, caps, robots.txt.

One Fetcher serves a whole run and is shared by its threads, so the per-host limits hold across
the run rather than per task.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from typing import TYPE_CHECKING
from urllib import robotparser
from urllib.parse import urlsplit

import requests

from rightswatch.config import FetchSettings
from rightswatch.decode import decode_html, looks_binary
from rightswatch.fetcherrors import FetchError, inner_reason, no_dns, request_error
from rightswatch.hops import RedirectLimit, get_checked
from rightswatch.http import fetch_session
from rightswatch.netpolicy import AddressPolicy, AddressRefused, own_hosts
from rightswatch.page import NotModified, Page, Validators
from rightswatch.politeness import HostLimiter

if TYPE_CHECKING:
    from rightswatch.fetch_browser import BrowserRenderer

__all__ = [
    "PDF_TYPE",
    "FetchError",
    "Fetcher",
    "HostLimiter",
    "NotModified",
    "Page",
    "Validators",
    "decode_html",
]

HTML_TYPES = ("text/html", "application/xhtml+xml")
PDF_TYPE = "application/pdf"
# Served for PDFs by some sites; read as a PDF when the URL ends .pdf or the body says %PDF-.
GENERIC_TYPES = ("application/octet-stream", "binary/octet-stream", "application/x-pdf")
MAX_RETRY_AFTER = 120.0  # seconds; a server asking for longer is retried on the next run


@dataclass
class Fetcher:
    settings: FetchSettings
    # Per-host limits shared with other workers (rightswatch.coordinate), if any.
    shared_slot: Callable[[str], AbstractContextManager[None]] | None = None
    # Where requests may go (netpolicy.py); tests give one with their own resolver.
    policy: AddressPolicy | None = None
    session: requests.Session = field(init=False)
    limiter: HostLimiter = field(init=False)
    _robots: dict[str, robotparser.RobotFileParser | FetchError | None] = field(
        init=False, default_factory=dict
    )
    _robots_lock: threading.Lock = field(init=False, default_factory=threading.Lock)
    # One lock per origin, held while its robots.txt loads: the other threads wait for it.
    _robots_loading: dict[str, threading.Lock] = field(init=False, default_factory=dict)
    _browser: BrowserRenderer | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        s = self.settings
        self.limiter = HostLimiter(
            s.per_host_concurrency, s.per_host_delay, shared=self.shared_slot
        )
        if self.policy is None:
            self.policy = AddressPolicy(allow_private=s.allow_private)
        headers = {
            "User-Agent": s.user_agent,
            "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
            "Accept-Language": "*",
        }
        pool = max(10, s.per_host_concurrency * 4)
        self.session = fetch_session(s.retries, MAX_RETRY_AFTER, pool, headers, self.policy)

    def close(self) -> None:
        self.session.close()
        if self._browser is not None:
            self._browser.close()
            self._browser = None

    def renderer(self) -> BrowserRenderer:
        """The run's one browser, started on the first `render: browser` page."""
        from rightswatch.fetch_browser import BrowserRenderer

        with self._robots_lock:
            if self._browser is None:
                self._browser = BrowserRenderer(self.settings)
            return self._browser

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # robots.txt -----------------------------------------------------------------------------
    def _robots_for(self, url: str, trusted: Collection[str]) -> robotparser.RobotFileParser | None:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._robots_lock:
            loading = self._robots_loading.setdefault(origin, threading.Lock())
        with loading:  # a run's first pages of a host start together: one asks, the rest wait
            with self._robots_lock:
                cached = origin in self._robots
                entry = self._robots.get(origin)
            if not cached:
                entry = self._load_robots(origin, parts.hostname or "", trusted)
                with self._robots_lock:
                    self._robots[origin] = entry
        if isinstance(entry, FetchError):  # an unknown host: fail every page on it at once
            raise FetchError(url, entry.kind, entry.message, retryable=entry.retryable)
        return entry

    def _load_robots(
        self, origin: str, host: str, trusted: Collection[str]
    ) -> robotparser.RobotFileParser | FetchError | None:
        parser = robotparser.RobotFileParser()
        try:
            with self.limiter.slot(host):
                resp = self._get(f"{origin}/robots.txt", {}, trusted, self.settings.timeout)[0]
                with resp:
                    status, text = resp.status_code, resp.text if resp.status_code < 400 else ""
        except (FetchError, requests.RequestException) as error:
            # Unreachable (or redirected somewhere refused): the page fetch reports the real
            # error, unless DNS already did.
            return error if isinstance(error, FetchError) and error.kind == "dns" else None
        if status >= 500:
            parser.parse(["User-agent: *", "Disallow: /"])  # RFC 9309: assume disallowed
        else:
            parser.parse(text.splitlines())  # 4xx: no robots.txt, everything allowed
        return parser

    def allowed_by_robots(self, url: str, trusted: Collection[str] | None = None) -> bool:
        parser = self._robots_for(url, _trusted(url, trusted))
        if parser is None:
            return True
        agent = self.settings.user_agent.split("/", 1)[0] or "*"
        return parser.can_fetch(agent, url)

    # pages ----------------------------------------------------------------------------------
    def fetch(
        self,
        url: str,
        validators: Validators | None = None,
        *,
        render: str = "static",
        trusted: Collection[str] | None = None,
    ) -> Page | NotModified:
        """Fetch one page; raises FetchError with a clear, per-URL message. `render="browser"`
        renders it in Chromium (no conditional GET: the DOM is what counts).

        `trusted`: hosts the address policy lets through whatever they resolve to; by default
        the URL's own host (the caller named it: a watch's configured or vetted URL)."""
        trusted = _trusted(url, trusted)
        self.check_address(url, trusted)  # before robots.txt: a refused host gets no request
        if self.settings.respect_robots and not self.allowed_by_robots(url, trusted):
            raise FetchError(
                url,
                "robots",
                "disallowed by robots.txt; ask the site, or set "
                "fetch.respect_robots: false if you have permission",
            )
        host = urlsplit(url).hostname or ""
        if render == "browser":
            with self.limiter.slot(host):
                return self.renderer().render(url)
        started = time.monotonic()
        fetched_at = datetime.now(UTC)
        headers = validators.headers() if validators else {}
        with self.limiter.slot(host):
            timeout = self.settings.timeout
            resp, hops = self._get(url, headers, trusted, (timeout, timeout))
            with resp:
                return self._read(url, resp, started, fetched_at, hops)

    def check_address(self, url: str, trusted: Collection[str] = ()) -> None:
        """The address policy for one URL, as a FetchError: for the browser renderer's and
        Save Page Now's own requests too."""
        assert self.policy is not None
        try:
            self.policy.check(url, trusted)
        except AddressRefused as exc:
            raise FetchError(url, "refused", exc.message) from None
        except OSError:
            raise FetchError(url, "dns", no_dns(url)) from None

    def _get(
        self,
        url: str,
        headers: dict[str, str],
        trusted: Collection[str],
        timeout: float | tuple[float, float],
    ) -> tuple[requests.Response, tuple[str, ...]]:
        """GET with redirects followed under the address policy; every failure a FetchError."""
        assert self.policy is not None
        try:
            resp, hops = get_checked(
                self.session,
                self.policy,
                url,
                headers=headers,
                trusted=trusted,
                max_redirects=self.settings.max_redirects,
                timeout=timeout,
            )
        except AddressRefused as exc:
            raise FetchError(url, "refused", exc.message) from None
        except RedirectLimit as exc:
            raise FetchError(url, "redirects", exc.message) from None
        except requests.RequestException as exc:
            raise request_error(url, exc, self.settings) from None
        except OSError:
            raise FetchError(url, "dns", no_dns(url)) from None
        return resp, hops

    def _read(
        self,
        url: str,
        resp: requests.Response,
        started: float,
        fetched_at: datetime,
        redirects: tuple[str, ...] = (),
    ) -> Page | NotModified:
        validators = Validators(resp.headers.get("ETag"), resp.headers.get("Last-Modified"))
        if resp.status_code == 304:
            return NotModified(url, validators, fetched_at, time.monotonic() - started)
        if not 200 <= resp.status_code < 300:
            retryable = resp.status_code == 429 or resp.status_code >= 500
            raise FetchError(
                url,
                "http",
                f"HTTP {resp.status_code} {resp.reason or ''}".rstrip(),
                status=resp.status_code,
                retryable=retryable,
            )
        ctype = resp.headers.get("Content-Type", "")
        mime = ctype.split(";", 1)[0].strip().lower()
        pdf = mime == PDF_TYPE or (mime in GENERIC_TYPES and _pdf_name(resp.url))
        if mime and mime not in HTML_TYPES and not pdf:
            raise FetchError(
                url, "content-type", f"expected an HTML page, got {mime!r}", status=resp.status_code
            )
        body = self._read_body(url, resp, started)
        if pdf:
            if body.lstrip()[:5] != b"%PDF-":
                raise FetchError(url, "content-type", f"served as {mime!r} but not a PDF")
            text, encoding, mime = "", "binary", PDF_TYPE
        else:
            text, encoding = _html_text(url, body, mime, ctype, resp.status_code)
        return Page(
            url=url,
            final_url=resp.url,
            status=resp.status_code,
            content_type=mime or "text/html",
            body=body,
            text=text,
            encoding=encoding,
            validators=validators,
            fetched_at=fetched_at,
            elapsed=time.monotonic() - started,
            redirects=redirects,
        )

    def _read_body(self, url: str, resp: requests.Response, started: float) -> bytes:
        limit = self.settings.max_bytes
        declared = resp.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(
                url,
                "too-large",
                f"page is {int(declared):,} bytes, over the {limit:,}-byte limit (fetch.max_bytes)",
                status=resp.status_code,
            )
        chunks: list[bytes] = []
        size = 0
        deadline = started + self.settings.timeout * 2
        try:
            # iter_content decompresses, so the cap also bounds gzip bombs.
            for chunk in resp.iter_content(chunk_size=65536):
                size += len(chunk)
                if size > limit:
                    raise FetchError(
                        url,
                        "too-large",
                        f"page is over the {limit:,}-byte limit (fetch.max_bytes)",
                        status=resp.status_code,
                    )
                if time.monotonic() > deadline:
                    raise FetchError(
                        url,
                        "timeout",
                        f"body still arriving after {self.settings.timeout * 2:g} s",
                        retryable=True,
                    )
                chunks.append(chunk)
        except requests.RequestException as exc:
            raise _body_error(url, exc, resp.status_code) from None
        return b"".join(chunks)


def _body_error(url: str, exc: requests.RequestException, status: int) -> FetchError:
    """What went wrong while the body was arriving."""
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        reason = f"body ended early: {inner_reason(exc)}"
        return FetchError(url, "truncated", reason, status=status, retryable=True)
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        return FetchError(url, "decode", "compressed body could not be decoded", status=status)
    if isinstance(exc, requests.ConnectionError):
        reason = f"connection lost mid-body: {inner_reason(exc)}"
        return FetchError(url, "truncated", reason, status=status, retryable=True)
    if isinstance(exc, requests.Timeout):
        reason = "body stalled (fetch.timeout)"
        return FetchError(url, "timeout", reason, status=status, retryable=True)
    return FetchError(url, "network", f"body failed: {inner_reason(exc)}", status=status)


def _trusted(url: str, trusted: Collection[str] | None) -> Collection[str]:
    return own_hosts(url) if trusted is None else trusted


def _html_text(url: str, body: bytes, mime: str, ctype: str, status: int) -> tuple[str, str]:
    """The body decoded as HTML (text, encoding), or the error saying why it is not HTML."""
    if not mime and not body.lstrip()[:1] == b"<":
        raise FetchError(
            url, "content-type", "no Content-Type and the body is not HTML", status=status
        )
    if looks_binary(body):
        raise FetchError(
            url,
            "binary",
            f"the body is binary data, not an HTML page (served as {mime or 'no type'})",
            status=status,
        )
    message = Message()
    message["content-type"] = ctype or "text/html"
    charset = message.get_param("charset")
    return decode_html(body, charset if isinstance(charset, str) else None)


def _pdf_name(url: str) -> bool:
    """A .pdf URL served as octet-stream is read as a PDF (if its body is one)."""
    return urlsplit(url).path.lower().endswith(".pdf")
