"""Where the CLI's Prefect lives, set before Prefect is imported.

A one-shot run (check, demo) with no PREFECT_API_URL starts Prefect's temporary server on the
database under PREFECT_HOME. The default ~/.prefect is shared with every other Prefect on the
machine, and a newer one migrates that database past what this Prefect knows; then the server
cannot start. So rightswatch keeps its own home, one per Prefect version, unless the user chose
one (PREFECT_HOME, or PREFECT_API_URL in the environment or in the active Prefect profile).
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.request
from contextlib import closing
from importlib.metadata import PackageNotFoundError, version
from importlib.util import find_spec
from pathlib import Path

from platformdirs import user_cache_dir

HOME_OVERRIDE = "RIGHTSWATCH_PREFECT_HOME"  # where the per-version homes go (tests, packagers)
MIGRATIONS = "server/database/_migrations/versions/sqlite"
_REVISION = re.compile(r"^revision\s*=\s*[\"']([0-9a-f]+)[\"']", re.MULTILINE)
_DOWN = re.compile(r"^down_revision\s*=\s*[\"']([0-9a-f]+)[\"']", re.MULTILINE)
SERVER_START_SECONDS = 60.0


def prefect_version() -> str:
    try:
        return version("prefect")
    except PackageNotFoundError:  # pragma: no cover - prefect is a dependency
        return "unknown"


def own_home() -> Path:
    base = os.environ.get(HOME_OVERRIDE) or user_cache_dir("rightswatch", appauthor=False)
    return Path(base) / f"prefect-{prefect_version()}"


def _profile_sets_api_url() -> bool:
    """The active profile of the default ~/.prefect names a server the user wants used."""
    profiles = Path(
        os.environ.get("PREFECT_PROFILES_PATH") or Path.home() / ".prefect" / "profiles.toml"
    )
    try:
        data = tomllib.loads(profiles.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    active = os.environ.get("PREFECT_PROFILE") or data.get("active") or "ephemeral"
    settings = data.get("profiles", {}).get(active, {})
    return isinstance(settings, dict) and bool(settings.get("PREFECT_API_URL"))


def choose_home() -> Path | None:
    """Point PREFECT_HOME at rightswatch's own home unless the user has chosen where Prefect
    lives; returns the home it set, or None."""
    if os.environ.get("PREFECT_HOME") or os.environ.get("PREFECT_API_URL"):
        return None
    if _profile_sets_api_url():
        return None
    home = own_home()
    home.mkdir(parents=True, exist_ok=True)
    os.environ["PREFECT_HOME"] = str(home)
    return home


def prepare(verbose: bool) -> None:
    """Prefect's home chosen and its own log lines kept out of the way unless --verbose."""
    choose_home()
    level = "INFO" if verbose else "CRITICAL"
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", level)
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", level)  # the temporary server's own
    # The temporary server would try to phone home; machines running rightswatch often can't.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    for name in ("prefect", "httpx", "uvicorn"):
        logging.getLogger(name).setLevel(os.environ["PREFECT_LOGGING_LEVEL"])


def _migration_texts() -> list[str]:
    spec = find_spec("prefect")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return []
    versions = Path(spec.submodule_search_locations[0]) / MIGRATIONS
    return [f.read_text(encoding="utf-8", errors="replace") for f in versions.glob("*.py")]


def _known_revisions() -> set[str]:
    return {m.group(1) for text in _migration_texts() if (m := _REVISION.search(text))}


def _head_revisions() -> set[str]:
    """The newest migration(s): revisions no other migration builds on."""
    texts = _migration_texts()
    known = {m.group(1) for text in texts if (m := _REVISION.search(text))}
    return known - {m.group(1) for text in texts if (m := _DOWN.search(text))}


def _database_revision(db: Path) -> str | None:
    try:
        with closing(sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)) as conn:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return None
    return str(row[0]) if row else None


