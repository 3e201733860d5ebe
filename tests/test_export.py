"""`rightswatch export`: the change log, round-tripped through CSV and JSONL, checked against
the raw pages in the store."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from rightswatch.check import check_watches
from rightswatch.config import load_config
from rightswatch.tasks import open_context
from tests.loopback import Loopback

FIXTURES = Path(__file__).parent / "fixtures"
BASE = (FIXTURES / "hrw_kazakhstan_2021.html").read_bytes()
TORTURE = (FIXTURES / "pairs" / "torture_number.html").read_bytes()
EXPRESSION = (FIXTURES / "pairs" / "expression_sentence.html").read_bytes()


def _export(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    rightswatch = str(Path(sys.executable).with_name("rightswatch"))
    return subprocess.run(
        [rightswatch, "export", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_export_round_trips_and_every_hash_matches_the_archived_raw_page(
    tmp_path: Path, loopback: Loopback
) -> None:
    url = loopback.page("/kz", BASE)
    config_path = tmp_path / "rw.yaml"
    config_path.write_text(
        f"snapshots: {tmp_path / 'snapshots'}\n"
        "fetch: {per_host_delay: 0, retries: 0, timeout: 5, respect_robots: false}\n"
        f"watches:\n  - {{id: kz, url: '{url}', profile: hrw-world-report}}\n",
        encoding="utf-8",
    )
    config = load_config(config_path)
    ctx = open_context(config)
    check_watches(config.watches, ctx)
    loopback.page("/kz", TORTURE)
    check_watches(config.watches, ctx)
    middle = datetime.now(UTC)
    loopback.page("/kz", EXPRESSION)  # Torture back to 140, and a sentence added elsewhere
    check_watches(config.watches, ctx)

    jsonl = _export(config_path, "--format", "jsonl")
    assert jsonl.returncode == 0, jsonl.stderr
    rows = [json.loads(line) for line in jsonl.stdout.splitlines()]
    as_csv = _export(config_path, "kz", "--format", "csv")
    assert as_csv.returncode == 0, as_csv.stderr
    table = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert len(rows) == len(table) == 3
    loose = ("facts", "minor", "edition", "archive_url")  # JSON types, or null vs an empty cell
    for row, line in zip(rows, table, strict=True):  # the two formats say the same thing
        assert {k: str(v) for k, v in row.items() if k not in loose} == {
            k: v for k, v in line.items() if k not in loose
        }
        assert json.loads(line["facts"]) == row["facts"]
        assert row["archive_url"] is None
        assert line["archive_url"] == ""

    first = rows[0]
    assert (first["watch"], first["section"], first["kind"]) == ("kz", "Torture", "modified")
    assert "140 complaints" in first["old_text"]
    assert "152 complaints" in first["new_text"]
    assert [(f["old"], f["new"]) for f in first["facts"]] == [("140 complaints", "152 complaints")]
    assert sorted((r["section"], r["kind"]) for r in rows[1:]) == [
        ("Freedom of Expression", "modified"),
        ("Torture", "modified"),
    ]

    # Every row cites raw pages that are in the store and hash to what the row says.
    history = {r.id: r for r in ctx.store.history("kz")}
    for row in rows:
        for side, snapshot in (("old", row["from_snapshot"]), ("new", row["to_snapshot"])):
            sha = row[f"{side}_raw_sha256"]
            archived = tmp_path / "snapshots" / "kz" / "raw" / f"{sha}.html.gz"
            assert hashlib.sha256(gzip.decompress(archived.read_bytes())).hexdigest() == sha
            assert history[snapshot].fetch.raw_sha256 == sha
            assert row[f"{side}_fetched_at"] == history[snapshot].fetch.fetched_at.isoformat()
    assert hashlib.sha256(TORTURE).hexdigest() == rows[0]["new_raw_sha256"]

    since = _export(config_path, "--format", "jsonl", "--since", middle.isoformat())
    assert [json.loads(x)["to_snapshot"] for x in since.stdout.splitlines()] == [
        rows[1]["to_snapshot"]
    ] * 2

    target = tmp_path / "out" / "kz.csv"
    target.parent.mkdir()
    written = _export(config_path, "--format", "csv", "-o", str(target))
    assert written.returncode == 0
    assert target.read_text(encoding="utf-8") == as_csv.stdout
    assert [p.name for p in target.parent.iterdir()] == ["kz.csv"]

    bad = _export(config_path, "--since", "last tuesday")
    assert bad.returncode == 2
    assert "--since 'last tuesday' is not a date" in bad.stderr
    unknown = _export(config_path, "nope")
    assert unknown.returncode == 2
    assert "no snapshots of nope" in unknown.stderr
