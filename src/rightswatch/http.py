"""Every HTTP retry policy, in one session factory: fetching pages and sending digests both get
their retries from urllib3's Retry here, never from a hand-written loop.

Retry-After is honoured in both its forms (seconds, or an HTTP date) and capped: a fetch waits
at most `max_wait`; a send does not wait for longer than `max_wait` at all (nor for a 429 that
says nothing), leaving it to the next delivery attempt (a Prefect task retry or the next run).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.util.retry import Retry

from rightswatch.netpolicy import AddressPolicy, PinnedAdapter

__all__ = ["CappedRetry", "archive_session", "fetch_session", "send_session"]

FETCH_STATUSES = (429, 500, 502, 503, 504)


class CappedRetry(Retry):
    """urllib3 Retry whose Retry-After waits are capped at `max_wait`; with `give_up`, a longer
    (or absent) Retry-After ends the retries instead of being waited for."""

    def __init__(self, *args: Any, max_wait: float = 60.0, give_up: bool = False, **kw: Any):
        super().__init__(*args, **kw)
        self.max_wait, self.give_up = max_wait, give_up

    def new(self, **kw: Any) -> CappedRetry:
        return super().new(max_wait=self.max_wait, give_up=self.give_up, **kw)

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if self.give_up and not has_retry_after:
            return False
        return super().is_retry(method, status_code, has_retry_after)

    def get_retry_after(self, response: Any) -> float | None:
        value = super().get_retry_after(response)
        return None if value is None else min(value, self.max_wait)

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> CappedRetry:
        if self.give_up and response is not None:
            wait = Retry.get_retry_after(self, response)
            if wait is not None and wait > self.max_wait:  # not now: the next attempt
                raise MaxRetryError(_pool, url, ResponseError(f"Retry-After {wait:g} s"))
        return super().increment(method, url, response, error, _pool, _stacktrace)


def _session(
    retry: Retry, pool: int, headers: Mapping[str, str], policy: AddressPolicy | None = None
) -> requests.Session:
    """With `policy`, every connection goes to an address the policy checked (README "Security")."""
    session = requests.Session()
    adapter = (
        HTTPAdapter(max_retries=retry, pool_connections=pool, pool_maxsize=pool)
        if policy is None
        else PinnedAdapter(policy, max_retries=retry, pool_connections=pool, pool_maxsize=pool)
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers.update(headers)
    return session


def fetch_session(
    retries: int,
    max_wait: float,
    pool: int,
    headers: Mapping[str, str],
    policy: AddressPolicy | None = None,
) -> requests.Session:
    """For fetching pages: connection, read and 429/5xx failures retried with backoff."""
    retry = CappedRetry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        backoff_factor=0.5,
        status_forcelist=FETCH_STATUSES,
        allowed_methods=frozenset({"GET", "HEAD"}),
        respect_retry_after_header=True,
        raise_on_status=False,
        raise_on_redirect=False,
        max_wait=max_wait,
    )
    return _session(retry, pool, headers, policy)


def send_session(
    attempts: int, max_wait: float, statuses: Collection[int] = (429,)
) -> requests.Session:
    """For sending (Slack, webhook): only a rate limit that says how long to wait is retried
    within one send; anything else fails the send, and the delivery task decides."""
    retry = CappedRetry(
        total=attempts - 1,
        connect=0,
        read=0,
        other=0,
        status=attempts - 1,
        backoff_factor=0,
        status_forcelist=frozenset(statuses),
        allowed_methods=frozenset({"POST"}),
        respect_retry_after_header=True,
        raise_on_status=False,
        max_wait=max_wait,
        give_up=True,
    )
    return _session(retry, 1, {})


def archive_session(policy: AddressPolicy) -> requests.Session:
    """For a web archive's endpoints (preserve.py): no retries within a run (a failed save
    waits for the next run), and every connection, redirects included, under the address
    policy, with the configured endpoint's host trusted (`policy.trusted`)."""
    return _session(Retry(total=0, redirect=5, raise_on_status=False), 4, {}, policy)
