"""Skip the interpreter's teardown once a command has finished: freeing the modules and objects
Prefect loaded took 0.6–0.8 s at the end of every `rightswatch check` on a 2-core machine.

Imported first by rightswatch.cli, so its exit hook is the first registered and runs last:
every other exit hook (Prefect's event and log flushing, weakref finalizers) and the join of
non-daemon threads have run by then. Armed only by the console entry point, never by an
in-process caller such as typer's CliRunner, whose own exit code must stand. Two limits: an
exit hook registered before rightswatch.cli was imported (a sitecustomize tracer, coverage's
subprocess hook) is skipped, and a program that calls `main()` itself and catches SystemExit
still exits, with that code, when it ends.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import sys

__all__ = ["arm"]

_code: int | None = None


def arm(code: object) -> None:
    """Exit with `code` (a SystemExit code) as soon as every exit hook has run."""
    global _code
    if code is None or isinstance(code, int):
        _code = int(code or 0)


def _exit_now() -> None:
    if _code is None:
        return
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to write
            stream.flush()
    os._exit(_code)


atexit.register(_exit_now)
