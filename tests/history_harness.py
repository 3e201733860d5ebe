"""A store with history, built through the same core functions a run calls: N watches on a
loopback page server, each changed K times and each change delivered to one webhook.

Used by tests/test_history_cost.py and benchmarks/history.py.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from rightswatch.check import CheckContext, WatchResult, check_watch
from rightswatch.config import Config, parse_config
from rightswatch.deliver import DeliveryResult, channels_to_deliver, deliver_channel
from rightswatch.fetch import Fetcher
from rightswatch.store import open_store
from tests.loopback import Loopback, Reply, Request

__all__ = ["Site", "build_history", "config_for", "page_html", "run_once"]

WORDS = (
    "The authorities continued to restrict freedom of expression and peaceful assembly, "
    "prosecuted critics on vague charges and failed to investigate allegations of torture. "
)


def page_html(i: int, version: int) -> str:
    sections = "".join(
        f"<h2>Section {s} of report {i}</h2><p>{WORDS * 3}</p>"
        + (f"<p>In revision {version} the ministry reported {100 + version} cases.</p>") * (s == 2)
        for s in range(1, 4)
    )
    return (
        f"<html><head><title>Report {i}</title></head><body><main><h1>Report {i}</h1>"
        f"{sections}</main></body></html>"
    )


@dataclass
class Site:
    """N pages that answer 304 to their own ETag; `bump` publishes a new revision of all."""

    loopback: Loopback
    count: int
    prefix: str = "/r"
    version: dict[int, int] = field(default_factory=dict)
    _bodies: dict[tuple[int, int], bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for i in range(self.count):
            self.version[i] = 0
            self.loopback.route(f"{self.prefix}/{i}", self._answer(i))

    def url(self, i: int) -> str:
        return self.loopback.url(f"{self.prefix}/{i}")

    def bump(self, which: list[int] | None = None) -> None:
        for i in range(self.count) if which is None else which:
            self.version[i] += 1

    def _answer(self, i: int) -> Any:
        def answer(req: Request) -> Reply:
            v = self.version[i]
            etag = f'"r{i}-v{v}"'
            if req.headers.get("If-None-Match") == etag:
                return Reply(304, b"", {"ETag": etag})
            body = self._bodies.get((i, v))
            if body is None:
                body = self._bodies[(i, v)] = page_html(i, v).encode()
            return Reply(200, body, {"Content-Type": "text/html; charset=utf-8", "ETag": etag})

        return answer


def config_for(store: str, site: Site, hook: str, options: dict[str, str] | None = None) -> Config:
    opts = "".join(f"\n  {k}: '{v}'" for k, v in (options or {}).items())
    watches = "".join(
        f"  - {{id: r{i}, url: '{site.url(i)}', profile: generic}}\n" for i in range(site.count)
    )
    return parse_config(
        f"snapshots: '{store}'\n"
        + (f"snapshot_options:{opts}\n" if opts else "")
        + "fetch: {per_host_delay: 0, per_host_concurrency: 8, retries: 0, timeout: 10, "
        "allow_private: true}\n"
        f"defaults: {{channels: [hook]}}\nchannels:\n  hook: {{type: webhook, url: '{hook}'}}\n"
        f"watches:\n{watches}"
    )


@contextmanager
def _local_lock(name: str, timeout: float) -> Iterator[None]:
    with _LOCKS.setdefault(name, threading.Lock()):
        yield


_LOCKS: dict[str, threading.Lock] = {}


def run_once(config: Config, workers: int = 8) -> tuple[list[WatchResult], list[DeliveryResult]]:
    """One run as the flow does it: check every watch, write the run's check log, deliver."""
    store = open_store(config.snapshots, options=config.snapshot_options, lock=_local_lock)
    ctx = CheckContext(config=config, store=store, fetcher=Fetcher(config.fetch))
    try:
        with ThreadPoolExecutor(workers) as pool:
            results = list(pool.map(lambda w: check_watch(w, ctx), config.watches))
        flush = getattr(store, "flush_checks", None)  # absent before issue 15 (benchmarks)
        if flush is not None:
            flush(config.retention_days)
        deliveries = [
            deliver_channel(n, config, ctx.outbox) for n in channels_to_deliver(ctx.outbox)
        ]
    finally:
        ctx.close()
    return results, deliveries


def build_history(config: Config, site: Site, changes: int, workers: int = 8) -> None:
    """A baseline, then `changes` revisions of every page, each checked and delivered."""
    results, _ = run_once(config, workers)
    assert {r.status for r in results} == {"baseline"}, {r.error for r in results}
    for _ in range(changes):
        site.bump()
        results, deliveries = run_once(config, workers)
        assert {r.status for r in results} == {"changed"}, {r.error for r in results}
        assert {d.status for d in deliveries} == {"sent"}, deliveries
