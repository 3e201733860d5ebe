"""Sharded sweeps on Prefect: how many shards, starting each as a run of the shard
deployment, and waiting (bounded) for their results. Part of the Prefect layer, like tasks.py."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

from prefect import get_run_logger
from prefect.client.schemas.objects import FlowRun, State

from rightswatch.config import Config, Watch
from rightswatch.progress import tell
from rightswatch.result import WatchResult
from rightswatch.shard import load_shard_results, missing_results
from rightswatch.store import SnapshotStore

__all__ = ["ShardRun", "collect_shards", "shard_count", "start_shards"]

SHARD_POLL_SECONDS = 2.0


@dataclass
class ShardRun:
    """A shard started as a flow run of the shard deployment, possibly on another worker."""

    index: int
    flow_run_id: UUID
    name: str
    watches: list[Watch]
    run_key: str  # the parent's run, under which the shard writes its results
    created: float = field(default_factory=time.monotonic)


def shard_count(config: Config) -> int:
    """`run.shards`, with auto resolved: as many shards as workers online in this flow run's
    work pool (at most `run.max_shards`), so a second worker shares the next sweep with no
    config change; one when the run has no pool, e.g. `rightswatch check`. Two API calls."""
    from prefect.client.orchestration import get_client
    from prefect.runtime import flow_run

    if config.run.shards != "auto":
        return config.run.shards
    if flow_run.id is None:
        return 1
    try:
        with get_client(sync_client=True) as client:
            pool = client.read_flow_run(UUID(str(flow_run.id))).work_pool_name
            if not pool:
                return 1
            workers = client.read_workers_for_work_pool(pool)
    except Exception as exc:  # an API hiccup costs the run its parallelism, nothing else
        get_run_logger().warning("run.shards auto: could not count workers (%s); 1 shard", exc)
        return 1
    online = sum(1 for w in workers if str(getattr(w, "status", "")).upper().endswith("ONLINE"))
    return max(1, min(online, config.run.max_shards))


def start_shards(
    config_path: str, config: Config, shards: list[list[Watch]]
) -> tuple[list[ShardRun], list[Watch]]:
    """Start a flow run per shard; watches of any shard that cannot be started come back to be
    checked here, so a missing deployment slows the run down but loses nothing."""
    from prefect.deployments import run_deployment
    from prefect.runtime import flow_run

    run_key = str(flow_run.id or uuid4())
    started: list[ShardRun] = []
    inline: list[Watch] = []
    for index, watches in enumerate(shards, start=1):
        try:
            child = run_deployment(
                name=config.run.shard_deployment,
                parameters={
                    "config_path": config_path,
                    "watches": [w.id for w in watches],
                    "run_key": run_key,
                    "shard": index,
                },
                timeout=0,
                idempotency_key=f"{run_key}-shard-{index}",  # a retried parent reuses its shards
                as_subflow=True,
            )
        except Exception as exc:  # a missing deployment, an unreachable API...
            get_run_logger().warning(
                "could not start shard %d as %r (%s: %s); checking its %d watches here. "
                "Deploy it with `prefect deploy --all` or set run.shards: 1",
                index,
                config.run.shard_deployment,
                type(exc).__name__,
                exc,
                len(watches),
            )
            inline += watches
            continue
        assert isinstance(child, FlowRun)  # called from sync code, run_deployment is sync
        started.append(ShardRun(index, child.id, child.name, watches, run_key))
    return started, inline


def collect_shards(
    store: SnapshotStore, children: list[ShardRun], timeout: float, pickup: float
) -> tuple[list[WatchResult], list[Watch]]:
    """Wait (bounded) for every shard, then read the results each wrote to the store.

    A shard no worker has started `pickup` seconds after it was created is cancelled and its
    watches come back for the caller to check, so a run never waits hours for a missing
    worker. A shard that ended without results, or never ended, becomes an error per watch."""
    ended, reclaimed = _await_shards(children, timeout, pickup)
    results: list[WatchResult] = []
    for child in children:
        if child in reclaimed:
            continue
        found = load_shard_results(store, child.run_key, str(child.flow_run_id))
        if found is None:
            how = ended.get(child.flow_run_id)
            why = (
                f"shard {child.index} (flow run {child.name}) ended {how} without results"
                if how
                else f"shard {child.index} (flow run {child.name}) did not finish within "
                f"{timeout:.0f} s and was cancelled; start more workers or raise run.shard_timeout"
            )
            found = missing_results(child.watches, why + "; see its logs", retryable=True)
        for result in found:
            tell(result)
        results += found
    if reclaimed:
        get_run_logger().warning(
            "no worker started shard(s) %s within %.0f s (run.shard_pickup_timeout); checking "
            "their %d watches here. Start more workers or lower run.shards",
            ", ".join(str(c.index) for c in reclaimed),
            pickup,
            sum(len(c.watches) for c in reclaimed),
        )
    return results, [w for c in reclaimed for w in c.watches]


def _await_shards(
    children: list[ShardRun], timeout: float, pickup: float
) -> tuple[dict[UUID, str], list[ShardRun]]:
    """Poll every shard until it ends (bounded by `timeout`): how each ended, and the shards
    no worker took within `pickup` seconds, cancelled so that the parent checks them."""
    from prefect.client.orchestration import get_client
    from prefect.states import Cancelling

    deadline = time.monotonic() + timeout
    ended: dict[UUID, str] = {}
    reclaimed: list[ShardRun] = []
    with get_client(sync_client=True) as client:
        while len(ended) < len(children) and time.monotonic() < deadline:
            for child in children:
                if child.flow_run_id not in ended:
                    how = _shard_state(client, child, pickup)
                    if how is not None:
                        ended[child.flow_run_id] = how
                        if how == "reclaimed":
                            reclaimed.append(child)
            if len(ended) < len(children):
                time.sleep(SHARD_POLL_SECONDS)
        for child in children:
            if child.flow_run_id not in ended:
                client.set_flow_run_state(child.flow_run_id, Cancelling(), force=True)
    return ended, reclaimed


def _shard_state(client: Any, child: ShardRun, pickup: float) -> str | None:
    """How a shard ended, "reclaimed" when no worker took it in time, or None while it runs."""
    from prefect.client.schemas.responses import SetStateStatus
    from prefect.states import Cancelled

    state = client.read_flow_run(child.flow_run_id).state
    if state is not None and state.is_final():
        return str(state.name or state.type.value)
    if state is None or not state.is_scheduled() or time.monotonic() - child.created < pickup:
        return None
    unclaimed: State[Any] = Cancelled(message="no worker took this shard; its parent checks it")
    # Orchestrated, not forced: if a worker claimed it meanwhile, this is refused.
    answer = client.set_flow_run_state(child.flow_run_id, unclaimed)
    return "reclaimed" if answer.status == SetStateStatus.ACCEPT else None
