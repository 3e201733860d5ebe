"""The `rightswatch` command line: thin typer commands over the core modules.

Exit codes are a contract: 0 success, 1 a watch or page failed, 2 config or usage errors.
Each submodule registers its commands on the one app; COMMANDS says which module has which
command, so the console entry imports only the module of the command it runs (the others
cost a quarter of a second that `check` would pay on every run).
"""

from __future__ import annotations

# isort: off
from rightswatch.cli import fastexit  # first: its exit hook must run after every other one

# isort: on

import importlib
import os
import sys
from collections.abc import Iterable
from typing import Annotated, Any

import typer
from rich.markup import escape

from rightswatch import __version__
from rightswatch.cli import common
from rightswatch.cli.prefect_env import choose_home

__all__ = ["COMMANDS", "app", "main", "register"]

COMMANDS: dict[str, str] = {
    "add": "add",
    "export": "export",
    "history": "history",
    "show": "history",
    "diff": "history",
    "report": "history",
    "outbox": "outbox",
    "notify-test": "outbox",
    "compact": "outbox",
    "validate": "pages",
    "sections": "pages",
    "site": "publish",
    "backfill": "publish",
    "check": "run",
    "serve": "run",
    "demo": "run",
}


def register(commands: Iterable[str] | None = None) -> None:
    """Import the modules of these commands (every command: None), which registers them."""
    wanted = COMMANDS.values() if commands is None else [COMMANDS[c] for c in commands]
    for module in sorted(set(wanted)):
        importlib.import_module(f"rightswatch.cli.{module}")


def __getattr__(name: str) -> Any:
    """`from rightswatch.cli import app` (tests, embedding): the app with every command."""
    if name == "app":
        register()
        return common.app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _version(value: bool) -> None:
    if value:
        common.out.print(f"rightswatch {__version__}")
        raise typer.Exit()


@common.app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """rightswatch: section-by-section change digests for human-rights reports."""


def _command(argv: list[str]) -> str | None:
    """The command named on the command line, if it is one (else: --help, a typo, nothing)."""
    name = next((arg for arg in argv if not arg.startswith("-")), None)
    return name if name in COMMANDS else None


def main() -> None:
    """Console entry point: an unexpected crash is one clear line, the traceback on request."""
    choose_home()  # any command may reach Prefect (a Secret block, a lock), set before it loads
    command = _command(sys.argv[1:])
    register([command] if command else None)
    try:
        common.app()
    except SystemExit as exc:
        fastexit.arm(exc.code)
        raise
    except Exception as exc:  # typer has already handled usage errors and exits
        if os.environ.get("RIGHTSWATCH_DEBUG"):
            raise
        common.err.print(
            f"[bold red]rightswatch crashed:[/] {escape(f'{type(exc).__name__}: {exc}')}\n"
            "Set RIGHTSWATCH_DEBUG=1 for the traceback, and please report it.",
            soft_wrap=True,
        )
        sys.exit(1)
