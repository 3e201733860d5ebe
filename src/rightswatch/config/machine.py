"""What the machine a config runs on must have: checked when the config loads, so a missing
browser is a config error with the package to install, not a crash in the middle of a run."""

from __future__ import annotations

import importlib.util
import shutil

__all__ = ["browser_problem"]


def browser_problem(executable: str | None) -> str | None:
    """Why `render: browser` cannot work on this machine, or None."""
    if importlib.util.find_spec("playwright") is None:
        return "the Playwright package is missing: pip install 'rightswatch[browser]'"
    if executable is not None:
        if shutil.which(executable) is None:
            return (
                f"fetch.browser_executable {executable!r} is not an executable; install "
                "Chromium (Debian: apt-get install chromium) or fix the path"
            )
        return None
    if shutil.which("chromium") is None and shutil.which("chromium-browser") is None:
        return (
            "Chromium is not installed: install the Debian package `chromium` "
            "(apt-get install chromium), or set fetch.browser_executable"
        )
    return None
