"""`rightswatch add URL` as a new user runs it, against loopback copies of each publisher."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from rightswatch.cli import app
from rightswatch.config import load_config
from tests.fixtures import publishers as pub
from tests.loopback import Loopback

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()
PAGES = {
    "amnesty": (pub.amnesty, "/en/location/europe/central-asia/kazakhstan/report-kazakhstan/"),
    "state-country-report": (
        pub.state,
        "/reports/2023-country-reports-on-human-rights-practices/kazakhstan/",
    ),
    "freedom-house": (pub.freedom_house, "/country/kazakhstan/freedom-world/2024"),
    "hrw-world-report": (pub.hrw_2018, "/world-report/2018/country-chapters/kazakhstan"),
}
IDS = {
    "amnesty": "amnesty-report-kazakhstan",
    "state-country-report": "state-kazakhstan-2023",
    "freedom-house": "fh-kazakhstan-freedom-world-2024",
    "hrw-world-report": "hrw-kazakhstan-2018",
}


def _config(tmp_path: Path) -> Path:
    """The shipped example config (comments and all), made to fetch loopback without delay."""
    text = (ROOT / "config" / "rightswatch.yaml").read_text(encoding="utf-8")
    path = tmp_path / "rightswatch.yaml"
    path.write_text(
        text.replace("per_host_delay: 1.0", "per_host_delay: 0").replace(
            "retries: 3", "retries: 0"
        ),
        encoding="utf-8",
    )
    return path


def _comments(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.lstrip().startswith("#") or " # " in line]


@pytest.mark.parametrize("profile", list(PAGES))
def test_add_writes_the_watch_with_the_right_profile_and_keeps_the_comments(
    profile: str, loopback: Loopback, tmp_path: Path
) -> None:
    build, path = PAGES[profile]
    url = loopback.page(path, build())
    cfg = _config(tmp_path)
    before = cfg.read_text(encoding="utf-8")
    result = runner.invoke(
        app, ["add", url, "--channels", "console", "--config", str(cfg)], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert f"profile {profile}, chosen by auto: page signature" in result.output
    assert f"added watch {IDS[profile]} (profile {profile})" in result.output
    assert "warning" not in result.output
    after = cfg.read_text(encoding="utf-8")
    assert _comments(after) == _comments(before)
    assert after.startswith(before.split("\nediti")[0].split("\n  # New publications")[0])
    watch = load_config(cfg).watch(IDS[profile])
    assert (watch.url, watch.profile, watch.channels) == (url, profile, ["console"])
    assert yaml.safe_load(after)["channels"] == yaml.safe_load(before)["channels"]


def test_add_prints_the_outline_it_will_watch(loopback: Loopback, tmp_path: Path) -> None:
    url = loopback.page("/fh", pub.freedom_house())
    result = runner.invoke(
        app, ["add", url, "--id", "fh-kz", "--config", str(_config(tmp_path))],
        env={"COLUMNS": "200"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "profile freedom-house · 14 sections" in result.output
    assert "A1 0-4 pts" in result.output
    assert "header1" not in result.output


def test_a_suspicious_outline_gets_a_warning_with_the_profile_options(
    loopback: Loopback, tmp_path: Path
) -> None:
    page = "<html><body><p>One long paragraph of a page that has no headings at all.</p></body>"
    url = loopback.page("/flat", page)
    result = runner.invoke(app, ["add", url, "--config", str(_config(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "warning: the page came out as 1 section(s)" in result.output
    assert "--profile NAME (hrw-world-report, amnesty, state-country-report" in result.output


def test_a_taken_id_or_unknown_channel_changes_nothing(loopback: Loopback, tmp_path: Path) -> None:
    url = loopback.page("/a", pub.amnesty())
    cfg = _config(tmp_path)
    before = cfg.read_text(encoding="utf-8")
    taken = runner.invoke(app, ["add", url, "--id", "hrw-wr2021-kazakhstan", "-c", str(cfg)])
    assert taken.exit_code == 2
    assert "already exists; choose another --id" in taken.output
    unknown = runner.invoke(app, ["add", url, "--channels", "nope", "-c", str(cfg)])
    assert unknown.exit_code == 2
    assert "unknown channel 'nope'; defined channels: console" in unknown.output
    again = runner.invoke(app, ["add", url, "-c", str(cfg)])
    assert again.exit_code == 0, again.output  # the first add
    assert runner.invoke(app, ["add", url, "-c", str(cfg)]).exit_code == 2
    assert (
        "is already watched (watch amnesty-a)"
        in runner.invoke(app, ["add", url, "-c", str(cfg)]).output
    )
    cfg.write_text(before, encoding="utf-8")
    dead = runner.invoke(app, ["add", loopback.url("/missing"), "-c", str(cfg)])
    assert dead.exit_code == 1
    assert "HTTP 404" in dead.output
    assert cfg.read_text(encoding="utf-8") == before


def test_add_to_a_new_config_file(loopback: Loopback, tmp_path: Path) -> None:
    url = loopback.page("/s", pub.state())
    cfg = tmp_path / "new.yaml"
    result = runner.invoke(app, ["add", url, "--id", "state-kz", "-c", str(cfg)])
    assert result.exit_code == 0, result.output
    assert [w.id for w in load_config(cfg).watches] == ["state-kz"]


def test_dry_run_writes_nothing_and_an_empty_flow_list_keeps_its_comments(
    loopback: Loopback, tmp_path: Path
) -> None:
    url = loopback.page("/fh", pub.freedom_house())
    cfg = tmp_path / "rw.yaml"
    cfg.write_text("# our watches\nsnapshots: snaps  # local\nwatches: []\n", encoding="utf-8")
    dry = runner.invoke(app, ["add", url, "--id", "fh-kz", "--dry-run", "-c", str(cfg)])
    assert dry.exit_code == 0
    assert "  - id: fh-kz\n    url: " + url in dry.output
    assert cfg.read_text(encoding="utf-8").endswith("watches: []\n")
    assert runner.invoke(app, ["add", url, "--id", "fh-kz", "-c", str(cfg)]).exit_code == 0
    text = cfg.read_text(encoding="utf-8")
    assert text.startswith("# our watches\nsnapshots: snaps  # local\nwatches:\n  - id: fh-kz\n")
    assert load_config(cfg).watch("fh-kz").profile == "freedom-house"
