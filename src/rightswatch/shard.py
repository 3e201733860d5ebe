"""Splitting one sweep across workers, and handing each shard's results back to the parent.

The parent flow cannot read a child flow run's return value on another machine without a
shared result store, but every worker already shares the snapshot store, so each shard
writes its results there, under `.runs/<parent-run>/<shard-run>.json`, and the parent reads
and removes them.
"""

from __future__ import annotations

from collections import defaultdict
from urllib.parse import urlsplit

from pydantic import BaseModel, ValidationError

from rightswatch.check import WatchResult
from rightswatch.config import Watch
from rightswatch.store import SnapshotStore

__all__ = ["ShardResults", "load_shard_results", "missing_results", "plan_shards", "save_results"]


class ShardResults(BaseModel):
    shard: int
    results: list[WatchResult]


def plan_shards(watches: list[Watch], count: int) -> list[list[Watch]]:
    """`count` shards (fewer if there are fewer watches), each with an equal share of every
    host, so no shard spends the run waiting on one site's politeness limit while the others
    idle. Config order is kept within a shard."""
    count = max(1, min(count, len(watches)))
    by_host: dict[str, list[Watch]] = defaultdict(list)
    for watch in watches:
        by_host[(urlsplit(watch.url).hostname or "").lower()].append(watch)
    assigned: dict[str, int] = {}
    turn = 0
    # Biggest hosts first, then one watch to each shard in turn, continuing where the last host
    # stopped, so small hosts even out what the big ones leave over.
    for host in sorted(by_host, key=lambda h: (-len(by_host[h]), h)):
        for watch in by_host[host]:
            assigned[watch.id] = turn % count
            turn += 1
    shards: list[list[Watch]] = [[] for _ in range(count)]
    for watch in watches:
        shards[assigned[watch.id]].append(watch)
    return shards


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
