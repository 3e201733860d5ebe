"""A run's check processes (processes.py plans them): starting each with its job, reading
the results it streams back, passing on its stderr, and stopping it.

A child is `python -m rightswatch.checkworker`. It writes one JSON line per result on stdout
as soon as the result is known, and a last line with its peak memory; reader threads here
hand each result to whoever follows the run (progress), so a split sweep's progress is live.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rightswatch.config import Config, FetchSettings, Watch
from rightswatch.coordinate import host_of

if TYPE_CHECKING:
    from rightswatch.result import WatchResult

__all__ = ["Child", "Share", "Split", "Workers", "config_digest", "start"]

log = logging.getLogger(__name__)

# Seconds a stopped child has to finish the checks it is in; one still running then is killed,
# which its crash-safe commits allow (the next run redoes that check).
STOP_GRACE = 15.0
STDERR_TAIL = 20  # a crashed child's last stderr lines, for the run's log


@dataclass(frozen=True)
class Share:
    watches: list[Watch]
    fetch: FetchSettings  # the child's per-host limits


@dataclass(frozen=True)
class Split:
    own: list[Watch]  # checked by the flow's process once the children are done: indexes,
    # browser-rendered pages, and any a child did not report; under the run's whole limits
    shares: list[Share]  # one per child process: every static page


def _relay(child: Child) -> None:
    """A child's stderr, passed on to ours; its last lines are kept for the run's log."""
    assert child.proc.stderr is not None
    try:
        for raw in child.proc.stderr:
            line = raw.decode("utf-8", "replace")
            child.stderr_tail.append(line.rstrip("\n"))
            sys.stderr.write(line)
    except (OSError, ValueError):
        pass  # our own stderr is gone: the tail is still kept
    finally:
        child.proc.stderr.close()


def _parse(child: Child, line: bytes) -> WatchResult | None:
    """A result line, or None: the last line (peak memory) or one that is not ours."""
    from rightswatch.result import WatchResult

    try:
        message = json.loads(line)
        if "done" in message:
            child.peak_rss_mb = float(message["peak_rss_mb"])
            return None
        return WatchResult.model_validate(message["result"])
    except (ValueError, TypeError, KeyError) as exc:  # a ValidationError is a ValueError
        log.warning("check process %d: a line that is not a result, ignored (%s)", child.index, exc)
        return None


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
    relay: threading.Thread | None = None
    stderr_tail: deque[str] = field(default_factory=lambda: deque(maxlen=STDERR_TAIL))


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
            name = f"rightswatch-process-{child.index}"
            child.reader = threading.Thread(target=self._read, args=(child,), name=name)
            child.relay = threading.Thread(target=_relay, args=(child,), name=name + "-stderr")
            child.reader.start()
            child.relay.start()

    def follow(self, listener: Callable[[WatchResult], None]) -> None:
        """Hear every result: those reported so far at once, the others as they come."""
        with self._lock:
            self._listener, heard, self._heard = listener, self._heard, []
        for result in heard:
            listener(result)

    def _read(self, child: Child) -> None:
        assert child.proc.stdout is not None
        try:
            for line in child.proc.stdout:  # ends when the child exits, whatever its end
                result = _parse(child, line)
                if result is not None:
                    self._heard_from(child, result)
        finally:
            child.proc.stdout.close()

    def _heard_from(self, child: Child, result: WatchResult) -> None:
        with self._lock:
            child.results[result.id] = result
            listener = self._listener
            if listener is None:
                self._heard.append(result)
        if listener is not None:
            try:
                listener(result)
            except Exception:  # the progress display, not the run: keep reading
                log.exception("could not tell the progress of %s", result.id)

    def hosts(self) -> set[str]:
        """Every host the children fetched from."""
        return {host_of(w.url) for c in self.children for w in c.share.watches}

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
            for thread in (child.reader, child.relay):
                if thread is not None:
                    thread.join()

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
    children: list[Child] = []
    spare: list[Watch] = []
    digest = config_digest(config)
    try:
        for index, share in enumerate(split.shares, start=1):
            job = {
                "config": os.path.abspath(config_path),
                "digest": digest,
                "watches": [w.id for w in share.watches],
                "fetch": share.fetch.model_dump(mode="json"),
                "threads": _threads(config, share, len(split.shares)),
                "run_id": run_id,
            }
            proc = _spawn(index, json.dumps(job).encode("utf-8"))
            if proc is None:
                spare += share.watches
            else:
                children.append(Child(index, share, proc))
    except BaseException:
        for child in children:  # none may outlive a start that failed half way
            child.proc.kill()
            child.proc.wait()
        raise
    started = Split(split.own + spare, [c.share for c in children])
    return Workers(config, started, run_id, children)


def _child_env() -> dict[str, str]:
    """Ours, with this very rightswatch first on the path (a flow may have found it there
    rather than installed)."""
    import site

    import rightswatch

    root = os.path.dirname(os.path.dirname(os.path.abspath(rightswatch.__file__)))
    if root in {*site.getsitepackages(), site.getusersitepackages()}:
        return dict(os.environ)  # installed: found anyway (and kept after the standard library)
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": root + (os.pathsep + path if path else "")}


def _spawn(index: int, job: bytes) -> subprocess.Popen[bytes] | None:
    """A check process with its job; None if none could be started (limits, memory)."""
    try:
        proc = subprocess.Popen(  # our own interpreter and module
            [sys.executable, "-m", "rightswatch.checkworker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_child_env(),
        )
    except OSError as exc:
        log.warning("could not start check process %d (%s); checking it here", index, exc)
        return None
    assert proc.stdin is not None
    try:
        proc.stdin.write(job)
    except OSError:
        pass  # it died at once: it reports nothing, and its watches are checked here
    finally:
        with contextlib.suppress(OSError):
            proc.stdin.close()
    return proc