def preflight() -> str | None:
    """Why Prefect's temporary server will not start on this home, with the fix; None when
    there is no reason to expect trouble (or a server is given by PREFECT_API_URL)."""
    if os.environ.get("PREFECT_API_URL") or any(
        os.environ.get(f"PREFECT_{k}_DATABASE_CONNECTION_URL") for k in ("API", "SERVER")
    ):
        return None
    home = Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()
    db = home / "prefect.db"
    revision = _database_revision(db) if db.is_file() else None
    known = _known_revisions() if revision else set()
    if not revision or not known or revision in known:
        return None
    return (
        f"Prefect's temporary server cannot start: its database {db} was migrated by another "
        f"Prefect version (revision {revision} is unknown to prefect {prefect_version()}). "
        f"Fix: unset PREFECT_HOME to use rightswatch's own home ({own_home()}), point "
        "PREFECT_HOME at an empty folder, or set PREFECT_API_URL to a running Prefect server."
    )


def server_failure(exc: BaseException) -> str | None:
    """One line for Prefect's temporary server failing to start, if `exc` is that failure."""
    text = f"{type(exc).__name__}: {exc}"
    if os.environ.get("PREFECT_API_URL") or "ephemeral prefect api server" not in text.lower():
        return None
    return (
        f"Prefect's temporary server could not start ({text.rstrip('.')}). Fix: run again with "
        "--verbose to see the server's log, point PREFECT_HOME at an empty folder, or set "
        "PREFECT_API_URL to a running Prefect server."
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TemporaryServer:
    """Prefect's temporary server, started by rightswatch itself as soon as a one-shot command
    knows it needs one, so it boots (in its own process, on another core) while this process
    loads the config and imports Prefect; Prefect then uses it through PREFECT_API_URL."""

    def __init__(self, process: subprocess.Popen[bytes], url: str, log: Path) -> None:
        self.process, self.url, self.log = process, url, log
        atexit.register(self.stop)

    def wait(self, timeout: float = SERVER_START_SECONDS) -> str | None:
        """None once the server answers; else why it did not, with the fix."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2):
                    return None
            except OSError:
                time.sleep(0.05)
        tail = self.log.read_text(encoding="utf-8", errors="replace").strip()[-500:]
        return (
            "Prefect's temporary server could not start"
            + (f" (it said: {tail})" if tail else f" within {timeout:.0f} s")
            + ". Fix: run again with --verbose, point PREFECT_HOME at an empty folder, or set "
            "PREFECT_API_URL to a running Prefect server."
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.unlink(missing_ok=True)


def _loaded_names_server() -> bool:
    """Prefect is already loaded in this process and a settings context names a server."""
    if "prefect" not in sys.modules:
        return False
    from prefect.settings import get_current_settings

    return bool(get_current_settings().api.url)


def start_temporary_server(verbose: bool) -> TemporaryServer | None:
    """Start the temporary server now when a one-shot run will need one (no server given);
    a database already at the newest migration is not migrated again on start."""
    prepare(verbose)
    if os.environ.get("PREFECT_API_URL") or _profile_sets_api_url() or _loaded_names_server():
        return None  # a server is given
    if preflight():
        return None  # load_monitor says why none can start
    spec = find_spec("prefect")
    if spec is None or not spec.submodule_search_locations:
        return None
    env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1"}
    env["PREFECT__SERVER_FINAL"] = "1"
    home = Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()
    db = home / "prefect.db"
    if db.is_file() and _database_revision(db) in _head_revisions():
        env.setdefault("PREFECT_SERVER_DATABASE_MIGRATE_ON_START", "false")
    port = _free_port()
    fd, log = tempfile.mkstemp(prefix="rightswatch-prefect-server-", suffix=".log")
    command = [sys.executable, "-m", "uvicorn", "--app-dir"]
    command += [str(Path(spec.submodule_search_locations[0]).parent), "--factory"]
    command += ["prefect.server.api.server:create_app", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--log-level", "info" if verbose else "error"]
    with os.fdopen(fd, "wb") as stderr:
        process = subprocess.Popen(
            [*command, "--lifespan", "on"], env=env, stdout=subprocess.DEVNULL, stderr=stderr
        )
    url = f"http://127.0.0.1:{port}/api"
    os.environ["PREFECT_API_URL"] = url
    return TemporaryServer(process, url, Path(log))
