"""How a caller follows a run's progress: each watch's final result, as soon as it is final.

A context variable rather than a list of listeners: it belongs to the caller's context, which
Prefect's task runner and anyio's worker threads copy into every task they run, so two runs
in one process never hear each other and nothing is left registered after a run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from rightswatch.result import WatchResult

__all__ = ["following", "tell", "teller"]

Listener = Callable[[WatchResult], None]
_listener: ContextVar[Listener | None] = ContextVar("rightswatch_progress", default=None)


@contextmanager
def following(listener: Listener) -> Iterator[None]:
    """Hear every result told within this block, including from the tasks it starts."""
    token = _listener.set(listener)
    try:
        yield
    finally:
        _listener.reset(token)


def tell(result: WatchResult) -> None:
    """A watch's result is final: tell whoever follows the run."""
    listener = _listener.get()
    if listener is not None:
        listener(result)


def teller() -> Listener:
    """`tell` for another thread (one the caller's context is not copied into): it tells
    whoever follows the caller now."""
    listener = _listener.get()
    return listener if listener is not None else _ignore


def _ignore(result: WatchResult) -> None:  # noqa: ARG001 - a Listener nobody follows
    return None
