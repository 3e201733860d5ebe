"""Both cores for a CPU-bound sweep: a local run's static pages checked in several processes.

The threads of one process share one GIL, and a cold sweep spends its CPU parsing pages (and,
with ten threads, handing the GIL to and fro). So `run.processes` splits a sweep's static pages
over child processes (`python -m rightswatch.checkworker`, which imports no Prefect), each
checking its share with the ordinary core (check.py) under its share of the per-host limits,
so that the limits hold for the run as a whole:

- with `per_host_delay: 0`, every host's pages are dealt round-robin over k = min(processes,
  per_host_concurrency) processes, each allowed per_host_concurrency // k requests in flight;
- with a delay, each host goes whole to one process (one limiter keeps the delay between
  starts), hosts balanced by work as shards are.

Index watches and browser-rendered pages stay in the flow's process. A child writes each result
as a JSON line on its stdout, as soon as it is known. Its commits are the ordinary locked,
ordered writes, so a child that crashes loses nothing: the watches it had not reported are
checked by the flow's process. `rightswatch check` starts its children before Prefect imports.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rightswatch.config import Config, FetchSettings, Watch

if TYPE_CHECKING:
    from rightswatch.result import WatchResult

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

log = logging.getLogger(__name__)

AUTO_MIN_PAGES = 200  # below this a sweep is not worth a second interpreter (~0.4 s of CPU)
AUTO_MAX_PROCESSES = 4
STOP_GRACE = 15.0  # seconds a stopped child has to finish the checks it is in

_early: Workers | None = None
_early_lock = threading.Lock()


@dataclass(frozen=True)
class Share:
    watches: list[Watch]
    fetch: FetchSettings  # the child's per-host limits


@dataclass(frozen=True)
class Split:
    own: list[Watch]  # checked by the flow's process once the children are done: indexes,
    # browser-rendered pages, and any a child did not report; under the run's whole limits
    shares: list[Share]  # one per child process: every static page


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
    local = not config.coordinated() and config.run.shards in ("auto", 1)
    groups, fetch = _deal(config.fetch, pages, process_count(config, len(pages)) if local else 1)
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
    return [pages[i::k] for i in range(k)], each


def config_digest(config: Config) -> str:
    """A child checks that it loaded the config its parent planned with (the file may change)."""
    return hashlib.sha256(config.model_dump_json().encode("utf-8")).hexdigest()


def _threads(config: Config, share: Share, children: int) -> int:
    """A child's checks in flight: its part of run.max_workers, never fewer than it may send."""
    return max(-(-config.run.max_workers // children), share.fetch.per_host_concurrency)


@dataclass
class Child:
    """One check process and what it reported so far."""

    index: int
    share: Share
    proc: subprocess.Popen[bytes]
    results: dict[str, WatchResult] = field(default_factory=dict)  # by watch id
    peak_rss_mb: float | None = None  # from its last line
    overdue: bool = False  # still running when its time was up, so it was stopped
    reader: threading.Thread | None = None


class Workers:
    """A run's check processes; results reach `follow`'s listener as each child reports."""

    def __init__(self, config: Config, split: Split, run_id: str, children: list[Child]) -> None:
        self.config = config
        self.split = split
        self.run_id = run_id
        self.children = children
        self._lock = threading.Lock()
        self._listener: Callable[[WatchResult], None] | None = None
        self._heard: list[WatchResult] = []  # reported before anyone followed
        for child in children:
            child.reader = threading.Thread(
                target=self._read, args=(child,), name=f"rightswatch-process-{child.index}"
            )
            child.reader.start()

    def follow(self, listener: Callable[[WatchResult], None]) -> None:
        """Hear every result: those reported so far at once, the others as they come."""
        with self._lock:
            self._listener, heard, self._heard = listener, self._heard, []
        for result in heard:
            listener(result)

    def _read(self, child: Child) -> None:
        from rightswatch.result import WatchResult

        assert child.proc.stdout is not None
        for line in child.proc.stdout:  # ends when the child exits, whatever its end
            try:
                message = json.loads(line)
            except ValueError:
                continue  # not one of ours (a crash half way through a line)
            if "done" in message:
                child.peak_rss_mb = float(message.get("peak_rss_mb", 0.0))
                continue
            result = WatchResult.model_validate(message["result"])
            with self._lock:
                child.results[result.id] = result
                listener = self._listener
                if listener is None:
                    self._heard.append(result)
            if listener is not None:
                listener(result)
        child.proc.stdout.close()

    def time_allowed(self) -> float:
        """How long the children may take: every check of the biggest share at its task
        timeout, two at a time per thread, as a check task's cap is; at most shard_timeout."""
        run = self.config.run
        if not self.children:
            return 0.0
        most = max(len(c.share.watches) for c in self.children)
        fewest = min(_threads(self.config, c.share, len(self.children)) for c in self.children)
        rounds = -(-2 * most // fewest)
        return min(run.timeout_for(self.config.fetch) * rounds, run.shard_timeout)

    def wait(self) -> None:
        """Until every child has ended, at most `time_allowed`; then the others are stopped."""
        deadline = time.monotonic() + self.time_allowed()
        for child in self.children:
            assert child.reader is not None
            child.reader.join(max(0.0, deadline - time.monotonic()))
            child.overdue = child.reader.is_alive()
        self.stop()

    def stop(self) -> None:
        """A child still reporting takes no more watches, finishes those it is in, then exits;
        one that reported its last line is only waited for (it is shutting down)."""
        for child in self.children:
            assert child.reader is not None
            if child.reader.is_alive() and child.proc.poll() is None:
                child.proc.terminate()
        deadline = time.monotonic() + STOP_GRACE
        for child in self.children:
            try:
                child.proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.proc.kill()
                child.proc.wait()
            assert child.reader is not None
            child.reader.join()

    def unreported(self) -> list[tuple[Child, list[Watch]]]:
        """Each child that ended early, and the watches it gave no result for."""
        gaps = []
        for child in self.children:
            missing = [w for w in child.share.watches if w.id not in child.results]
            if missing:
                gaps.append((child, missing))
        return gaps


def start(config_path: str, config: Config, split: Split, run_id: str) -> Workers:
    """One child per share, each told its job on stdin (no watch ids in the process list)."""
    children, spare = [], []
    digest = config_digest(config)
    for index, share in enumerate(split.shares, start=1):
        try:
            proc = subprocess.Popen(  # our own interpreter and module
                [sys.executable, "-m", "rightswatch.checkworker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        except OSError as exc:  # no process to be had (limits, memory): checked here instead
            log.warning("could not start check process %d (%s); checking it here", index, exc)
            spare += share.watches
            continue
        job = {
            "config": os.path.abspath(config_path),
            "digest": digest,
            "watches": [w.id for w in share.watches],
            "fetch": share.fetch.model_dump(mode="json"),
            "threads": _threads(config, share, len(split.shares)),
            "run_id": run_id,
        }
        assert proc.stdin is not None
        try:
            proc.stdin.write(json.dumps(job).encode("utf-8"))
            proc.stdin.close()
        except OSError:
            pass  # it died at once: it reports nothing and its watches are checked here
        children.append(Child(index, share, proc))
    started = Split(split.own + spare, [c.share for c in children])
    return Workers(config, started, run_id, children)


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
    return workers.split


def claim(config: Config, watches: list[Watch]) -> Workers | None:
    """The early children, if they were planned for this config and these watches."""
    global _early
    with _early_lock:
        workers, _early = _early, None
    if workers is None:
        return None
    if workers.config != config or _ids(workers.split) != {w.id for w in watches}:
        workers.stop()  # what they checked is committed; the new plan checks it again
        return None
    return workers


def _ids(split: Split) -> set[str]:
    return {w.id for w in split.own} | {w.id for s in split.shares for w in s.watches}


def discard() -> None:
    """Stop early children no run claimed (the run failed to start)."""
    global _early
    with _early_lock:
        workers, _early = _early, None
    if workers is not None:
        workers.stop()
