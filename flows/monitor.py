"""The `rightswatch-monitor` flow: wiring only. Each step is a plain function in rightswatch.

Entry point for prefect.yaml (`flows/monitor.py:monitor`), `rightswatch serve` and
`rightswatch check`.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.futures import as_completed
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from rightswatch.config import load_config
from rightswatch.deliver import channels_to_deliver
from rightswatch.report import RunReport
from rightswatch.tasks import (
    batch_label,
    batch_results,
    check_watches_task,
    deliver_channel_task,
    delivery_result,
    now,
    open_context,
    plan_batches,
    publish_artifacts,
    select_watches,
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
    batches = plan_batches(selected, config.run.batch_size(len(selected)))
    ctx = open_context(config)
    try:
        with ThreadPoolTaskRunner(max_workers=config.run.max_workers) as runner:
            futures = {
                runner.submit(
                    check_watches_task.with_options(
                        timeout_seconds=config.run.timeout_for(config.fetch) * len(batch)
                    ),
                    # quote(): Prefect would otherwise walk every model in these arguments for
                    # each task run, which dominated the cost of a large sweep.
                    {"watches": quote(batch), "ctx": quote(ctx), "label": batch_label(batch)},
                ): batch
                for batch in batches
            }
            done = {
                result.id: result
                for future in as_completed(list(futures))
                for result in batch_results(future.result(raise_on_failure=False), futures[future])
            }
            results = [done[w.id] for w in selected]
            sender = deliver_channel_task.with_options(
                retries=config.run.task_retries, retry_delay_seconds=config.run.task_retry_delay
            )
            names = channels_to_deliver(ctx.outbox) if notify else []
            sends = [
                runner.submit(
                    sender, {"name": n, "config": quote(config), "outbox": quote(ctx.outbox)}
                )
                for n in names
            ]
            deliveries = [
                delivery_result(f.result(raise_on_failure=False), n)
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
