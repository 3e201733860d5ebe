"""A failed fetch as one FetchError: what went wrong, where, and whether a retry may help."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import NameResolutionError, ReadTimeoutError

from rightswatch.config import FetchSettings

__all__ = ["FetchError", "inner_reason", "no_dns", "request_error"]


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


def request_error(url: str, exc: requests.RequestException, settings: FetchSettings) -> FetchError:
    """Map requests' exceptions, including urllib3's exhausted retries, to one FetchError."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if isinstance(exc, requests.Timeout) or isinstance(reason, ReadTimeoutError):
        message = f"no answer within {settings.timeout:g} s (fetch.timeout)"
        return FetchError(url, "timeout", message, retryable=True)
    if isinstance(exc, requests.exceptions.RetryError):
        message = f"still failing after {settings.retries} retries (fetch.retries)"
        return FetchError(url, "http", message, retryable=True)
    if isinstance(exc, requests.ConnectionError):
        if isinstance(reason, NameResolutionError) or "NameResolutionError" in repr(exc):
            return FetchError(url, "dns", no_dns(url), retryable=False)
        message = f"connection failed: {inner_reason(exc)}"
        return FetchError(url, "connection", message, retryable=True)
    return FetchError(url, "connection", f"request failed: {inner_reason(exc)}", retryable=True)


def no_dns(url: str) -> str:
    host = urlsplit(url).hostname
    return f"cannot resolve host {host!r}: no DNS answer (offline, or a typo in the URL?)"


def inner_reason(exc: BaseException) -> str:
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
