"""Politeness per host: how many requests in flight and how far apart their starts."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

__all__ = ["HostLimiter"]


class HostLimiter:
    """At most `concurrency` requests in flight per host and `delay` s between their starts.

    With `shared`, the limits live elsewhere too (Prefect global concurrency limits, so they
    hold across workers): the local semaphore still caps this process, and `shared` enforces
    both the global concurrency and the delay.
    """

    def __init__(
        self,
        concurrency: int,
        delay: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        shared: Callable[[str], AbstractContextManager[None]] | None = None,
    ) -> None:
        self.concurrency = concurrency
        self.delay = delay
        self._clock = clock
        self._sleep = sleep
        self._shared = shared
        # hosts this process alone checks, under a shard's lease (coordinate.py): limited here
        self.local_hosts: set[str] = set()
        self._lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._next_start: dict[str, float] = {}

    def defer(self, hosts: set[str], seconds: float) -> None:
        """No request to these hosts starts sooner than `seconds` from now (another process
        has just sent one)."""
        with self._lock:
            at = self._clock() + seconds
            for host in hosts:
                self._next_start[host] = max(self._next_start.get(host, at), at)

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        with self._lock:
            sem = self._slots.setdefault(host, threading.BoundedSemaphore(self.concurrency))
        sem.acquire()
        try:
            if self._shared is not None and host not in self.local_hosts:
                with self._shared(host):
                    yield
                return
            with self._lock:
                now = self._clock()
                start = max(now, self._next_start.get(host, now))
                self._next_start[host] = start + self.delay
            if start > now:
                self._sleep(start - now)
            yield
        finally:
            sem.release()
