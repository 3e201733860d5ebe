"""Retention compacts delivery bookkeeping and nothing else: `export` is byte-for-byte the
same before and after, every event stays readable, and a pending event is never touched."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from rightswatch.cli import app
from rightswatch.export import change_rows, write_csv, write_jsonl
from rightswatch.outbox import Outbox
from rightswatch.retention import compact, compact_if_due
from rightswatch.store import open_store
from tests.history_harness import Site, build_history, config_for, run_once
from tests.loopback import Loopback, Reply
from tests.peers import Receiver


def _export(store_dir: Path, watches: dict) -> bytes:  # type: ignore[type-arg]
    store = open_store(store_dir)
    ids = sorted(store.watch_ids())
    jsonl, csv = io.StringIO(), io.StringIO()
    write_jsonl(change_rows(store, ids, watches), jsonl)
    write_csv(change_rows(store, ids, watches), csv)
    return (jsonl.getvalue() + csv.getvalue()).encode()


def _files(root: Path, part: str) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if part in p.parts)


def test_compaction_keeps_export_history_and_reports_and_prunes_delivered_events(
    tmp_path: Path, loopback: Loopback
) -> None:
    receiver = Receiver(loopback, "/hook")
    site = Site(loopback, 3)
    root = tmp_path / "s"
    config = config_for(str(root), site, receiver.url)
    build_history(config, site, 3)
    receiver.failures.append(Reply(503, b"down"))  # the 4th change stays pending
    site.bump()
    run_once(config)
    watches = {w.id: w for w in config.watches}
    before = _export(root, watches)
    history = _files(root, "snapshots") + _files(root, "docs") + _files(root, "raw")
    reports = _files(root, "reports")
    assert before.count(b"\n") > 9
    assert reports

    later = datetime.now(UTC) + timedelta(days=config.retention_days + 1)
    done = compact(open_store(root), config.retention_days, later)
    assert done.events == 9  # the 3 delivered changes of each watch, not the pending one
    assert _export(root, watches) == before  # byte for byte
    assert _files(root, "snapshots") + _files(root, "docs") + _files(root, "raw") == history
    assert _files(root, "reports") == reports
    outbox_files = sorted(p.name for p in (root / "r0" / "outbox").iterdir())
    assert [n for n in outbox_files if n.endswith(".sent")] == []  # markers gone
    assert len([n for n in outbox_files if n.endswith(".json")]) == 1  # the pending event
    events = Outbox(open_store(root)).events("r0")  # the site still links every report
    assert len(events) == 4
    assert all(e.report for e in events)
    assert compact_if_due(open_store(root), config.retention_days, later) is None  # daily

    _, deliveries = run_once(config)  # the pending change is still delivered after compaction
    assert [(d.status, d.events) for d in deliveries] == [("sent", 3)]


def test_nothing_younger_than_retention_days_is_compacted(
    tmp_path: Path, loopback: Loopback
) -> None:
    receiver = Receiver(loopback, "/hook")
    site = Site(loopback, 2)
    root = tmp_path / "s"
    config = config_for(str(root), site, receiver.url)
    build_history(config, site, 1)
    config_file = tmp_path / "rw.yaml"
    config_file.write_text(
        f"snapshots: '{root}'\nwatches:\n"
        + "".join(f"  - {{id: r{i}, url: '{site.url(i)}'}}\n" for i in range(2))
    )
    result = CliRunner().invoke(app, ["compact", "--config", str(config_file)])
    assert result.exit_code == 0, result.output
    assert "compacted 0 delivered event(s)" in result.output
    assert len(Outbox(open_store(root)).events("r0")) == 1
