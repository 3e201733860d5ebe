"""Redirects followed by hand, so every hop meets the address policy and the hop limit.

requests would follow a redirect to wherever a page points, resolving the new host on its
own; here each hop's host is resolved and checked once and its connection pinned to the
checked address, and at most `fetch.max_redirects` hops are followed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from urllib.parse import urldefrag, urljoin

import requests

from rightswatch.netpolicy import AddressPolicy, AddressRefused, Pin

__all__ = ["REDIRECT_STATUSES", "RedirectLimit", "get_checked"]

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class RedirectLimit(Exception):
    """More redirects than fetch.max_redirects allows."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__(f"{url}: {message}")
        self.url = url
        self.message = message


def get_checked(
    session: requests.Session,
    policy: AddressPolicy,
    url: str,
    *,
    headers: Mapping[str, str],
    trusted: Collection[str],
    max_redirects: int,
    timeout: float | tuple[float, float],
    stream: bool = True,
) -> tuple[requests.Response, tuple[str, ...]]:
    """GET `url`, following redirects under the policy; returns the last response and the
    URLs that redirected. Raises AddressRefused (naming the hop), RedirectLimit, OSError for a
    name that does not resolve, or requests' own exceptions."""
    history: list[str] = []
    current = url
    while True:
        pin = _check_hop(policy, url, current, trusted, len(history))
        resp = _send(session, current, headers, pin, timeout, stream)
        location = resp.headers.get("Location")
        if resp.status_code not in REDIRECT_STATUSES or not location:
            return resp, tuple(history)
        resp.close()
        target = urldefrag(urljoin(current, location.strip()))[0]
        if len(history) >= max_redirects:
            raise RedirectLimit(
                url,
                f"more than {max_redirects} redirects (fetch.max_redirects); the last one "
                f"pointed to {target}",
            )
        history.append(current)
        current = target


def _check_hop(
    policy: AddressPolicy, url: str, current: str, trusted: Collection[str], hop: int
) -> Pin:
    try:
        return policy.check(current, trusted)
    except AddressRefused as exc:
        if hop == 0:
            raise
        detail = exc.message.removeprefix("refused: ")
        raise AddressRefused(url, f"refused at redirect {hop} to {current}: {detail}") from None


def _send(
    session: requests.Session,
    url: str,
    headers: Mapping[str, str],
    pin: Pin,
    timeout: float | tuple[float, float],
    stream: bool,
) -> requests.Response:
    prepared = session.prepare_request(requests.Request("GET", url, headers=dict(headers)))
    settings = session.merge_environment_settings(prepared.url, {}, stream, None, None)
    return session.send(prepared, allow_redirects=False, timeout=timeout, pin=pin, **settings)
