"""Publishing and preservation commands: `site` (a static change archive) and `backfill`."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from rightswatch.backfill import backfill as run_backfill
from rightswatch.cli.common import EXIT_USAGE, ConfigOption, app, err, fail, load_or_exit, out
from rightswatch.coordinate import store_for
from rightswatch.discover import select_watches
from rightswatch.preserve import ArchiveError, wayback_for
from rightswatch.site import build_site
from rightswatch.store import LockTimeout, StoreError


@app.command()
def site(
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder to write the site into")],
    config: ConfigOption = None,
) -> None:
    """Write a static site of every watch's changes: index, a page per watch with a timeline
    and section history, the change reports, and feed.xml. Opens from disk; no JavaScript."""
    cfg = load_or_exit(config)
    try:
        watches = build_site(cfg, store_for(cfg), output)
    except StoreError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write the site into {output}: {exc.strerror or exc}; choose another -o")
    changes = sum(len(w.changes) for w in watches)
    err.print(f"{len(watches)} watch(es), {changes} change(s) → {output / 'index.html'}")


def _since(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"--since {value!r} is not a date; use YYYY-MM-DD", EXIT_USAGE)


@app.command()
def backfill(
    watch_id: Annotated[str, typer.Argument(help="The watch to fill in from the web archive")],
    since: Annotated[
        str | None, typer.Option(help="Only captures on or after this date (YYYY-MM-DD)")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Import a watch's history before its first own snapshot from the web archive's captures.
    Sends nothing to any channel; running it again imports nothing twice."""
    cfg = load_or_exit(config)
    store = store_for(cfg)
    try:
        [watch] = select_watches(cfg, [watch_id], store)
    except ValueError as exc:
        fail(str(exc), EXIT_USAGE)
    if cfg.archive is None:
        fail(
            'backfill needs an `archive:` section in the config (README "Preservation")', EXIT_USAGE
        )
    try:
        report = run_backfill(cfg, store, watch, wayback_for(cfg), _since(since))
    except (ArchiveError, StoreError, LockTimeout) as exc:
        fail(f"backfill of {watch_id}: {exc}")
    for record in report.imported:
        out.print(
            f"imported {record.taken_at:%Y-%m-%d %H:%M:%S} UTC  {record.short_hash}  "
            f"{escape(record.fetch.archived_from or '')}",
            soft_wrap=True,
        )
    for where, why in report.skipped:
        out.print(f"skipped  {escape(where)}: {escape(why)}", soft_wrap=True)
    err.print(
        f"{len(report.imported)} capture(s) imported, {len(report.skipped)} skipped, "
        f"{report.known} already imported, {report.newer} not older than the first own snapshot"
    )
