"""The Prefect layer: thin tasks over the plain core functions, plus the run's wiring.

This is the only module in the package that imports Prefect at load time. Tasks add retries,
timeouts and concurrency; the decisions stay in check, deliver and report.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State, TaskRun

from rightswatch.check import CheckContext, WatchResult, check_watch
from rightswatch.config import Config, Watch
from rightswatch.deliver import DeliveryReport, deliver_channel, local_report_base
from rightswatch.fetch import Fetcher
from rightswatch.outbox import Outbox
from rightswatch.report import RunReport
from rightswatch.store import open_store

__all__ = [
    "ARTIFACT_KEY",
    "TransientFailure",
    "check_watch_task",
    "deliver_channel_task",
    "open_context",
    "PROGRESS_LISTENERS",
    "publish_artifacts",
    "report_progress",
    "select_watches",
]

ARTIFACT_KEY = "rightswatch-digest"
# Called with each watch's final result as it completes; the CLI's progress bar listens here.
PROGRESS_LISTENERS: list[Callable[[WatchResult], None]] = []


class TransientFailure(Exception):
    """Raised inside a task so Prefect retries it; carries the result for the last attempt."""

    def __init__(self, result: WatchResult | DeliveryReport) -> None:
        super().__init__(result.error)
        self.result = result


def _transient(task: Any, task_run: TaskRun, state: State[Any]) -> bool:
    return isinstance(state.data, TransientFailure)


@task(
    name="check-watch",
    task_run_name="check {watch.id}",
    cache_policy=NO_CACHE,
    retry_condition_fn=_transient,
    log_prints=False,
)
async def check_watch_task(watch: Watch, ctx: CheckContext) -> WatchResult:
    # Async around a worker thread, so Prefect's timeout really ends the task run: a sync task
    # in a thread cannot be interrupted. The abandoned thread is itself bounded by fetch timeouts.
    result = await anyio.to_thread.run_sync(check_watch, watch, ctx, abandon_on_cancel=True)
    if result.status == "error" and result.retryable:
        raise TransientFailure(result)
    return result


@task(
    name="deliver-channel",
    task_run_name="deliver {name}",
    cache_policy=NO_CACHE,
    retry_condition_fn=_transient,
    log_prints=False,
)
def deliver_channel_task(name: str, config: Config, outbox: Outbox) -> DeliveryReport:
    report = deliver_channel(name, config, outbox)
    if report.status == "failed" and report.retryable:
        raise TransientFailure(report)
    return report


def select_watches(config: Config, ids: list[str] | None) -> list[Watch]:
    if not ids:
        return list(config.watches)
    known = {w.id for w in config.watches}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise ValueError(
            f"unknown watch id(s) {', '.join(unknown)}; configured: {', '.join(sorted(known))}"
        )
    return [w for w in config.watches if w.id in ids]


def open_context(config: Config) -> CheckContext:
    store = open_store(config.snapshots, keep_raw=config.keep_raw)
    return CheckContext(config=config, store=store, fetcher=Fetcher(config.fetch))


def unwrap(outcome: object, fallback: WatchResult | DeliveryReport) -> Any:
    """A task's final value: its result, the last transient result, or an error result."""
    if isinstance(outcome, TransientFailure):
        return outcome.result
    if isinstance(outcome, BaseException):
        return fallback.model_copy(
            update={
                "status": "error" if isinstance(fallback, WatchResult) else "failed",
                "error": f"{type(outcome).__name__}: {outcome}",
            }
        )
    return outcome


def report_progress(result: WatchResult) -> None:
    for listener in list(PROGRESS_LISTENERS):
        listener(result)


def publish_artifacts(report: RunReport, config: Config) -> None:
    base = config.report_base_url or local_report_base(config)
    create_markdown_artifact(
        markdown=report.markdown(base),
        key=ARTIFACT_KEY,
        description="What changed in this run, section by section",
    )
    create_table_artifact(
        key="rightswatch-watches",
        table=[
            {"watch": w.id, "status": w.status, "changes": len(w.changes), "error": w.error or ""}
            for w in report.watches
        ],
        description="Every watch's status in this run",
    )


def now() -> datetime:
    return datetime.now(UTC)
