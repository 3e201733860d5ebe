"""The Prefect layer: thin tasks over the plain core functions, plus the run's wiring.

This is the only module in the package that imports Prefect at load time. Tasks add retries,
timeouts and concurrency; the decisions stay in check, deliver and summary.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State, TaskRun
from prefect.futures import as_completed
from prefect.task_runners import TaskRunner
from prefect.utilities.annotations import quote

from rightswatch import prefetch
from rightswatch.check import CheckContext, WatchResult, check_watch, check_watches
from rightswatch.checkqueue import CheckQueue
from rightswatch.config import Config, Watch
from rightswatch.coordinate import PrefectLimits, fetcher_for, store_for
from rightswatch.deliver import DeliveryResult, deliver_channel, local_report_base
from rightswatch.outbox import Outbox
from rightswatch.processes import Workers
from rightswatch.progress import tell, teller
from rightswatch.shard import missing_results
from rightswatch.shard_runs import ShardRun, collect_shards, shard_count, start_shards
from rightswatch.summary import RunSummary

__all__ = [
    "ARTIFACT_KEY",
    "ShardRun",
    "TransientFailure",
    "check_queue",
    "check_watches_task",
    "collect_processes",
    "collect_shards",
    "compact_delivered",
    "deliver_channel_task",
    "delivery_result",
    "open_context",
    "process_context",
    "process_listener",
    "publish_artifacts",
    "recheck_all",
    "recheck_watch_task",
    "shard_count",
    "start_shards",
    "will_recheck",
]

ARTIFACT_KEY = "rightswatch-digest"


class TransientFailure(Exception):
    """Raised inside a task so Prefect retries it; carries the result for the last attempt."""

    def __init__(self, result: DeliveryResult | WatchResult) -> None:
        super().__init__(result.error)
        self.result = result


def will_recheck(result: WatchResult, config: Config) -> bool:
    """A transient failure, to be checked again by recheck_watch_task."""
    return result.status == "error" and result.retryable and config.run.task_retries > 0


def _transient(task: Any, task_run: TaskRun, state: State[Any]) -> bool:  # noqa: ARG001 - Prefect's retry_condition_fn signature
    return isinstance(state.data, TransientFailure)


@task(name="check-watches", task_run_name="check {label}", cache_policy=NO_CACHE, log_prints=False)
async def check_watches_task(
    queue: CheckQueue,
    task: int,
    ctx: CheckContext,
    label: str,  # noqa: ARG001 - named in task_run_name
) -> list[WatchResult]:
    # Async around a worker thread, so Prefect's timeout really ends the task run: a sync task
    # in a thread cannot be interrupted. The abandoned thread is itself bounded by fetch timeouts
    # and takes no further watch once its task is stopped (checkqueue.py).
    def final(result: WatchResult) -> None:
        if queue.done(result) and not will_recheck(result, ctx.config):
            tell(result)  # a re-check tells its own result

    try:
        return await anyio.to_thread.run_sync(
            check_watches, queue.take(task), ctx, final, abandon_on_cancel=True
        )
    finally:  # finished, failed, or cancelled by Prefect's timeout
        queue.stop(task)


def check_queue(
    runner: TaskRunner[Any], queue: CheckQueue, ctx: CheckContext
) -> dict[str, WatchResult]:
    """Every watch of the queue checked by its tasks; a task that crashed or timed out gives
    error results for what it had not finished, and a watch no task reached is one too."""
    timeout = ctx.config.run.timeout_for(ctx.config.fetch) * queue.cap  # it takes at most cap
    task_ = check_watches_task.with_options(timeout_seconds=timeout)
    futures = {
        runner.submit(
            task_,
            # quote(): Prefect would otherwise walk every model in these arguments for each
            # task run, which dominated the cost of a large sweep.
            {"queue": quote(queue), "task": i, "ctx": quote(ctx), "label": queue.label(i)},
        ): i
        for i in range(queue.tasks)
    }
    for future in as_completed(list(futures)):
        for lost in queue.retire(futures[future], future.result(raise_on_failure=False)):
            tell(lost)
    return queue.results(on_missing=tell)


@task(
    name="recheck-watch",
    task_run_name="recheck {watch.id}",
    cache_policy=NO_CACHE,
    retry_condition_fn=_transient,
    log_prints=False,
)
async def recheck_watch_task(watch: Watch, ctx: CheckContext) -> WatchResult:
    """One more check of a watch that failed transiently; every attempt waits
    `run.task_retry_delay` first, and Prefect retries it while the failure stays transient."""
    await anyio.sleep(ctx.config.run.task_retry_delay)
    result = await anyio.to_thread.run_sync(check_watch, watch, ctx, abandon_on_cancel=True)
    if result.status == "error" and result.retryable:
        raise TransientFailure(result)
    return result


def recheck_all(
    runner: TaskRunner[Any], watches: list[Watch], ctx: CheckContext
) -> dict[str, WatchResult]:
    """Watches whose check failed transiently, each checked again by its own task, up to
    `run.task_retries` times in all (Prefect task retries, not a loop here)."""
    if not watches:
        return {}
    run = ctx.config.run
    task_ = recheck_watch_task.with_options(
        retries=run.task_retries - 1,
        retry_delay_seconds=0,
        timeout_seconds=run.timeout_for(ctx.config.fetch) + run.task_retry_delay,
    )
    futures = [(w, runner.submit(task_, {"watch": quote(w), "ctx": quote(ctx)})) for w in watches]
    out = {}
    for watch, future in futures:
        outcome = future.result(raise_on_failure=False)
        if isinstance(outcome, TransientFailure) and isinstance(outcome.result, WatchResult):
            outcome = outcome.result
        if not isinstance(outcome, WatchResult):
            why = f"the re-check task failed: {type(outcome).__name__}: {outcome}"
            [outcome] = missing_results([watch], why)
        out[watch.id] = outcome
        tell(outcome)
    return out


def process_context(ctx: CheckContext, workers: Workers) -> CheckContext:
    """The flow's part of a split sweep, with the children's run id, so that a watch's failure
    counts once a run whichever process saw it."""
    return replace(ctx, run_id=workers.run_id)


def process_listener(config: Config) -> Callable[[WatchResult], None]:
    """Tells each check process's final results to whoever follows this run."""
    tell_here = teller()

    def heard(result: WatchResult) -> None:
        if not will_recheck(result, config):  # a re-check tells its own result
            tell_here(result)

    return heard


