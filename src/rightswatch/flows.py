"""The `rightswatch-monitor` and `rightswatch-shard` flows: wiring only. Each step is a plain
function in rightswatch.

Entry points for prefect.yaml (`flows/monitor.py:monitor`, `flows/monitor.py:shard`),
`rightswatch serve` and `rightswatch check`.
"""

from __future__ import annotations

from collections import Counter
from contextlib import nullcontext
from typing import Any, cast

from prefect import flow, get_run_logger
from prefect.futures import PrefectFuture
from prefect.runtime import flow_run
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from rightswatch import processes
from rightswatch.check import CheckContext, WatchResult
from rightswatch.checkqueue import CheckQueue, task_count
from rightswatch.config import Config, Watch, load_config
from rightswatch.deliver import DeliveryResult, channels_to_deliver
from rightswatch.discover import select_watches
from rightswatch.editions import lag_notices
from rightswatch.processes import Workers
from rightswatch.shard import plan_shards, save_results
from rightswatch.summary import RunSummary
from rightswatch.tasks import (
    check_queue,
    collect_processes,
    collect_shards,
    compact_delivered,
    deliver_channel_task,
    delivery_result,
    now,
    open_context,
    preserve_and_publish,
    process_context,
    process_listener,
    publish_artifacts,
    recheck_all,
    shard_count,
    start_shards,
    will_recheck,
)

DEFAULT_MAX_WORKERS = 8  # ThreadPoolTaskRunner's own default is unbounded


def _runner(max_workers: int) -> ThreadPoolTaskRunner[Any]:
    return ThreadPoolTaskRunner(max_workers=max_workers)


def check_workers(config: Config) -> int:
    """Threads for checks: never fewer than one host's allowed requests in flight, so the pool
    is not what caps a sweep below `fetch.per_host_concurrency`."""
    return max(config.run.max_workers, config.fetch.per_host_concurrency)


def check_all(
    config: Config, watches: list[Watch], ctx: CheckContext, config_path: str | None = None
) -> list[WatchResult]:
    """Every watch checked by check tasks on a bounded thread pool (checkqueue.py), under the
    shard's host leases when the store is coordinated; results in `watches` order. With
    `config_path`, a big local sweep's static pages are split over processes (processes.py)."""
    lease = ctx.lease(watches, config.run.shard_timeout) if ctx.lease else nullcontext()
    with lease:
        if config_path is None:
            return _check_all(config, watches, ctx)
        return _check_split(config_path, config, watches, ctx)


def _check_split(
    config_path: str, config: Config, watches: list[Watch], ctx: CheckContext
) -> list[WatchResult]:
    workers, early_run = processes.claim(config, watches)  # started by `rightswatch check`
    if workers is None:
        split = processes.plan(config, watches)
        if not split.shares:
            return _check_all(config, watches, ctx)
        workers = processes.start(config_path, config, split, early_run or ctx.run_id)
    try:
        workers.follow(process_listener(config))
        results = _check_all(config, workers.split.own, process_context(ctx, workers), workers)
    finally:
        workers.stop()
    by_id = {r.id: r for r in results}
    return [by_id[w.id] for w in watches]


def _check_all(
    config: Config, watches: list[Watch], ctx: CheckContext, children: Workers | None = None
) -> list[WatchResult]:
    """With `children`, this process's checks start once theirs are done (bounded): each
    child holds a share of the per-host limits, and here they hold whole."""
    workers = check_workers(config)
    done: dict[str, WatchResult] = {}
    theirs: list[Watch] = []  # what the children reported
    here = list(watches)
    with _runner(workers) as runner:
        if children is not None:
            done, leftover = collect_processes(children)
            theirs = [w for share in children.split.shares for w in share.watches if w.id in done]
            here += leftover
            # Their last requests were just now: the delay holds across the hand-over too.
            ctx.fetcher.limiter.defer(children.hosts(), config.fetch.per_host_delay)
        if here:
            per_task = config.run.watches_per_task
            queue = CheckQueue(here, task_count(len(here), workers, per_task), per_task)
            done |= check_queue(runner, queue, ctx)
        everything = theirs + here
        rechecks = [w for w in everything if will_recheck(done[w.id], config)]
        done |= recheck_all(runner, rechecks, ctx)
    ctx.store.flush_checks(config.retention_days)  # the unchanged watches' last checks, one write
    return [done[w.id] for w in everything]


