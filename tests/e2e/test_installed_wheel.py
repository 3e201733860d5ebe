"""rightswatch as someone who installed the wheel uses it: outside any checkout, and on a
machine where another Prefect has migrated ~/.prefect past what this Prefect knows."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import FIXTURES, ROOT, rightswatch_bin, write_config
from tests.loopback import Loopback

FOREIGN_REVISION = "27d8f4e1a6c9"  # what a newer Prefect left in a shared ~/.prefect
TEXT: dict[str, object] = {
    "capture_output": True,
    "text": True,
    "timeout": 240,
    "stdin": subprocess.DEVNULL,
}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh venv holding the built wheel. Its dependencies come from the running
    interpreter's own site-packages (one .pth line), so no download and no second install,
    while rightswatch itself is the wheel's copy, not the checkout's source."""
    base = tmp_path_factory.mktemp("installed")
    wheels, venv = base / "wheels", base / "venv"
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    subprocess.run([*build, "-w", str(wheels), str(ROOT)], check=True, timeout=180)
    [wheel] = wheels.glob("rightswatch-*.whl")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q"]
    subprocess.run([*install, "--no-deps", "--no-index", str(wheel)], check=True, timeout=180)
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    deps = sysconfig.get_paths(vars={"base": sys.prefix, "platbase": sys.prefix})["purelib"]
    (Path(site) / "dependencies.pth").write_text(deps + "\n", encoding="utf-8")
    return venv


def outside_env(base: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """No PYTHONPATH (it would put the checkout's source first) and a cwd far from it."""
    env = {k: v for k, v in base.items() if k != "PYTHONPATH"}
    env["PWD"] = str(tmp_path)
    return env


def test_the_wheel_checks_a_page_and_runs_the_demo_outside_any_checkout(
    installed: Path, prefect_env: dict[str, str], loopback: Loopback, tmp_path: Path
) -> None:
    env = outside_env(prefect_env, tmp_path)
    python, rightswatch = installed / "bin" / "python", installed / "bin" / "rightswatch"
    where = subprocess.run(
        [str(python), "-c", "import rightswatch; print(rightswatch.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(installed), where
    version = subprocess.run([str(rightswatch), "--version"], cwd=tmp_path, env=env, **TEXT)
    assert version.stdout.strip().startswith("rightswatch 0."), version.stdout + version.stderr

    url = loopback.page("/kz", (FIXTURES / "hrw_kazakhstan_2021.html").read_bytes())
    cfg = write_config(tmp_path / "rw.yaml", tmp_path / "snapshots", [("kz", url, "auto")])
    check = subprocess.run(
        [str(rightswatch), "check", "--config", str(cfg), "--json"], cwd=tmp_path, env=env, **TEXT
    )
    assert check.returncode == 0, check.stderr
    [watch] = json.loads(check.stdout)["watches"]
    assert (watch["id"], watch["status"], watch["error"]) == ("kz", "baseline", None)

    sections = subprocess.run(
        [str(rightswatch), "sections", url, "--json"], cwd=tmp_path, env=env, **TEXT
    )
    assert sections.returncode == 0, sections.stderr
    assert len(json.loads(sections.stdout)["sections"]) == 15

    demo = subprocess.run([str(rightswatch), "demo"], cwd=tmp_path, env=env, **TEXT)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "changed" in demo.stdout
    assert "Traceback" not in demo.stderr


def test_demo_runs_when_another_prefect_migrated_the_shared_prefect_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    shared = home / ".prefect" / "prefect.db"
    shared.parent.mkdir(parents=True)
    with sqlite3.connect(shared) as db:
        db.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        db.execute("INSERT INTO alembic_version VALUES (?)", (FOREIGN_REVISION,))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "XDG_"))}
    env |= {"HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("RIGHTSWATCH_PREFECT_HOME", None)

    demo = subprocess.run([rightswatch_bin(), "demo"], cwd=tmp_path, env=env, **TEXT)

    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "Traceback" not in demo.stderr
    own = list((home / ".cache" / "rightswatch").glob("prefect-*/prefect.db"))
    assert len(own) == 1, "the demo's temporary server used rightswatch's own Prefect home"
    with sqlite3.connect(shared) as db:  # the other Prefect's database is left as it was
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (FOREIGN_REVISION,)
        ]


def test_a_prefect_home_the_user_chose_that_cannot_start_is_one_line(tmp_path: Path) -> None:
    chosen = tmp_path / "prefect-home"
    chosen.mkdir()
    with sqlite3.connect(chosen / "prefect.db") as db:
        db.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        db.execute("INSERT INTO alembic_version VALUES (?)", (FOREIGN_REVISION,))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(chosen)

    demo = subprocess.run([rightswatch_bin(), "demo"], cwd=tmp_path, env=env, **TEXT)

    assert demo.returncode == 1
    [line] = [ln for ln in demo.stderr.splitlines() if ln.startswith("error:")]
    assert f"revision {FOREIGN_REVISION} is unknown to prefect" in line
    assert "Fix: unset PREFECT_HOME" in line
    assert "Traceback" not in demo.stderr
