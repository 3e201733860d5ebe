"""The `rightswatch` command line: thin typer commands over the core modules.

Exit codes are a contract: 0 success, 1 a watch or page failed, 2 config or usage errors.
Each submodule registers its commands on the one app; the imports below are that registry.
"""

from __future__ import annotations

from typing import Annotated

import typer

from rightswatch import __version__
from rightswatch.cli import history, pages
from rightswatch.cli.common import app, out

__all__ = ["app", "main"]
_COMMAND_MODULES = (history, pages)


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
    app()
