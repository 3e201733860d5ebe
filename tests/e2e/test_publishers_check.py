"""`rightswatch check --json` on loopback copies of each publisher's page: one deep edit is
reported in exactly its (sub)section with the whole sentence; chrome-only changes are
`unchanged`; Amnesty's yearly overwrite of the same URL is an `edition`."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import write_config
from tests.e2e.test_cli_check import run
from tests.fixtures import publishers as pub
from tests.loopback import Loopback

CHROME = replace(
    pub.Chrome(),
    footer_year=2025,
    cookie="This site uses cookies for analytics.",
    nav_extra="Press",
    related=("Trial of activists opens",),
    script="window.dataLayer=[{'page':'report','v':2}];",
    modified="2025-01-10T09:00:00+00:00",
)
OLD_AMNESTY = "At least 23 journalists were questioned by police in connection with their work."
NEW_AMNESTY = "At least 31 journalists were questioned by police in connection with their work."
OLD_STATE = "Independent monitors were allowed to visit 46 facilities."
NEW_STATE = "Independent monitors were allowed to visit only 12 facilities."
OLD_FH = "Six parties won seats in the lower house, all of them loyal to the president."
NEW_FH = "Seven parties won seats in the lower house, all of them loyal to the president."
CASES = {
    # name: (builder, deep edit, expected key, heading, path)
    "amnesty": (pub.amnesty, (OLD_AMNESTY, NEW_AMNESTY), "freedom-of-expression",
                "Freedom of expression"),
    "state": (pub.state, (OLD_STATE, NEW_STATE), "prison-and-detention-center-conditions",
              "Prison and Detention Center Conditions"),
    "freedom-house": (pub.freedom_house, (OLD_FH, NEW_FH), "a2-0-4-pts", "A2 0-4 pts"),
}  # fmt: skip


def _check(cfg: Path, env: dict[str, str]) -> dict[str, Any]:
    proc = run(["check", "--json", "--config", str(cfg)], env)
    assert proc.returncode == 0, proc.stderr
    watch: dict[str, Any] = json.loads(proc.stdout)["watches"][0]
    return watch


@pytest.mark.parametrize("name", list(CASES))
def test_chrome_only_is_unchanged_and_a_deep_edit_lands_in_its_section(
    name: str, tmp_path: Path, loopback: Loopback, prefect_env: dict[str, str]
) -> None:
    build, (old, new), key, heading = CASES[name]
    assert old in build()
    url = loopback.page("/report", build())
    cfg = write_config(tmp_path / "rw.yaml", tmp_path / "snapshots", [("p", url, "auto")])
    assert _check(cfg, prefect_env)["status"] == "baseline"
    loopback.page("/report", build(chrome=CHROME))
    assert _check(cfg, prefect_env)["status"] == "unchanged"
    loopback.page("/report", build(chrome=CHROME, edit=(old, new)))
    watch = _check(cfg, prefect_env)
    assert watch["status"] == "changed"
    (change,) = watch["changes"]
    assert (change["kind"], change["key"], change["heading"]) == ("modified", key, heading)
    (sentence,) = change["sentences"]
    assert (sentence["kind"], sentence["old"], sentence["new"]) == ("changed", old, new)


def test_amnesty_overwrite_with_next_years_report_is_an_edition(
    tmp_path: Path, loopback: Loopback, prefect_env: dict[str, str]
) -> None:
    url = loopback.page("/en/location/europe/kazakhstan/report-kazakhstan/", pub.amnesty(2023))
    cfg = write_config(tmp_path / "rw.yaml", tmp_path / "snapshots", [("a", url, "auto")])
    assert _check(cfg, prefect_env)["status"] == "baseline"
    loopback.page("/en/location/europe/kazakhstan/report-kazakhstan/", pub.amnesty(2024))
    watch = _check(cfg, prefect_env)
    assert watch["status"] == "edition"
    assert watch["changes"] == []
    assert watch["title"] == "Kazakhstan 2024"


def test_freedom_house_score_changes_are_facts_in_check_json(
    tmp_path: Path, loopback: Loopback, prefect_env: dict[str, str]
) -> None:
    url = loopback.page("/country/kazakhstan/freedom-world/2024", pub.freedom_house())
    cfg = write_config(tmp_path / "rw.yaml", tmp_path / "snapshots", [("fh", url, "auto")])
    assert _check(cfg, prefect_env)["status"] == "baseline"
    changed = pub.freedom_house(total=22, pr=4, scores={"A2": 0})
    loopback.page("/country/kazakhstan/freedom-world/2024", changed)
    watch = _check(cfg, prefect_env)
    facts = {
        c["key"]: [(f["type"], f["old"], f["new"]) for f in c["facts"]] for c in watch["changes"]
    }
    assert facts == {
        "scores": [("score", "23 / 100", "22 / 100"), ("score", "5 / 40", "4 / 40")],
        "a2-0-4-pts": [("score", "1 / 4", "0 / 4")],
    }
