"""`rightswatch export`: the change log as CSV or JSON Lines, for citing and archiving."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from rightswatch.cli.common import EXIT_USAGE, ConfigOption, app, err, fail, load_or_exit
from rightswatch.coordinate import store_for
from rightswatch.export import change_rows, write_csv, write_jsonl
from rightswatch.store import StoreError


class ExportFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        fail(f"--since {value!r} is not a date; use YYYY-MM-DD or an ISO time", EXIT_USAGE)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@app.command()
def export(
    ids: Annotated[
        list[str] | None, typer.Argument(help="Watch ids; default: every watch with snapshots")
    ] = None,
    fmt: Annotated[ExportFormat, typer.Option("--format", help="csv or jsonl")] = ExportFormat.csv,
    since: Annotated[
        str | None, typer.Option(help="Only changes seen on or after this date (UTC)")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Write every section change with old and new text, facts, fetch times and the SHA-256
    of both raw pages."""
    cfg = load_or_exit(config)
    store = store_for(cfg)
    stored = store.watch_ids()
    wanted = ids or stored
    unknown = [i for i in wanted if i not in stored]
    if unknown:
        fail(
            f"no snapshots of {', '.join(unknown)}; watches with snapshots: "
            f"{', '.join(stored) or 'none'}",
            EXIT_USAGE,
        )
    rows = change_rows(store, wanted, {w.id: w for w in cfg.watches}, _since(since))
    writer = write_csv if fmt is ExportFormat.csv else write_jsonl
    try:
        if output is None:
            count = writer(rows, sys.stdout)
        else:  # written aside and renamed: a failed export never leaves half a file
            partial = output.with_name(f".{output.name}.partial")
            try:
                with partial.open("w", encoding="utf-8", newline="") as handle:
                    count = writer(rows, handle)
                partial.replace(output)
            finally:
                partial.unlink(missing_ok=True)
    except StoreError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}; choose another --output")
    err.print(f"{count} change(s) exported", style="dim")
