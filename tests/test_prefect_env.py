"""Which Prefect home the CLI picks, and the one-line reason a temporary server cannot start."""

from __future__ import annotations

import sqlite3
from importlib.metadata import version
from pathlib import Path

import pytest

from rightswatch.cli import prefect_env


@pytest.fixture
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ("PREFECT_HOME", "PREFECT_API_URL", "PREFECT_PROFILE", "PREFECT_PROFILES_PATH"):
        monkeypatch.setenv(name, "")  # recorded, so what choose_home sets is undone after
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv(prefect_env.HOME_OVERRIDE, str(tmp_path / "cache"))
    return tmp_path


def test_own_home_one_per_prefect_version(clean: Path) -> None:
    home = prefect_env.choose_home()
    assert home == clean / "cache" / f"prefect-{version('prefect')}"
    assert home.is_dir()
    assert prefect_env.os.environ["PREFECT_HOME"] == str(home)


@pytest.mark.parametrize("name", ["PREFECT_HOME", "PREFECT_API_URL"])
def test_a_home_or_server_the_user_chose_is_kept(
    clean: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv(name, "http://127.0.0.1:4200/api" if name.endswith("URL") else "/x")
    assert prefect_env.choose_home() is None
    assert prefect_env.os.environ.get("PREFECT_HOME") == ("/x" if name == "PREFECT_HOME" else None)


def test_a_server_in_the_active_prefect_profile_is_kept(clean: Path) -> None:
    profiles = clean / "home" / ".prefect" / "profiles.toml"
    profiles.parent.mkdir(parents=True)
    profiles.write_text(
        'active = "work"\n[profiles.work]\nPREFECT_API_URL = "http://127.0.0.1:4200/api"\n'
        "[profiles.ephemeral]\n"
    )
    assert prefect_env.choose_home() is None
    profiles.write_text('active = "ephemeral"\n[profiles.ephemeral]\n')
    assert prefect_env.choose_home() is not None


def _home_at(folder: Path, revision: str) -> Path:
    folder.mkdir(parents=True)
    with sqlite3.connect(folder / "prefect.db") as db:
        db.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        db.execute("INSERT INTO alembic_version VALUES (?)", (revision,))
    return folder


def test_preflight_names_a_database_another_prefect_migrated(
    clean: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    known = sorted(prefect_env._known_revisions())
    assert len(known) > 50  # this Prefect's migrations were found
    monkeypatch.setenv("PREFECT_HOME", str(_home_at(clean / "ours", known[0])))
    assert prefect_env.preflight() is None
    foreign = _home_at(clean / "theirs", "27d8f4e1a6c9")
    monkeypatch.setenv("PREFECT_HOME", str(foreign))
    problem = prefect_env.preflight() or ""
    assert problem.startswith(
        f"Prefect's temporary server cannot start: its database {foreign / 'prefect.db'} was "
        f"migrated by another Prefect version (revision 27d8f4e1a6c9 is unknown to prefect "
    )
    assert "Fix: unset PREFECT_HOME" in problem
    assert "\n" not in problem
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4200/api")
    assert prefect_env.preflight() is None  # that server's database is not ours to judge
