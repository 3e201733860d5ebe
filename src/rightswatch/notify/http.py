"""One POST with a JSON body, for the HTTP channels, with errors that never show the URL.

Webhook URLs are secrets (Slack's carries its token in the path), so messages name only the
channel and the host.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests

from rightswatch.notify.base import DeliveryError

MAX_RETRY_AFTER = 60.0  # seconds we wait inside one send; longer waits go to the next attempt
TIMEOUT = 30.0


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def post_json(
    label: str,
    url: str,
    payload: Any,
    *,
    headers: Mapping[str, str] | None = None,
    attempts: int = 3,
) -> requests.Response:
    """POST and return the 2xx response; 429 waits for Retry-After (bounded) and tries again."""
    host = urlsplit(url).hostname or "?"
    for attempt in range(1, attempts + 1):
        try:
            response = requests.post(
                url, json=payload, headers=dict(headers or {}), timeout=TIMEOUT
            )
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
        wait = _retry_after(response)
        if response.status_code == 429:
            if wait is not None and wait <= MAX_RETRY_AFTER and attempt < attempts:
                time.sleep(wait)
                continue
            raise DeliveryError(message, retryable=True, retry_after=wait)
        raise DeliveryError(message, retryable=response.status_code >= 500, retry_after=wait)
    raise DeliveryError(f"{label}: {host} kept answering 429", retryable=True)