def deliver_all(config: Config, ctx: CheckContext) -> list[DeliveryResult]:
    """Each channel with pending events, delivered by its own task, with Prefect retries."""
    sender = deliver_channel_task.with_options(
        retries=config.run.task_retries, retry_delay_seconds=config.run.task_retry_delay
    )
    names = channels_to_deliver(ctx.outbox)
    with _runner(config.run.max_workers) as runner:
        sends = [
            runner.submit(sender, {"name": n, "config": quote(config), "outbox": quote(ctx.outbox)})
            for n in names
        ]
        return [
            delivery_result(f.result(raise_on_failure=False), n)
            for n, f in zip(names, sends, strict=True)
        ]


@flow(
    name="rightswatch-monitor",
    # Prefect's TaskRunner is invariant in its future type; the decorator names the base one.
    task_runner=cast("TaskRunner[PrefectFuture[Any]]", _runner(DEFAULT_MAX_WORKERS)),
    log_prints=False,
)
def monitor(
    config_path: str = "config/rightswatch.yaml",
    watches: list[str] | None = None,
    notify: bool = True,
    shards: int | None = None,
    site_dir: str | None = None,
) -> dict[str, Any]:
    """Check the configured watches (split across workers by run.shards, host-affine), deliver
    pending digests, publish the run's artifact. Then, never before delivery: the web-archive
    saves (`archive:`) and, with `site_dir`, the static site rebuilt there."""
    started = now()
    config = load_config(config_path)
    ctx = open_context(config)
    try:
        selected = select_watches(config, watches, ctx.store)
        plan = plan_shards(selected, shards or shard_count(config))
        children, inline = start_shards(config_path, config, plan[1:])
        split_path = config_path if len(plan) == 1 else None  # shards split across workers
        results = check_all(config, plan[0] + inline, ctx, split_path)
        collected, unclaimed = collect_shards(
            ctx.store, children, config.run.shard_timeout, config.run.shard_pickup_timeout
        )
        results += collected + (check_all(config, unclaimed, ctx) if unclaimed else [])
        by_id = {r.id: r for r in results}
        results = [by_id[w.id] for w in selected]
        ctx.outbox.add_all(lag_notices(config, ctx.store, now()))  # translations behind
        deliveries = deliver_all(config, ctx) if notify else []
        compact_delivered(config, ctx)  # at most daily: delivered events past retention_days
        preserve_and_publish(config, ctx, site_dir)  # archive saves, then the site
    finally:
        ctx.close()
    report = RunSummary(
        started_at=started, finished_at=now(), watches=results, deliveries=deliveries
    )
    publish_artifacts(report, config)
    get_run_logger().info(
        "rightswatch: %s", ", ".join(f"{n} {s}" for s, n in report.counts().items())
    )
    return report.as_json()


@flow(name="rightswatch-shard", log_prints=False)
def shard(config_path: str, watches: list[str], run_key: str, shard: int) -> dict[str, int]:
    """One slice of a sharded sweep, started by rightswatch-monitor on another worker. It only
    checks; the parent delivers once every shard is done, so each change is sent once."""
    config = load_config(config_path)
    ctx = open_context(config)
    try:
        selected = select_watches(config, watches, ctx.store)
        results = check_all(config, selected, ctx)
        save_results(ctx.store, run_key, str(flow_run.id), shard, results)
    finally:
        ctx.close()
    return dict(Counter(r.status for r in results))


if __name__ == "__main__":
    monitor()
