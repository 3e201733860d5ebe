"""Watch URL → Page, politely: pooled session, retries, conditional GET, caps, robots.txt.

One Fetcher serves a whole run and is shared by its threads, so the per-host limits hold across
the run rather than per task.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from urllib import robotparser
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import NameResolutionError, ReadTimeoutError

from rightswatch.config import FetchSettings
from rightswatch.decode import decode_html, looks_binary
from rightswatch.http import fetch_session
from rightswatch.politeness import HostLimiter

__all__ = [
    "FetchError",
    "Fetcher",
    "HostLimiter",
    "NotModified",
    "Page",
    "Validators",
    "decode_html",
]

HTML_TYPES = ("text/html", "application/xhtml+xml")
MAX_RETRY_AFTER = 120.0  # seconds; a server asking for longer is retried on the next run


@dataclass(frozen=True)
class Validators:
    """HTTP cache validators; both are sent because Drupal answers 304 only when both match."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        out = {}
        if self.etag:
            out["If-None-Match"] = self.etag
        if self.last_modified:
            out["If-Modified-Since"] = self.last_modified
        return out


@dataclass(frozen=True)
class Page:
    url: str
    final_url: str
    status: int
    content_type: str
    body: bytes
    text: str
    encoding: str
    validators: Validators
    fetched_at: datetime
    elapsed: float
    redirects: tuple[str, ...] = ()

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


@dataclass(frozen=True)
class NotModified:
    """A 304: the page is unchanged and nothing is parsed."""

    url: str
    validators: Validators
    fetched_at: datetime
    elapsed: float


class FetchError(Exception):
    """A fetch that failed; `kind` is machine-readable, the message says what and where."""

    def __init__(
        self,
        url: str,
        kind: str,
        message: str,
        *,
        status: int | None = None,
        retryable: bool = False,
    ) -> None:
        super().__init__(f"{url}: {message}")
        self.url = url
        self.message = message
        self.kind = kind
        self.status = status
        self.retryable = retryable


