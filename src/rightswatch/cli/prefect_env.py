"""Where the CLI's Prefect lives, set before Prefect is imported.

A one-shot run (check, demo) with no PREFECT_API_URL starts Prefect's temporary server on the
database under PREFECT_HOME. The default ~/.prefect is shared with every other Prefect on the
machine, and a newer one migrates that database past what this Prefect knows; then the server
cannot start. So rightswatch keeps its own home, one per Prefect version, unless the user chose
one (PREFECT_HOME, or PREFECT_API_URL in the environment or in the active Prefect profile).
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import tomllib
from contextlib import closing
from importlib.metadata import PackageNotFoundError, version
from importlib.util import find_spec
from pathlib import Path

from platformdirs import user_cache_dir

HOME_OVERRIDE = "RIGHTSWATCH_PREFECT_HOME"  # where the per-version homes go (tests, packagers)
MIGRATIONS = "server/database/_migrations/versions/sqlite"
_REVISION = re.compile(r"^revision\s*=\s*[\"']([0-9a-f]+)[\"']", re.MULTILINE)


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


def _known_revisions() -> set[str]:
    spec = find_spec("prefect")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return set()
    versions = Path(spec.submodule_search_locations[0]) / MIGRATIONS
    return {
        m.group(1)
        for f in versions.glob("*.py")
        if (m := _REVISION.search(f.read_text(encoding="utf-8", errors="replace")))
    }


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
