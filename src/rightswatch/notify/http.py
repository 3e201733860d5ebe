"""One POST with a JSON body, for the HTTP channels, with errors that never show the URL.

Webhook URLs are secrets (Slack's carries its token in the path), so messages name only the
channel and the host.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests

from rightswatch.http import send_session
from rightswatch.notify.base import DeliveryError

MAX_RETRY_AFTER = 60.0  # seconds we wait inside one send; longer waits go to the next attempt
TIMEOUT = 30.0


def post_json(
    label: str,
    url: str,
    payload: Any,
    *,
    headers: Mapping[str, str] | None = None,
    attempts: int = 3,
) -> requests.Response:
    """POST and return the 2xx response; a 429 waits for its Retry-After (bounded) and is
    tried again (the session's retry policy, rightswatch.http)."""
    host = urlsplit(url).hostname or "?"
    try:
        with send_session(attempts, MAX_RETRY_AFTER) as session:
            response = session.post(url, json=payload, headers=dict(headers or {}), timeout=TIMEOUT)
    except requests.Timeout:
        raise DeliveryError(f"{label}: no answer from {host} within {TIMEOUT:g} s") from None
    except requests.RequestException as exc:
        reason = type(exc).__name__
        raise DeliveryError(f"{label}: could not reach {host} ({reason})") from None
    if 200 <= response.status_code < 300:
        return response
    detail = response.text.strip().splitlines()[0][:120] if response.text.strip() else ""
    message = f"{label}: {host} answered HTTP {response.status_code}" + (
        f" {detail}" if detail else ""
    )
    retryable = response.status_code == 429 or response.status_code >= 500
    raise DeliveryError(message, retryable=retryable)
