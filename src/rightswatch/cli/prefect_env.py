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
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from platformdirs import user_cache_dir

HOME_OVERRIDE = "RIGHTSWATCH_PREFECT_HOME"  # where the per-version homes go (tests, packagers)


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
    # The temporary server would try to phone home; machines running rightswatch often can't.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    for name in ("prefect", "httpx", "uvicorn"):
        logging.getLogger(name).setLevel(os.environ["PREFECT_LOGGING_LEVEL"])


def server_failure(exc: BaseException) -> str | None:
    """One line saying why Prefect's temporary server did not start and what to do, if `exc`
    is that failure; None for any other error."""
    text = f"{type(exc).__name__}: {exc}"
    if os.environ.get("PREFECT_API_URL"):
        return None
    home = os.environ.get("PREFECT_HOME", str(Path.home() / ".prefect"))
    if "revision" in text.lower() and "locate" in text.lower():
        cause = f"its database in {home} was migrated by another Prefect version ({text})"
    elif "ephemeral" in text.lower() or "temporary" in text.lower() and "server" in text.lower():
        cause = text
    else:
        return None
    return (
        f"Prefect's temporary server could not start: {cause}. Fix: unset PREFECT_HOME to use "
        f"rightswatch's own ({own_home()}), point PREFECT_HOME at an empty folder, or set "
        "PREFECT_API_URL to a running Prefect server."
    )
