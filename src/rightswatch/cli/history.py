"""Commands over stored snapshots: `history`, `show` and `diff`."""

from __future__ import annotations

import json
import sys
import webbrowser
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from rightswatch.check import ChangeReport, write_change_report
from rightswatch.cli.common import (
    EXIT_USAGE,
    ConfigOption,
    app,
    err,
    fail,
    load_or_exit,
    out,
)
from rightswatch.cli.pages import print_sections
from rightswatch.config import Config
from rightswatch.coordinate import store_for
from rightswatch.diff import DocumentDiff, diff_documents, diff_prepared
from rightswatch.document import Document
from rightswatch.render import change_dict, diff_markdown, diff_rich
from rightswatch.render.report import ReportSide
from rightswatch.store import SnapshotRecord, SnapshotStore, StoreError

WatchArg = Annotated[str, typer.Argument(help="Watch id from the config")]
FromRef = Annotated[str, typer.Option("--from", help="REF of the older snapshot")]
ToRef = Annotated[str, typer.Option("--to", help="REF of the newer snapshot")]


class Format(StrEnum):
    text = "text"
    markdown = "markdown"
    json = "json"


def _open(config_file: Path | None, watch_id: str) -> tuple[Config, SnapshotStore]:
    """The config and store, for a watch that is configured or has snapshots."""
    config = load_or_exit(config_file)
    store = store_for(config)
    if watch_id not in {w.id for w in config.watches} | set(store.watch_ids()):
        known = ", ".join(w.id for w in config.watches) or "none"
        fail(f"no watch with id {watch_id!r}; configured watches: {known}", EXIT_USAGE)
    return config, store


def compare(config: Config, watch_id: str, old: Document, new: Document) -> DocumentDiff:
    """Diff as the pipeline does: through the watch's `sections` and `ignore` when configured."""
    watch = next((w for w in config.watches if w.id == watch_id), None)
    if watch is None:
        return diff_documents(old, new)
    return diff_prepared(old, new, watch.sections, watch.ignore, watch.lang)


def _load(store: SnapshotStore, watch_id: str, ref: str) -> tuple[SnapshotRecord, Document]:
    try:
        record = store.resolve(watch_id, ref)
        return record, store.document(watch_id, record.content_hash)
    except StoreError as exc:
        fail(str(exc))


def _when(record: SnapshotRecord) -> str:
    return record.taken_at.strftime("%Y-%m-%d %H:%M:%S UTC")


@app.command()
def history(watch_id: WatchArg, config: ConfigOption = None) -> None:
    """List a watch's snapshots with what changed since the one before."""
    cfg, store = _open(config, watch_id)
    records = store.history(watch_id)
    if not records:
        err.print(f"no snapshots of {watch_id} yet; run `rightswatch check --watch {watch_id}`")
        return
    baseline = store.state(watch_id).last_good
    table = Table(title=f"{watch_id}: {len(records)} snapshots", title_justify="left")
    for column in ("ref", "time", "hash", "sections", "words", "change since previous"):
        table.add_column(column, no_wrap=column != "change since previous")
    previous: Document | None = None
    edition: str | None = None
    for n, record in enumerate(records):
        doc = store.document(watch_id, record.content_hash)
        if previous is None:
            summary = "first snapshot"
        elif record.edition != edition:  # a rollover starts a new line, not a diff
            summary = f"new edition {record.edition or ''}: {record.title}"
        else:
            summary = compare(cfg, watch_id, previous, doc).summary()
        edition = record.edition
        mark = " (baseline)" if record.id == baseline else ""
        if record.fetch.archived_from:  # imported by `rightswatch backfill`
            mark += " (from the web archive)"
        table.add_row(
            f"latest~{len(records) - 1 - n}",
            _when(record),
            record.short_hash,
            str(record.sections),
            f"{record.words:,}",
            summary + mark,
        )
        previous = doc
    out.print(table)


@app.command()
def show(
    watch_id: WatchArg,
    at: Annotated[
        str, typer.Option("--at", help="REF: latest, latest~N, time prefix, short hash")
    ] = "latest",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the stored Document as JSON")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Print a stored snapshot."""
    _cfg, store = _open(config, watch_id)
    record, doc = _load(store, watch_id, at)
    if as_json:
        sys.stdout.write(doc.model_dump_json(indent=2) + "\n")
        return
    err.print(
        f"{watch_id} @ {_when(record)} ({record.short_hash}), fetched from {record.fetch.final_url}"
    )
    print_sections(doc, out, full=True)


@app.command()
def diff(
    watch_id: WatchArg,
    from_ref: FromRef = "latest~1",
    to_ref: ToRef = "latest",
    fmt: Annotated[Format, typer.Option("--format", help="text, markdown or json")] = Format.text,
    include_minor: Annotated[
        bool, typer.Option("--minor", help="Include typography-only edits")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Compare two snapshots section by section (default: previous → latest)."""
    cfg, store = _open(config, watch_id)
    old_rec, old = _load(store, watch_id, from_ref)
    new_rec, new = _load(store, watch_id, to_ref)
    result = compare(cfg, watch_id, old, new)
    if fmt is Format.json:
        payload = {
            "watch": watch_id,
            "from": old_rec.model_dump(mode="json"),
            "to": new_rec.model_dump(mode="json"),
            "changes": [
                change_dict(c, with_edits=True)
                for c in result.changes
                if include_minor or not c.minor
            ],
        }
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    elif fmt is Format.markdown:
        sys.stdout.write(
            diff_markdown(
                result,
                title=new.title,
                url=new.final_url,
                include_minor=include_minor,
                old=f"{_when(old_rec)} ({old_rec.short_hash})",
                new=f"{_when(new_rec)} ({new_rec.short_hash})",
            )
        )
    else:
        out.print(
            f"[bold]{watch_id}[/]: {_when(old_rec)} ({old_rec.short_hash}) → "
            f"{_when(new_rec)} ({new_rec.short_hash})"
        )
        plain = not out.is_terminal or out.no_color
        for line in diff_rich(result, include_minor=include_minor, plain=plain):
            out.print(line)


@app.command()
def report(
    watch_id: WatchArg,
    from_ref: FromRef = "latest~1",
    to_ref: ToRef = "latest",
    open_report: Annotated[bool, typer.Option("--open", help="Open it in the browser")] = False,
    config: ConfigOption = None,
) -> None:
    """Write the HTML report comparing two snapshots (default: previous → latest)."""
    cfg, store = _open(config, watch_id)
    old_rec, old = _load(store, watch_id, from_ref)
    new_rec, new = _load(store, watch_id, to_ref)
    history = [r.id for r in store.history(watch_id)]
    consecutive = history.index(new_rec.id) - history.index(old_rec.id) == 1
    versus = None if consecutive else old_rec.short_hash
    report = ChangeReport(
        store.reports.path(watch_id, new_rec.taken_at, versus),
        next((w.title for w in cfg.watches if w.id == watch_id and w.title), new.title),
        new.final_url,
        ReportSide(old_rec.taken_at, old_rec.content_hash, old),
        ReportSide(new_rec.taken_at, new_rec.content_hash, new),
        compare(cfg, watch_id, old, new),
    )
    target = Path(store.reports.describe(write_change_report(store, report))).resolve()
    out.print(str(target), soft_wrap=True)
    if open_report:
        webbrowser.open(target.as_uri())
