"""A run's cost depends on what changed in it, not on how much history the store keeps: S3
requests counted by a proxy in front of moto, 200 watches, one webhook channel."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.history_harness import Site, config_for, run_once
from tests.loopback import Loopback
from tests.peers import S3, S3_ENV, Receiver
from tests.s3count import CountingProxy

WATCHES = int(os.environ.get("RW_HISTORY_WATCHES", "200"))


@pytest.fixture
def proxy(s3: S3, monkeypatch: pytest.MonkeyPatch) -> Iterator[CountingProxy]:
    for key, value in S3_ENV.items():
        monkeypatch.setenv(key, value)
    with CountingProxy(s3.endpoint) as counting:
        yield counting


def _unchanged_run(config: object, proxy: CountingProxy) -> tuple[int, int]:
    proxy.reset()
    results, deliveries = run_once(config)  # type: ignore[arg-type]
    print(proxy.counts(), [p for m, p in proxy.requests if m == "HEAD"][:3])
    assert {r.status for r in results} == {"unchanged"}, [r.error for r in results if r.error]
    assert deliveries == []
    return proxy.total(), proxy.writes()


def test_an_unchanged_run_costs_the_same_after_four_delivered_changes_as_after_one(
    s3: S3, proxy: CountingProxy, loopback: Loopback
) -> None:
    receiver = Receiver(loopback, "/hook")
    site = Site(loopback, WATCHES)
    bucket = s3.bucket("history-cost")
    config = config_for(f"{bucket}/store", site, receiver.url, {"endpoint_url": proxy.endpoint})
    results, _ = run_once(config)
    assert {r.status for r in results} == {"baseline"}
    costs = {}
    for changes in range(1, 5):
        site.bump()
        results, deliveries = run_once(config)
        assert {r.status for r in results} == {"changed"}
        assert [(d.status, d.events) for d in deliveries] == [("sent", WATCHES)]
        if changes in (1, 4):
            costs[changes] = _unchanged_run(config, proxy)
    assert len(receiver.accepted) == 4  # one digest per change run, none for unchanged runs
    (after_one, writes_one), (after_four, writes_four) = costs[1], costs[4]
    print(f"S3 requests of an unchanged run: {after_one} after 1 change, {after_four} after 4")
    assert abs(after_four - after_one) <= after_one * 0.10
    assert after_one <= 2 * WATCHES and after_four <= 2 * WATCHES
    assert writes_one <= 20 and writes_four <= 20
    # the pending index is empty again and every watch's last check is the unchanged run's
    assert s3.keys("history-cost", "store/.pending/hook/") == []
