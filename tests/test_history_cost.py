"""A run's cost depends on what changed in it, not on how much history the store keeps: S3
requests counted by a proxy in front of moto, 100 watches (RW_HISTORY_WATCHES), one webhook
channel.

The history (a baseline, then 1 or 4 changes of every page, each delivered) is built through
the same core functions on local disk, which is fast, and copied into the bucket as it is; the
measured runs then read and write S3 only, through the proxy."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import fsspec
import pytest

from rightswatch.config import Config
from tests.history_harness import Site, build_history, config_for, run_once
from tests.loopback import Loopback
from tests.peers import S3, S3_ENV, Receiver
from tests.s3count import CountingProxy

WATCHES = int(os.environ.get("RW_HISTORY_WATCHES", "100"))


@pytest.fixture
def proxy(s3: S3, monkeypatch: pytest.MonkeyPatch) -> Iterator[CountingProxy]:
    for key, value in S3_ENV.items():
        monkeypatch.setenv(key, value)
    with CountingProxy(s3.endpoint) as counting:
        yield counting


def _store_with_history(
    tmp_path: Path, s3: S3, loopback: Loopback, hook: str, changes: int
) -> tuple[Site, str]:
    site = Site(loopback, WATCHES, prefix=f"/k{changes}")
    local = tmp_path / f"k{changes}"
    build_history(config_for(str(local), site, hook), site, changes)
    bucket = s3.bucket(f"history-k{changes}")
    fs = fsspec.filesystem("s3", endpoint_url=s3.endpoint)
    fs.put(f"{local}/", f"{bucket.removeprefix('s3://')}/store/", recursive=True)
    return site, f"{bucket}/store"


def _unchanged_run(config: Config, proxy: CountingProxy) -> tuple[int, int]:
    proxy.reset()
    results, deliveries = run_once(config)
    assert {r.status for r in results} == {"unchanged"}, {r.error for r in results if r.error}
    assert deliveries == []
    counts = proxy.counts()
    print(f"unchanged run, {WATCHES} watches: {dict(counts)}")
    return proxy.total(), proxy.writes()


def test_an_unchanged_run_costs_the_same_after_four_delivered_changes_as_after_one(
    tmp_path: Path, s3: S3, proxy: CountingProxy, loopback: Loopback
) -> None:
    receiver = Receiver(loopback, "/hook")
    costs = {}
    for changes in (1, 4):
        site, store = _store_with_history(tmp_path, s3, loopback, receiver.url, changes)
        config = config_for(store, site, receiver.url, {"endpoint_url": proxy.endpoint})
        costs[changes] = _unchanged_run(config, proxy)
        # a second unchanged run folds the first one's check log in: still no growth
        assert _unchanged_run(config, proxy)[0] <= costs[changes][0] + 2
    assert len(receiver.accepted) == 1 + 4  # one digest per change run, none when unchanged
    (after_one, writes_one), (after_four, writes_four) = costs[1], costs[4]
    print(f"S3 requests of an unchanged run: {after_one} after 1 change, {after_four} after 4")
    assert abs(after_four - after_one) <= after_one * 0.10
    assert after_one <= 2 * WATCHES
    assert after_four <= 2 * WATCHES
    assert writes_one <= 20
    assert writes_four <= 20
    assert s3.keys("history-k4", "store/.pending/hook/") == []  # nothing left to send
