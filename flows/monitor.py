"""The `rightswatch-monitor` flow: wiring only. Each step is a plain function in rightswatch.

Entry point for prefect.yaml (`flows/monitor.py:monitor`), `rightswatch serve` and
`rightswatch check`.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.futures import as_completed
from prefect.task_runners import ThreadPoolTaskRunner

from rightswatch.check import WatchResult
from rightswatch.config import load_config
from rightswatch.deliver import DeliveryReport, channels_to_deliver
from rightswatch.report import RunReport
from rightswatch.tasks import (
    check_watch_task,
    deliver_channel_task,
    now,
    open_context,
    publish_artifacts,
    report_progress,
    select_watches,
    unwrap,
)

DEFAULT_MAX_WORKERS = 8  # ThreadPoolTaskRunner's own default is unbounded


@flow(
    name="rightswatch-monitor",
    task_runner=ThreadPoolTaskRunner(max_workers=DEFAULT_MAX_WORKERS),
    log_prints=False,
)
def monitor(
    config_path: str = "config/rightswatch.yaml",
    watches: list[str] | None = None,
    notify: bool = True,
) -> dict[str, Any]:
    """Check the configured watches, deliver pending digests, publish the run's artifact."""
    started = now()
    config = load_config(config_path)
    selected = select_watches(config, watches)
    ctx = open_context(config)
    retries = {
        "retries": config.run.task_retries,
        "retry_delay_seconds": config.run.task_retry_delay,
    }
    checker = check_watch_task.with_options(
        **retries, timeout_seconds=config.run.timeout_for(config.fetch)
    )
    try:
        with ThreadPoolTaskRunner(max_workers=config.run.max_workers) as runner:
            futures = {runner.submit(checker, {"watch": w, "ctx": ctx}): w for w in selected}
            done: dict[str, WatchResult] = {}
            for future in as_completed(list(futures)):
                w = futures[future]
                fallback = WatchResult(id=w.id, url=w.url, title=w.title or w.id, status="error")
                done[w.id] = unwrap(future.result(raise_on_failure=False), fallback)
                report_progress(done[w.id])
            results = [done[w.id] for w in selected]
            deliveries: list[DeliveryReport] = []
            if notify:
                sender = deliver_channel_task.with_options(**retries)
                names = channels_to_deliver(ctx.outbox)
                sends = [
                    runner.submit(sender, {"name": n, "config": config, "outbox": ctx.outbox})
                    for n in names
                ]
                deliveries = [
                    unwrap(
                        f.result(raise_on_failure=False), DeliveryReport(channel=n, status="failed")
                    )
                    for n, f in zip(names, sends, strict=True)
                ]
    finally:
        ctx.close()
    report = RunReport(
        started_at=started, finished_at=now(), watches=results, deliveries=deliveries
    )
    publish_artifacts(report, config)
    get_run_logger().info(
        "rightswatch: %s", ", ".join(f"{n} {s}" for s, n in report.counts().items())
    )
    return report.as_json()


if __name__ == "__main__":
    monitor()
