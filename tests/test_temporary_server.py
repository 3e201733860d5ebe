"""The temporary Prefect server rightswatch starts early for a one-shot run (README
"Performance"): it is started only when no server is given, a database already at Prefect's
newest migration is not migrated again, and a server that dies says so in one message."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from rightswatch.cli import prefect_env


def test_the_newest_migration_is_one_known_revision() -> None:
    heads = prefect_env._head_revisions()
    assert len(heads) == 1
    assert heads <= prefect_env._known_revisions()


def test_no_server_is_started_when_one_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    started: list[object] = []
    monkeypatch.setattr(prefect_env.subprocess, "Popen", lambda *a, **_k: started.append(a))
    assert prefect_env.start_temporary_server(verbose=False) is None
    assert started == []


def test_a_migrated_home_is_not_migrated_again(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    home = tmp_path / "prefect-home"
    home.mkdir()
    [head] = prefect_env._head_revisions()
    with sqlite3.connect(home / "prefect.db") as db:
        db.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        db.execute("INSERT INTO alembic_version VALUES (?)", (head,))
    monkeypatch.setenv("PREFECT_HOME", str(home))
    monkeypatch.setenv("PREFECT_API_URL", "")  # recorded, so what the start sets is undone
    monkeypatch.delenv("PREFECT_API_URL")
    monkeypatch.delenv("PREFECT_SERVER_DATABASE_MIGRATE_ON_START", raising=False)
    monkeypatch.setenv("PREFECT_PROFILES_PATH", str(tmp_path / "none.toml"))
    monkeypatch.setattr(prefect_env, "_loaded_names_server", lambda: False)
    seen: dict[str, str] = {}
    real_popen = subprocess.Popen

    def popen(argv: list[str], env: dict[str, str], **_: object) -> subprocess.Popen[bytes]:
        seen.update(env)
        return real_popen([sys.executable, "-c", "pass"])

    monkeypatch.setattr(prefect_env.subprocess, "Popen", popen)
    server = prefect_env.start_temporary_server(verbose=False)
    assert server is not None
    server.stop()
    assert seen["PREFECT_SERVER_DATABASE_MIGRATE_ON_START"] == "false"
    assert seen["PREFECT_UI_ENABLED"] == "0"
    assert os.environ["PREFECT_API_URL"] == server.url  # the flow then uses this server


def test_a_server_that_dies_is_one_message_with_what_it_said(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", "import sys; sys.stderr.write('database is locked'); exit(3)"],
            stderr=err,
        )
    server = prefect_env.TemporaryServer(proc, "http://127.0.0.1:9/api", log)
    problem = server.wait(timeout=20)
    assert problem is not None
    assert "could not start" in problem
    assert "database is locked" in problem
    assert "Fix:" in problem
    server.stop()
