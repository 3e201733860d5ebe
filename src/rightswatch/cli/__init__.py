"""The `rightswatch` command line: thin typer commands over the core modules.

Exit codes are a contract: 0 success, 1 a watch or page failed, 2 config or usage errors.
Each submodule registers its commands on the one app; the imports below are that registry.
"""

from __future__ import annotations

# isort: off
from rightswatch.cli import fastexit  # first: its exit hook must run after every other one

# isort: on

import os
import sys
from typing import Annotated

import typer
from rich.markup import escape

from rightswatch import __version__
from rightswatch.cli import add as add
from rightswatch.cli import export as export
from rightswatch.cli import history as history
from rightswatch.cli import outbox as outbox
from rightswatch.cli import pages as pages
from rightswatch.cli import publish as publish
from rightswatch.cli import run as run
from rightswatch.cli.common import app, err, out
from rightswatch.cli.prefect_env import choose_home

__all__ = ["app", "main"]


def _version(value: bool) -> None:
    if value:
        out.print(f"rightswatch {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """rightswatch: section-by-section change digests for human-rights reports."""


def main() -> None:
    """Console entry point: an unexpected crash is one clear line, the traceback on request."""
    choose_home()  # any command may reach Prefect (a Secret block, a lock), set before it loads
    try:
        app()
    except SystemExit as exc:
        fastexit.arm(exc.code)
        raise
    except Exception as exc:  # typer has already handled usage errors and exits
        if os.environ.get("RIGHTSWATCH_DEBUG"):
            raise
        err.print(
            f"[bold red]rightswatch crashed:[/] {escape(f'{type(exc).__name__}: {exc}')}\n"
            "Set RIGHTSWATCH_DEBUG=1 for the traceback, and please report it.",
            soft_wrap=True,
        )
        sys.exit(1)