@dataclass
class Fetcher:
    settings: FetchSettings
    # Per-host limits shared with other workers (rightswatch.coordinate), if any.
    shared_slot: Callable[[str], AbstractContextManager[None]] | None = None
    session: requests.Session = field(init=False)
    limiter: HostLimiter = field(init=False)
    _robots: dict[str, robotparser.RobotFileParser | FetchError | None] = field(
        init=False, default_factory=dict
    )
    _robots_lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        s = self.settings
        self.limiter = HostLimiter(
            s.per_host_concurrency, s.per_host_delay, shared=self.shared_slot
        )
        headers = {
            "User-Agent": s.user_agent,
            "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
            "Accept-Language": "*",
        }
        pool = max(10, s.per_host_concurrency * 4)
        self.session = fetch_session(s.retries, MAX_RETRY_AFTER, pool, headers)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # robots.txt -----------------------------------------------------------------------------
    def _robots_for(self, url: str) -> robotparser.RobotFileParser | None:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._robots_lock:
            cached = origin in self._robots
            entry = self._robots.get(origin)
        if not cached:
            entry = self._load_robots(origin, parts.hostname or "")
            with self._robots_lock:
                self._robots[origin] = entry
        if isinstance(entry, FetchError):  # an unknown host: fail every page on it at once
            raise FetchError(url, entry.kind, entry.message, retryable=entry.retryable)
        return entry

    def _load_robots(
        self, origin: str, host: str
    ) -> robotparser.RobotFileParser | FetchError | None:
        parser = robotparser.RobotFileParser()
        try:
            with self.limiter.slot(host):
                resp = self.session.get(f"{origin}/robots.txt", timeout=self.settings.timeout)
        except requests.RequestException as exc:
            error = self._request_error(f"{origin}/robots.txt", exc)
            # Unreachable: let the page fetch report the real error, unless DNS already did.
            return error if error.kind == "dns" else None
        else:
            if resp.status_code >= 500:
                parser.parse(["User-agent: *", "Disallow: /"])  # RFC 9309: assume disallowed
            elif resp.status_code < 400:
                parser.parse(resp.text.splitlines())
            else:
                parser.parse([])  # 4xx: no robots.txt, everything allowed
        return parser

    def allowed_by_robots(self, url: str) -> bool:
        parser = self._robots_for(url)
        if parser is None:
            return True
        agent = self.settings.user_agent.split("/", 1)[0] or "*"
        return parser.can_fetch(agent, url)

    # pages ----------------------------------------------------------------------------------
    def fetch(self, url: str, validators: Validators | None = None) -> Page | NotModified:
        """Fetch one page; raises FetchError with a clear, per-URL message."""
        if self.settings.respect_robots and not self.allowed_by_robots(url):
            raise FetchError(
                url,
                "robots",
                "disallowed by robots.txt; ask the site, or set "
                "fetch.respect_robots: false if you have permission",
            )
        host = urlsplit(url).hostname or ""
        started = time.monotonic()
        fetched_at = datetime.now(UTC)
        headers = validators.headers() if validators else {}
        with self.limiter.slot(host):
            try:
                resp = self.session.get(
                    url,
                    headers=headers,
                    stream=True,
                    timeout=(self.settings.timeout, self.settings.timeout),
                )
            except requests.RequestException as exc:
                raise self._request_error(url, exc) from None
            with resp:
                return self._read(url, resp, started, fetched_at)

    def _request_error(self, url: str, exc: requests.RequestException) -> FetchError:
        """Map requests' exceptions, including urllib3's exhausted retries, to one FetchError."""
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        if isinstance(exc, requests.Timeout) or isinstance(reason, ReadTimeoutError):
            message = f"no answer within {self.settings.timeout:g} s (fetch.timeout)"
            return FetchError(url, "timeout", message, retryable=True)
        if isinstance(exc, requests.exceptions.RetryError):
            message = f"still failing after {self.settings.retries} retries (fetch.retries)"
            return FetchError(url, "http", message, retryable=True)
        if isinstance(exc, requests.ConnectionError):
            if isinstance(reason, NameResolutionError) or "NameResolutionError" in repr(exc):
                host = urlsplit(url).hostname
                message = (
                    f"cannot resolve host {host!r}: no DNS answer (offline, or a typo in the URL?)"
                )
                return FetchError(url, "dns", message, retryable=False)
            message = f"connection failed: {_reason(exc)}"
            return FetchError(url, "connection", message, retryable=True)
        return FetchError(url, "connection", f"request failed: {_reason(exc)}", retryable=True)

    def _read(
        self, url: str, resp: requests.Response, started: float, fetched_at: datetime
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
        if mime and mime not in HTML_TYPES:
            raise FetchError(
                url, "content-type", f"expected an HTML page, got {mime!r}", status=resp.status_code
            )
        body = self._read_body(url, resp, started)
        if not mime and not body.lstrip()[:1] == b"<":
            raise FetchError(
                url,
                "content-type",
                "no Content-Type and the body is not HTML",
                status=resp.status_code,
            )
        if looks_binary(body):
            raise FetchError(
                url,
                "binary",
                f"the body is binary data, not an HTML page (served as {mime or 'no type'})",
                status=resp.status_code,
            )
        message = Message()
        message["content-type"] = ctype or "text/html"
        charset = message.get_param("charset")
        text, encoding = decode_html(body, charset if isinstance(charset, str) else None)
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
            redirects=tuple(r.url for r in resp.history),
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
        except requests.exceptions.ChunkedEncodingError as exc:
            raise FetchError(
                url,
                "truncated",
                f"body ended early: {_reason(exc)}",
                status=resp.status_code,
                retryable=True,
            ) from None
        except requests.exceptions.ContentDecodingError:
            raise FetchError(
                url, "decode", "compressed body could not be decoded", status=resp.status_code
            ) from None
        except requests.ConnectionError as exc:
            raise FetchError(
                url,
                "truncated",
                f"connection lost mid-body: {_reason(exc)}",
                status=resp.status_code,
                retryable=True,
            ) from None
        except requests.Timeout:
            raise FetchError(
                url,
                "timeout",
                "body stalled (fetch.timeout)",
                status=resp.status_code,
                retryable=True,
            ) from None
        return b"".join(chunks)


def _reason(exc: BaseException) -> str:
    """The innermost cause, without the URL noise urllib3 wraps around it."""
    inner: BaseException = exc
    while True:
        nxt = inner.__context__ or inner.__cause__
        if nxt is None or nxt is inner:
            break
        inner = nxt
    text = str(inner) or type(inner).__name__
    match = re.search(r"\[Errno -?\d+\] ([^')]+)", text)
    if match:
        return match.group(1).strip()
    return text.split(": ", 1)[-1][:200]
