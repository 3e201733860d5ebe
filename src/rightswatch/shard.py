"""Splitting one sweep across workers, and handing each shard's results back to the parent.

The parent flow cannot read a child flow run's return value on another machine without a
shared result store, but every worker already shares the snapshot store, so each shard
writes its results there, under `.runs/<parent-run>/<shard-run>.json`, and the parent reads
and removes them.
"""

from __future__ import annotations

from collections import defaultdict

from pydantic import BaseModel, ValidationError

from rightswatch.check import WatchResult
from rightswatch.config import Watch
from rightswatch.coordinate import host_of
from rightswatch.store import SnapshotStore

__all__ = ["ShardResults", "load_shard_results", "missing_results", "plan_shards", "save_results"]


class ShardResults(BaseModel):
    shard: int
    results: list[WatchResult]


def plan_shards(watches: list[Watch], count: int) -> list[list[Watch]]:
    """At most `count` shards, host-affine: every watch of a host goes to one shard (a host's
    throughput is bounded by its own politeness, so splitting it gains nothing, and one shard
    per host is what lets a shard lease its hosts instead of locking every page). Biggest hosts
    first, each to the shard with the least work so far; config order is kept within a shard.
    An empty shard is dropped, so fewer hosts than `count` give fewer shards."""
    count = max(1, min(count, len(watches)))
    by_host: dict[str, list[Watch]] = defaultdict(list)
    for watch in watches:
        by_host[host_of(watch.url)].append(watch)
    work = {host: sum(_work(w) for w in group) for host, group in by_host.items()}
    load = [0] * count
    assigned: dict[str, int] = {}
    for host in sorted(by_host, key=lambda h: (-work[h], h)):
        target = min(range(count), key=lambda i: (load[i], i))
        load[target] += work[host]
        for watch in by_host[host]:
            assigned[watch.id] = target
    shards: list[list[Watch]] = [[] for _ in range(count)]
    for watch in watches:
        shards[assigned[watch.id]].append(watch)
    return [shard for shard in shards if shard] or [[]]


def _work(watch: Watch) -> int:
    """A check's relative cost: a page rendered in a browser takes several static fetches."""
    return 5 if watch.render == "browser" else 1


def save_results(
    store: SnapshotStore, run_key: str, shard_key: str, shard: int, results: list[WatchResult]
) -> None:
    payload = ShardResults(shard=shard, results=results).model_dump_json()
    store.runs.write(run_key, shard_key, payload.encode("utf-8"))


def load_shard_results(
    store: SnapshotStore, run_key: str, shard_key: str
) -> list[WatchResult] | None:
    """A shard's results, removed from the store once read; None if it wrote none."""
    raw = store.runs.read(run_key, shard_key)
    if raw is None:
        return None
    try:
        results = ShardResults.model_validate_json(raw).results
    except ValidationError:
        return None
    store.runs.delete(run_key, shard_key)
    return results


def missing_results(watches: list[Watch], why: str, retryable: bool = False) -> list[WatchResult]:
    """Error results for watches whose task or shard never reported, so none goes missing."""
    return [
        WatchResult(
            id=w.id,
            url=w.url,
            title=w.title or w.id,
            status="error",
            error=why,
            retryable=retryable,
        )
        for w in watches
    ]
