"""Both cores for a CPU-bound sweep: a local run's static pages checked in several processes.

The threads of one process share one GIL, and a cold sweep spends its CPU parsing pages (and,
with ten threads, handing the GIL to and fro). So `run.processes` splits a sweep's static pages
over child processes (`python -m rightswatch.checkworker`, which imports no Prefect), each
checking its share with the ordinary core (check.py) under its share of the per-host limits,
so that the limits hold for the run as a whole:

- with `per_host_delay: 0`, each host's pages are dealt round-robin over k = min(processes,
  per_host_concurrency) processes, each allowed per_host_concurrency // k requests in flight;
- with a delay, each host goes whole to one process (one limiter keeps the delay between
  starts), hosts balanced by work as shards are.

Index watches and browser-rendered pages are checked by the flow's process once the children
have ended, under the whole limits (and each host's delay after the children's last request).
A child's commits are the ordinary locked, ordered writes, so one that crashes loses nothing:
the watches it had not reported are checked by the flow's process too. `rightswatch check`
starts the children before Prefect imports (start_early); the flow claims them.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections import defaultdict

from rightswatch.children import Child, Share, Split, Workers, config_digest, start
from rightswatch.config import Config, FetchSettings, Watch
from rightswatch.coordinate import host_of
from rightswatch.prefetch import enabled as limits_are_local

__all__ = [
    "AUTO_MIN_PAGES",
    "Child",
    "Share",
    "Split",
    "Workers",
    "claim",
    "config_digest",
    "discard",
    "plan",
    "process_count",
    "start",
    "start_early",
]

AUTO_MIN_PAGES = 200  # below this a sweep is not worth a second interpreter (~0.4 s of CPU)
AUTO_MAX_PROCESSES = 4

_early: Workers | None = None
_early_lock = threading.Lock()


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def process_count(config: Config, pages: int) -> int:
    """`run.processes`, with auto resolved: one per CPU (at most 4) for a big sweep."""
    wanted = config.run.processes
    if wanted == "auto":
        return min(_cpus(), AUTO_MAX_PROCESSES) if pages >= AUTO_MIN_PAGES else 1
    return max(1, min(wanted, pages))


def plan(config: Config, watches: list[Watch]) -> Split:
    """Who checks what under which limits; no split for a coordinated or sharded store, whose
    limits are shared through Prefect."""
    pages = [w for w in watches if w.kind == "page" and w.render == "static"]
    count = process_count(config, len(pages)) if limits_are_local(config) else 1
    groups, fetch = _deal(config.fetch, pages, count)
    if len(groups) < 2:
        return Split(list(watches), [])
    own = [w for w in watches if not (w.kind == "page" and w.render == "static")]
    return Split(own, [Share(group, fetch) for group in groups])


def _deal(
    fetch: FetchSettings, pages: list[Watch], count: int
) -> tuple[list[list[Watch]], FetchSettings]:
    if count < 2:
        return [pages], fetch
    if fetch.per_host_delay > 0:
        from rightswatch.shard import plan_shards  # host-affine, balanced by work

        return plan_shards(pages, count), fetch
    k = min(count, fetch.per_host_concurrency)
    if k < 2:
        return [pages], fetch
    each = fetch.model_copy(update={"per_host_concurrency": fetch.per_host_concurrency // k})
    return _dealt(pages, k), each


def _dealt(pages: list[Watch], k: int) -> list[list[Watch]]:
    """Each host's pages dealt round-robin over k groups (so every host may use its whole
    limit), each host starting where the last left off; config order within a group."""
    by_host: dict[str, list[int]] = defaultdict(list)
    for i, watch in enumerate(pages):
        by_host[host_of(watch.url)].append(i)
    groups: list[list[int]] = [[] for _ in range(k)]
    turn = 0
    for indexes in by_host.values():
        for i in indexes:
            groups[turn % k].append(i)
            turn += 1
    return [[pages[i] for i in sorted(group)] for group in groups]


def start_early(config_path: str, config: Config, watches: list[Watch]) -> Split:
    """`rightswatch check`: the children start now, while Prefect imports; the flow claims
    them. The split is returned so that nothing a child checks is fetched early here."""
    global _early
    split = plan(config, watches)
    if not split.shares:
        return split
    workers = start(config_path, config, split, uuid.uuid4().hex)
    with _early_lock:
        previous, _early = _early, workers
    if previous is not None:
        previous.stop()
    # The plan, not what started: a child's pages are never fetched early here, even if it
    # could not start (the flow checks them after the others, under the whole limits).
    return split


def claim(config: Config, watches: list[Watch]) -> tuple[Workers | None, str | None]:
    """The early children, if they were planned for this config and these watches; else
    None, and the run id they used, if any (a failure they recorded counts once a run)."""
    global _early
    with _early_lock:
        workers, _early = _early, None
    if workers is None:
        return None, None
    if workers.config != config or _ids(workers.split) != {w.id for w in watches}:
        workers.stop()  # what they checked is committed; the new plan checks it again
        return None, workers.run_id
    return workers, workers.run_id


def _ids(split: Split) -> set[str]:
    return {w.id for w in split.own} | {w.id for s in split.shares for w in s.watches}


def discard() -> None:
    """Stop early children no run claimed (the run failed to start)."""
    global _early
    with _early_lock:
        workers, _early = _early, None
    if workers is not None:
        workers.stop()
