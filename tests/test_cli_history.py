"""`rightswatch history`, `show` and `diff` over a store holding real fixture snapshots."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rightswatch.cli import app
from rightswatch.extract import extract
from rightswatch.store import FetchInfo, WatchState, open_store

FIXTURES = Path(__file__).parent / "fixtures"
URL = "https://www.hrw.org/world-report/2021/country-chapters/kazakhstan"
T0 = datetime(2021, 1, 13, 10, 0, tzinfo=UTC)
runner = CliRunner()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    store = open_store(tmp_path / "snapshots")
    for n, name in enumerate(
        ["hrw_kazakhstan_2021", "pairs/typography_only", "pairs/torture_number"]
    ):
        raw = (FIXTURES / f"{name}.html").read_bytes()
        fetch = FetchInfo(
            fetched_at=T0 + timedelta(days=n),
            status=200,
            final_url=URL,
            raw_sha256=hashlib.sha256(raw).hexdigest(),
        )
        record = store.record("hrw-kz", extract(raw.decode(), URL), fetch, raw)
    store.save_state(
        WatchState(watch_id="hrw-kz", last_good=record.id, last_good_hash=record.content_hash)
    )
    path = tmp_path / "rightswatch.yaml"
    path.write_text(
        f"snapshots: {tmp_path / 'snapshots'}\nwatches:\n"
        f"  - id: hrw-kz\n    url: {URL}\n  - id: empty\n    url: {URL}\n"
    )
    return path


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.output


def flat(output: str) -> str:
    """Terminal output without tree guides and line wrapping."""
    return " ".join(output.translate(str.maketrans("", "", "│├└─")).split())


def test_history_lists_snapshots_with_change_summaries(config: Path) -> None:
    code, output = run("history", "hrw-kz", "--config", str(config))
    assert code == 0, output
    lines = [line for line in output.splitlines() if "latest~" in line]
    assert len(lines) == 3
    assert "2021-01-13 10:00:00 UTC" in lines[0]
    assert "first snapshot" in lines[0]
    assert "1 minor" in lines[1]
    assert "1 modified (baseline)" in lines[2]
    assert "15" in lines[0]  # sections


def test_history_of_unknown_and_empty_watches(config: Path) -> None:
    code, output = run("history", "nope", "--config", str(config))
    assert code == 2
    assert "no watch with id 'nope'" in output
    code, output = run("history", "empty", "--config", str(config))
    assert code == 0
    assert "no snapshots of empty yet" in output


def test_show_prints_a_stored_snapshot(config: Path) -> None:
    code, output = run("show", "hrw-kz", "--at", "latest~2", "--config", str(config))
    assert code == 0, output
    assert "received 140 complaints of torture" in flat(output)
    code, output = run("show", "hrw-kz", "--json", "--config", str(config))
    assert "152 complaints" in json.loads(output)["sections"][11]["paragraphs"][0]
    code, output = run("show", "hrw-kz", "--at", "1999", "--config", str(config))
    assert code == 1
    assert "no snapshot of 'hrw-kz' matches '1999'" in output


def test_diff_defaults_to_previous_against_latest(config: Path) -> None:
    code, output = run("diff", "hrw-kz", "--config", str(config))
    assert code == 0, output
    assert "Torture — modified" in output
    assert "fact 140 complaints → 152 complaints (number)" in output


def test_diff_formats(config: Path) -> None:
    code, output = run(
        "diff",
        "hrw-kz",
        "--from",
        "latest~2",
        "--to",
        "2021-01-15",
        "--format",
        "json",
        "--config",
        str(config),
    )
    assert code == 0
    payload = json.loads(output)
    assert [(c["section"], c["kind"]) for c in payload["changes"]] == [("Torture", "modified")]
    assert payload["changes"][0]["facts"][0]["new"] == "152 complaints"
    code, output = run("diff", "hrw-kz", "--format", "markdown", "--config", str(config))
    assert "### Torture — modified" in output
    assert "~~140~~**152** complaints" in output
    code, output = run(
        "diff", "hrw-kz", "--from", "latest~2", "--to", "latest~1", "--config", str(config)
    )
    assert "no changes" in output  # typography only
    code, output = run(
        "diff",
        "hrw-kz",
        "--from",
        "latest~2",
        "--to",
        "latest~1",
        "--minor",
        "--config",
        str(config),
    )
    assert "Civil Society — minor edit" in output


def test_report_command_writes_the_html_report(config: Path, tmp_path: Path) -> None:
    code, output = run("report", "hrw-kz", "--config", str(config))
    assert code == 0, output
    path = Path(flat(output).replace(" ", ""))
    assert path == tmp_path / "snapshots" / "hrw-kz" / "reports" / "20210115T100000Z.html"
    html = path.read_text()
    assert "<del>140</del>" in html
    assert "<ins>152</ins>" in html
    code, output = run("report", "hrw-kz", "--from", "latest~2", "--config", str(config))
    assert code == 0
    assert "-vs-" in output
