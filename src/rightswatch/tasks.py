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

from rightswatch.check import CheckContext, WatchResult, check_watches
from rightswatch.config import Config, Watch
from rightswatch.deliver import DeliveryReport, deliver_channel, local_report_base
from rightswatch.fetch import Fetcher
from rightswatch.outbox import Outbox
from rightswatch.report import RunReport
from rightswatch.store import open_store

__all__ = [
    "ARTIFACT_KEY",
    "TransientFailure",
    "batch_label",
    "check_watches_task",
    "deliver_channel_task",
    "open_context",
    "plan_batches",
    "PROGRESS_LISTENERS",
    "publish_artifacts",
    "report_progress",
    "select_watches",
    "batch_results",
    "delivery_result",
]

ARTIFACT_KEY = "rightswatch-digest"
# Called with each watch's final result as it completes; the CLI's progress bar listens here.
PROGRESS_LISTENERS: list[Callable[[WatchResult], None]] = []


class TransientFailure(Exception):
    """Raised inside a task so Prefect retries it; carries the result for the last attempt."""

    def __init__(self, result: DeliveryReport) -> None:
        super().__init__(result.error)
        self.result = result


def _transient(task: Any, task_run: TaskRun, state: State[Any]) -> bool:
    return isinstance(state.data, TransientFailure)


@task(name="check-watches", task_run_name="check {label}", cache_policy=NO_CACHE, log_prints=False)
async def check_watches_task(
    watches: list[Watch], ctx: CheckContext, label: str
) -> list[WatchResult]:
    # Async around a worker thread, so Prefect's timeout really ends the task run: a sync task
    # in a thread cannot be interrupted. The abandoned thread is itself bounded by fetch timeouts.
    return await anyio.to_thread.run_sync(
        check_watches, watches, ctx, report_progress, abandon_on_cancel=True
    )


def plan_batches(watches: list[Watch], size: int) -> list[list[Watch]]:
    """Consecutive slices in config order; per-host limits still hold across all tasks."""
    return [watches[i : i + size] for i in range(0, len(watches), size)]


def batch_label(batch: list[Watch]) -> str:
    return batch[0].id if len(batch) == 1 else f"{batch[0].id} +{len(batch) - 1}"


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


def batch_results(outcome: object, batch: list[Watch]) -> list[WatchResult]:
    """A check task's results; a task that crashed becomes an error result for each watch."""
    if isinstance(outcome, list):
        return outcome
    error = f"the check task failed: {type(outcome).__name__}: {outcome}"
    failed = [
        WatchResult(id=w.id, url=w.url, title=w.title or w.id, status="error", error=error)
        for w in batch
    ]
    for result in failed:
        report_progress(result)
    return failed


def delivery_result(outcome: object, name: str) -> DeliveryReport:
    """A delivery task's report: its own, its last transient failure's, or a crash's."""
    if isinstance(outcome, DeliveryReport):
        return outcome
    if isinstance(outcome, TransientFailure) and isinstance(outcome.result, DeliveryReport):
        return outcome.result
    return DeliveryReport(
        channel=name,
        status="failed",
        error=f"the delivery task failed: {type(outcome).__name__}: {outcome}",
    )


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
