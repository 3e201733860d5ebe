"""`rightswatch sections URL|FILE|WATCH-ID` as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from rightswatch.cli import app
from tests.loopback import Loopback

FIXTURES = Path(__file__).parent / "fixtures"
HRW = FIXTURES / "hrw_kazakhstan_2021.html"
runner = CliRunner()


def test_sections_of_a_file_prints_the_tree() -> None:
    result = runner.invoke(app, ["sections", str(HRW)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "World Report 2021: Kazakhstan [en]" in result.output
    assert "profile hrw-world-report · 15 sections" in result.output
    assert "Torture (202 words)  Torture and ill-treatment occur with impunity" in result.output
    assert "Share this via" not in result.output


def test_sections_json_is_the_document() -> None:
    result = runner.invoke(app, ["sections", str(HRW), "--json"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["title"] == "World Report 2021: Kazakhstan"
    assert [s["key"] for s in doc["sections"]][:3] == [
        "summary",
        "freedom-of-assembly",
        "civil-society",
    ]
    assert set(doc["sections"][1]) >= {"key", "heading", "level", "path", "paragraphs", "links"}


def test_sections_of_a_url_served_on_loopback(loopback: Loopback, tmp_path: Path) -> None:
    url = loopback.page(
        "/ru", (FIXTURES / "hrw_kazakhstan_2021_ru.html").read_bytes(), ctype="text/html"
    )
    result = runner.invoke(app, ["sections", url, "--json", "--config", "/nonexistent.yaml"])
    assert result.exit_code == 2  # an explicit --config that does not exist is an error
    cfg = _config(tmp_path, url)
    result = runner.invoke(app, ["sections", url, "--json", "--config", str(cfg)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["lang"] == "ru"
    assert doc["sections"][1]["heading"] == "Свобода собраний"


def test_sections_of_a_watch_id_uses_its_url_and_profile(
    loopback: Loopback, tmp_path: Path
) -> None:
    url = loopback.page("/kz", HRW.read_bytes())
    cfg = _config(tmp_path, url)
    result = runner.invoke(app, ["sections", "kz", "--json", "--config", str(cfg)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["profile"] == "hrw-world-report"
    unknown = runner.invoke(app, ["sections", "nope", "--config", str(cfg)])
    assert unknown.exit_code == 2
    assert "no watch with id 'nope'; configured watches: kz" in unknown.output


def test_dead_url_exits_1_with_the_reason(loopback: Loopback, tmp_path: Path) -> None:
    cfg = _config(tmp_path, loopback.url("/kz"))
    result = runner.invoke(app, ["sections", loopback.url("/missing"), "--config", str(cfg)])
    assert result.exit_code == 1
    assert f"{loopback.url('/missing')}: HTTP 404" in result.output


def test_bad_profile_is_a_usage_error() -> None:
    result = runner.invoke(app, ["sections", str(HRW), "--profile", "nonesuch"])
    assert result.exit_code == 2
    assert "unknown profile 'nonesuch'" in result.output


def test_installed_console_script_runs() -> None:
    script = Path(sys.executable).with_name("rightswatch")
    proc = subprocess.run(
        [str(script), "sections", str(HRW), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "RIGHTSWATCH_CONFIG": ""},
    )
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)["sections"]) == 15


def _config(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "rightswatch.yaml"
    path.write_text(f"""\
fetch: {{per_host_delay: 0, retries: 0, timeout: 5}}
watches:
  - id: kz
    url: {url}
    profile: hrw-world-report
""")
    return path