def collect_processes(workers: Workers) -> tuple[dict[str, WatchResult], list[Watch]]:
    """The check processes' results once every one has ended (bounded), and the watches a
    crashed one did not report, for the caller to check; an overdue one's are errors."""
    workers.wait()
    run = workers.config.run
    done = {r.id: r for child in workers.children for r in child.results.values()}
    leftover: list[Watch] = []
    logger = get_run_logger()
    for child in workers.children:
        logger.info(
            "check process %d: %d of %d watches, peak RSS %s MB",
            child.index,
            len(child.results),
            len(child.share.watches),
            child.peak_rss_mb,
        )
    for child, missing in workers.unreported():
        if child.overdue:
            limit = workers.time_allowed()
            which = "run.shard_timeout" if limit == run.shard_timeout else "run.task_timeout"
            why = f"check process {child.index} did not finish within {limit:.0f} s and was "
            why += f"stopped; look for a host that answers very slowly, or raise {which}"
            for result in missing_results(missing, why):
                done[result.id] = result
                tell(result)
            continue
        logger.warning(
            "check process %d ended (exit code %s) before reporting %d of its %d watches; "
            "checking them here. Its last words: %s",
            child.index,
            child.proc.returncode,
            len(missing),
            len(child.share.watches),
            " | ".join(child.stderr_tail) or "none",
        )
        leftover += missing
    return done, leftover


@task(
    name="deliver-channel",
    task_run_name="deliver {name}",
    cache_policy=NO_CACHE,
    retry_condition_fn=_transient,
    log_prints=False,
)
def deliver_channel_task(name: str, config: Config, outbox: Outbox) -> DeliveryResult:
    result = deliver_channel(name, config, outbox)
    if result.status == "failed" and result.retryable:
        raise TransientFailure(result)
    return result


def open_context(config: Config) -> CheckContext:
    """The run's shared parts; a one-shot run's early fetches bring their own Fetcher."""
    limits = PrefectLimits(config) if config.coordinated() else None
    early = prefetch.claim(config)
    return CheckContext(
        config=config,
        store=store_for(config, limits),
        fetcher=early.fetcher if early is not None else fetcher_for(config, limits),
        lease=limits.lease if limits is not None else None,
        prefetched=early,
    )


def delivery_result(outcome: object, name: str) -> DeliveryResult:
    """A delivery task's result: its own, its last transient failure's, or a crash's."""
    if isinstance(outcome, DeliveryResult):
        return outcome
    if isinstance(outcome, TransientFailure) and isinstance(outcome.result, DeliveryResult):
        return outcome.result
    return DeliveryResult(
        channel=name,
        status="failed",
        error=f"the delivery task failed: {type(outcome).__name__}: {outcome}",
    )


def publish_artifacts(summary: RunSummary, config: Config) -> None:
    base = config.report_base_url or local_report_base(config)
    create_markdown_artifact(
        markdown=summary.markdown(base),
        key=ARTIFACT_KEY,
        description="What changed in this run, section by section",
    )
    create_table_artifact(
        key="rightswatch-watches",
        table=[
            {"watch": w.id, "status": w.status, "changes": len(w.changes), "error": w.error or ""}
            for w in summary.watches
        ],
        description="Every watch's status in this run",
    )


def preserve_and_publish(config: Config, ctx: CheckContext, site_dir: str | None) -> None:
    """After delivery: this run's web-archive saves (preserve.py), then the static site.

    Neither can fail the run or hold a digest back; a problem is logged and retried next run."""
    from pathlib import Path

    from rightswatch.preserve import run_saves, wayback_for
    from rightswatch.site import build_site

    logger = get_run_logger()
    if config.archive is not None:
        archive = wayback_for(config, ctx.fetcher.limiter)  # the run's per-host limits
        try:
            saves = run_saves(config, ctx.store, archive)
            logger.info(
                "archive: %d saved, %d failed, %d waiting",
                len(saves.saved),
                len(saves.failed),
                saves.waiting,
            )
        except Exception as exc:  # the store, not the archive: still never the run's failure
            logger.warning("archive saves skipped this run: %s: %s", type(exc).__name__, exc)
        finally:
            archive.session.close()
    if site_dir:
        try:
            build_site(config, ctx.store, Path(site_dir))
        except Exception as exc:
            logger.warning("could not refresh the site in %s: %s", site_dir, exc)


def compact_delivered(config: Config, ctx: CheckContext) -> None:
    """Retention (retention.py), after delivery; a failure is logged and retried next run."""
    from rightswatch.retention import compact_if_due

    try:
        done = compact_if_due(ctx.store, config.retention_days, now())
    except Exception as exc:
        get_run_logger().warning("retention skipped this run: %s: %s", type(exc).__name__, exc)
        return
    if done is not None and done.events:
        get_run_logger().info("retention: %d delivered event(s) compacted", done.events)


def now() -> datetime:
    return datetime.now(UTC)
