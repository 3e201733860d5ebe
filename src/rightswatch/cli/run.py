"""Commands that run the Prefect flow: `check` (once), `serve` (on schedules), `demo`."""

from __future__ import annotations

import json
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext, redirect_stdout
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from rightswatch import prefetch, processes
from rightswatch.cli.common import (
    EXIT_USAGE,
    ConfigOption,
    app,
    err,
    fail,
    load_or_exit,
    out,
)
from rightswatch.cli.prefect_env import (
    TemporaryServer,
    preflight,
    prepare,
    server_failure,
    start_temporary_server,
)
from rightswatch.config import Config, config_path
from rightswatch.coordinate import store_for
from rightswatch.watchlist import select_watches

STATUS_STYLE = {
    "baseline": "blue",
    "unchanged": "dim",
    "changed": "bold green",
    "edition": "bold magenta",
    "suspect": "yellow",
    "error": "bold red",
}
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Show Prefect's own logs")]


def load_monitor(verbose: bool, name: str = "monitor") -> Any:
    """The flow from the installed package (Prefect imported only now, after its home is set)."""
    prepare(verbose)
    problem = preflight()
    if problem:
        fail(problem)
    from rightswatch import flows

    return getattr(flows, name)


@contextmanager
def progress_bar(total: int, enabled: bool) -> Iterator[None]:
    from rightswatch.progress import following

    if not enabled or total == 0:
        yield
        return
    progress = Progress(
        TextColumn("checking"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        console=err,
        transient=True,
    )
    bar = progress.add_task("", total=total)

    def advance(result: Any) -> None:
        progress.update(bar, advance=1, description=f"{result.id}: {result.status}")

    with following(advance), progress:
        yield


def summary_table(report: dict[str, Any]) -> Table:
    table = Table(title="rightswatch run", title_justify="left")
    for column in ("watch", "status", "changed sections", "error"):
        table.add_column(column, overflow="fold")
    for w in report["watches"]:
        sections = ", ".join(f"{c['section']} ({c['kind']})" for c in w["changes"])
        if w.get("minor"):
            sections += f"{'; ' if sections else ''}{w['minor']} minor"
        style = STATUS_STYLE.get(w["status"], "")
        table.add_row(
            escape(w["id"]),
            f"[{style}]{w['status']}[/]",
            escape(sections),
            escape(w["error"] or ""),
        )
    return table


def run_monitor(
    monitor: Any,
    *,
    config: str,
    watches: list[str] | None,
    notify: bool,
    to_stderr: bool,
    show_progress: bool,
    total: int,
    server: TemporaryServer | None = None,
) -> dict[str, Any]:
    """One run of the flow. A one-shot run sends no heartbeats: they exist to notice a crashed
    long-running flow, and stopping their thread cost up to a second at the end of each run."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    problem = server.wait() if server is not None else None
    if problem:
        fail(problem)
    redirect = redirect_stdout(sys.stderr) if to_stderr else nullcontext()
    one_shot = temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})
    with redirect, progress_bar(total, show_progress), one_shot:
        try:
            result: dict[str, Any] = monitor(config_path=config, watches=watches, notify=notify)
        except Exception as exc:  # the flow itself failed, not a watch
            fail(server_failure(exc) or f"the run failed: {type(exc).__name__}: {exc}")
    return result


def _exit_code(report: dict[str, Any]) -> int:
    from rightswatch.summary import exit_code  # after the run: not before the first fetch

    return exit_code(report)


def _ids(cfg: Config, path: str, wanted: list[str] | None) -> list[str] | None:
    """The --watch ids, checked; the pages they name start being checked in other processes
    and fetched here right away, while Prefect imports and the flow starts."""
    if not wanted and not prefetch.enabled(cfg):
        return None
    store = store_for(cfg)
    try:
        selected = select_watches(cfg, wanted or None, store)
    except ValueError as exc:
        fail(str(exc), EXIT_USAGE)
    if prefetch.enabled(cfg):
        split = processes.start_early(path, cfg, selected)
        prefetch.start(cfg, store, split.own)
    return wanted or None


@app.command()
def check(
    config: ConfigOption = None,
    watch: Annotated[
        list[str] | None, typer.Option("--watch", "-w", help="Only this watch id (repeatable)")
    ] = None,
    no_notify: Annotated[
        bool, typer.Option("--no-notify", help="Check and record, but send nothing now")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the run report as JSON on stdout")
    ] = False,
    verbose: Verbose = False,
) -> None:
    """Check every watch once and deliver the digest (Prefect's temporary server if none is set)."""
    server = start_temporary_server(verbose)  # boots while the config and Prefect load
    cfg = load_or_exit(config)
    path = str(config_path(config))
    try:
        ids = _ids(cfg, path, watch)
        report = run_monitor(
            load_monitor(verbose),
            config=path,
            watches=ids,
            notify=not no_notify,
            to_stderr=as_json,
            show_progress=sys.stderr.isatty(),
            total=len(ids) if ids else len(cfg.watches),
            server=server,
        )
    finally:  # what the run did not claim (it failed to start)
        prefetch.discard()
        processes.discard()  # their checks are committed; the next run delivers their events
    if as_json:
        sys.stdout.write(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    else:
        out.print(summary_table(report))
        for delivery in report["deliveries"]:
            if delivery["status"] == "failed":
                err.print(
                    f"[red]delivery to {escape(delivery['channel'])} failed[/]: "
                    f"{escape(delivery['error'] or '')} (kept in the outbox for the next run)"
                )
    raise typer.Exit(_exit_code(report))


def schedule_groups(cfg: Config) -> dict[str, tuple[str, list[str] | None]]:
    """Deployment name → (cron, watch ids). `daily` carries the default schedule."""
    by_cron: dict[str, list[str]] = {}
    for w in cfg.watches:
        by_cron.setdefault(w.schedule, []).append(w.id)
    groups: dict[str, tuple[str, list[str] | None]] = {}
    for cron, ids in by_cron.items():
        everything = len(by_cron) == 1
        name = (
            "daily"
            if cron == cfg.defaults.schedule
            else "cron-" + re.sub(r"[^0-9a-z]+", "-", cron.replace("*", "x")).strip("-")
        )
        groups[name] = (cron, None if everything else ids)
    if "daily" not in groups:
        groups["daily"] = (cfg.defaults.schedule, [])
    return groups


@app.command()
def serve(config: ConfigOption = None, verbose: Verbose = False) -> None:
    """Serve the flow on the config's schedules (UTC) until stopped; no worker needed."""
    cfg = load_or_exit(config)
    monitor = load_monitor(verbose)
    from prefect.types.entrypoint import EntrypointType

    path = str(config_path(config).resolve())
    deployments = []
    for name, (cron, ids) in schedule_groups(cfg).items():
        if ids == []:
            continue
        deployments.append(
            monitor.to_deployment(
                name=name,
                entrypoint_type=EntrypointType.MODULE_PATH,  # runs from the installed package
                cron=cron,
                concurrency_limit=1,
                parameters={"config_path": path, "watches": ids, "notify": True},
                description=f"rightswatch: {'all watches' if ids is None else ', '.join(ids)}"
                f" at '{cron}' UTC",
            )
        )
    if cfg.run.shards != "auto" and cfg.run.shards > 1:  # parent starts shards as these runs
        shard_flow, shard_name = cfg.run.shard_deployment.split("/", 1)
        shard = load_monitor(verbose, "shard")
        if shard.name == shard_flow:
            deployments.append(
                shard.to_deployment(name=shard_name, entrypoint_type=EntrypointType.MODULE_PATH)
            )
    from prefect import serve as prefect_serve

    err.print(
        f"serving {len(deployments)} deployment(s): "
        + ", ".join(f"{d.flow_name}/{d.name}" for d in deployments)
    )
    try:
        prefect_serve(*deployments)
    except Exception as exc:
        problem = server_failure(exc)
        if problem is None:
            raise
        fail(problem)


def demo_config(folder: Path, url: str) -> Path:
    cfg = folder / "rightswatch.yaml"
    cfg.write_text(
        f"snapshots: {folder / 'snapshots'}\n"
        "fetch: {per_host_delay: 0, retries: 1, timeout: 10}\n"
        "watches:\n  - id: hrw-wr2021-kazakhstan\n"
        f"    url: {url}\n    title: 'HRW World Report 2021: Kazakhstan (sample)'\n"
        "    profile: hrw-world-report\n",
        encoding="utf-8",
    )
    return cfg


@app.command()
def demo(
    keep: Annotated[
        Path | None, typer.Option(help="Keep the demo's snapshots in this folder")
    ] = None,
    verbose: Verbose = False,
) -> None:
    """Try rightswatch offline: a baseline of a real HRW chapter, then an edited edition."""
    from rightswatch.samples import SampleServer

    prefect_server = start_temporary_server(verbose)
    monitor = load_monitor(verbose)
    holder: Callable[[], Any] = (
        (lambda: nullcontext(str(keep))) if keep else tempfile.TemporaryDirectory
    )
    if keep:
        keep.mkdir(parents=True, exist_ok=True)
    with SampleServer() as server, holder() as folder:
        cfg = demo_config(Path(folder), server.url)
        err.print(f"[bold]1/2[/] First check of the sample chapter served at {server.url}")

        def check_sample() -> dict[str, Any]:
            report = run_monitor(
                monitor,
                config=str(cfg),
                watches=None,
                notify=True,
                to_stderr=False,
                show_progress=False,
                total=1,
                server=prefect_server,
            )
            out.print(summary_table(report))
            return report

        check_sample()
        server.edition = "edited"
        err.print(
            "[bold]2/2[/] The chapter was edited (a corrected figure, a new sentence, a "
            "removed paragraph); checking again. The digest:"
        )
        second = check_sample()
        where = f"kept in {folder}" if keep else "in a temporary folder, deleted now"
        err.print(
            f"Snapshots were {where}. Next: edit config/rightswatch.yaml and run "
            "`rightswatch check`."
        )
    raise typer.Exit(_exit_code(second))
