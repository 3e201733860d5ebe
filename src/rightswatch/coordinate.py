"""Locks and per-host limits that hold across workers, as Prefect global concurrency limits.

On one machine a file lock and a semaphore are enough. Once several workers share a sweep,
or the snapshots live on object storage, the same guarantees have to live on the Prefect
server: one slot of `watch:<id>` per watch, `per_host_concurrency` slots of `host:<name>`
per site, and `host-rate:<name>`, a decaying limit, for `per_host_delay`.

Like tasks.py this module imports Prefect; the core only sees plain callables.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from urllib.parse import urlsplit

from rightswatch.config import Config, Watch
from rightswatch.fetch import Fetcher
from rightswatch.politeness import HostLimiter
from rightswatch.store import LockTimeout, SnapshotStore, layout, open_store

__all__ = ["HostSlot", "PrefectLimits", "fetcher_for", "host_of", "limit_name", "store_for"]

HostSlot = Callable[[str], AbstractContextManager[None]]
LEASE_SECONDS = 600.0  # renewed while held; a killed worker's slot frees itself after this


# The global limit that stands for a store lock: `kz/.lock` → `watch:kz`.
limit_name = layout.lock_owner


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


class PrefectLimits:
    """Creates the limits it needs on first use, then acquires slots from them."""

    def __init__(self, config: Config) -> None:
        self.per_host = config.fetch.per_host_concurrency
        self.delay = config.fetch.per_host_delay
        self._known: set[str] = set()
        self._guard = threading.Lock()
        self._hosts = {w.id: host_of(w.url) for w in config.watches}
        self._leased: set[str] = set()  # hosts whose lease this run holds
        self._local: dict[str, threading.Lock] = {}
        self.limiter: HostLimiter | None = None  # the fetcher's, told which hosts are leased

    def _ensure(self, name: str, limit: int, decay: float | None = None) -> None:
        with self._guard:
            if name in self._known:
                return
        import httpx  # with Prefect's client: not before a one-shot run's first fetch
        from prefect.client.orchestration import get_client
        from prefect.exceptions import ObjectAlreadyExists

        with get_client(sync_client=True) as client:
            try:
                client.upsert_global_concurrency_limit_by_name(name, limit, decay)
            except (ObjectAlreadyExists, httpx.HTTPStatusError):
                # Another worker created it between our read and our create (the server may
                # answer 409 or, on SQLite, 500); it must exist now, or this raises.
                client.read_global_concurrency_limit_by_name(name)
        with self._guard:
            self._known.add(name)

    @contextmanager
    def lease(self, watches: list[Watch], timeout: float) -> Iterator[None]:
        """Hold `lease:<host>` for every host of a shard's watches for the whole shard run: one
        acquire and one release, whatever the number of pages. Meanwhile the watches' locks and
        the hosts' limits are this process's own (a host is only ever in one shard), so steady
        state needs no Prefect call per page; a racing run waits for the lease."""
        from prefect.concurrency.sync import concurrency

        self._hosts |= {w.id: host_of(w.url) for w in watches}
        hosts = sorted({host_of(w.url) for w in watches} - self._leased)
        names = [f"lease:{h}" for h in hosts]
        if not names:  # every host already leased by this run
            yield
            return
        for name in names:
            self._ensure(name, 1)
        try:
            with concurrency(
                names, occupy=1, timeout_seconds=timeout, strict=True, lease_duration=LEASE_SECONDS
            ):
                self._hold(hosts, True)
                try:
                    yield
                finally:
                    self._hold(hosts, False)
        except TimeoutError:
            raise LockTimeout(
                f"the shard leases {', '.join(names)} stayed taken for {timeout:.0f} s: another "
                "rightswatch run is checking these hosts; wait for it, or free a killed run's "
                "lease with `prefect gcl update NAME --active-slots 0`"
            ) from None

    def _hold(self, hosts: list[str], held: bool) -> None:
        with self._guard:
            (self._leased.update if held else self._leased.difference_update)(hosts)
            if self.limiter is not None:
                self.limiter.local_hosts = set(self._leased)

    @contextmanager
    def lock(self, lock_path: str, timeout: float) -> Iterator[None]:
        """A store lock. A watch whose host this run leases is locked in this process only;
        any other watch takes its host's lease for the check, so a run that holds no lease
        and a sharded run still exclude each other."""
        from prefect.concurrency.sync import concurrency

        name = limit_name(lock_path)
        host = self._hosts.get(name.removeprefix("watch:")) if name.startswith("watch:") else None
        if host is not None and host in self._leased:
            with self._guard:
                local = self._local.setdefault(name, threading.Lock())
            if not local.acquire(timeout=timeout):
                raise LockTimeout(f"{name} is held by another check of this run")
            try:
                yield
            finally:
                local.release()
            return
        if host is not None:
            name = f"lease:{host}"
        self._ensure(name, 1)
        try:
            with concurrency(
                name, occupy=1, timeout_seconds=timeout, strict=True, lease_duration=LEASE_SECONDS
            ):
                yield
        except TimeoutError:
            raise LockTimeout(
                f"the Prefect global concurrency limit {name!r} stayed taken for {timeout:.0f} s: "
                "another rightswatch run holds this watch; wait for it. If no run is active (a "
                "killed worker), its lease ends within 10 minutes, or free it with "
                f"`prefect gcl update {name} --active-slots 0`"
            ) from None

    @contextmanager
    def host_slot(self, host: str) -> Iterator[None]:
        from prefect.concurrency.sync import concurrency, rate_limit

        name = f"host:{host}"
        self._ensure(name, self.per_host)
        with concurrency(name, occupy=1, strict=True, lease_duration=LEASE_SECONDS):
            if self.delay > 0:  # last, right before the request, so the spacing is the starts'
                rate = f"host-rate:{host}"
                self._ensure(rate, 1, 1.0 / self.delay)
                rate_limit(rate, strict=True)
            yield


def store_for(config: Config, limits: PrefectLimits | None = None) -> SnapshotStore:
    """The config's snapshot store, locked through Prefect when the config is coordinated."""
    if limits is None and config.coordinated():
        limits = PrefectLimits(config)
    return open_store(
        config.snapshots,
        keep_raw=config.keep_raw,
        options=config.snapshot_options,
        lock=limits.lock if limits is not None else None,
    )


def fetcher_for(config: Config, limits: PrefectLimits | None = None) -> Fetcher:
    if limits is None and config.coordinated():
        limits = PrefectLimits(config)
    fetcher = Fetcher(config.fetch, shared_slot=limits.host_slot if limits is not None else None)
    if limits is not None:
        limits.limiter = fetcher.limiter
    return fetcher
