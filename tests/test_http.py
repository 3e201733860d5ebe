"""One retry policy per boundary (rightswatch.http): a send waits for Retry-After in both its
forms, capped, and leaves everything else to the delivery task."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from rightswatch.notify.base import DeliveryError
from rightswatch.notify.http import post_json
from tests.loopback import Loopback, Reply, Request


def _limited_once(first: Reply) -> object:
    def answer(req: Request) -> Reply:
        return first if req.count == 1 else Reply(200, b"ok")

    return answer


def test_a_send_waits_for_an_http_date_retry_after_then_delivers(loopback: Loopback) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=2), usegmt=True)
    url = loopback.route("/hook", _limited_once(Reply(429, b"slow", {"Retry-After": when})))  # type: ignore[arg-type]
    assert post_json("webhook channel 'w'", url, {"a": 1}).status_code == 200
    first, second = loopback.requests_to("/hook")
    assert second.at - first.at >= 0.9  # the date is whole seconds; at least a second passed


def test_a_retry_after_beyond_the_cap_is_not_waited_for(loopback: Loopback) -> None:
    url = loopback.route("/hook", Reply(429, b"rate_limited", {"Retry-After": "3600"}))
    with pytest.raises(DeliveryError) as info:
        post_json("webhook channel 'w'", url, {"a": 1})
    assert info.value.retryable
    assert "answered HTTP 429 rate_limited" in str(info.value)
    assert len(loopback.requests_to("/hook")) == 1  # the next delivery attempt tries again


def test_a_429_without_retry_after_and_a_500_are_left_to_the_delivery_task(
    loopback: Loopback,
) -> None:
    for status in (429, 500):
        path = f"/hook-{status}"
        url = loopback.route(path, Reply(status, b"busy"))
        with pytest.raises(DeliveryError) as info:
            post_json("webhook channel 'w'", url, {"a": 1})
        assert info.value.retryable
        assert len(loopback.requests_to(path)) == 1
