"""How one shard's watches are spread over its Prefect check tasks.

Small sweeps get one task per watch, so each watch is its own run in the UI. Larger ones get
one task per worker thread, all taking the next watch from one queue: no task sits idle while
another still has a backlog (a slow host, a page that needs diffing), and orchestration costs
a few task runs per sweep, not one per slice of it.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator

from rightswatch.config import Watch
from rightswatch.result import WatchResult
from rightswatch.shard import missing_results

__all__ = ["CheckQueue", "task_count"]

ONE_TASK_PER_WATCH_UP_TO = 4  # watches per worker thread


def task_count(watches: int, workers: int, per_task: int = 0) -> int:
    """Tasks for a sweep: `run.watches_per_task` if set, else one per watch while there are at
    most four per worker, else one per worker."""
    if watches == 0:
        return 0
    if per_task:
        return -(-watches // per_task)
    return watches if watches <= ONE_TASK_PER_WATCH_UP_TO * workers else workers


class CheckQueue:
    """The watches still to check and the results so far. With as many tasks as watches each
    task checks its own watch; otherwise every task takes the next one in config order, at
    most `cap` of them (what its timeout is sized for).

    A task that ended (done, crashed or timed out) is retired: a thread Prefect abandoned on
    a timeout takes no further watch, and the watch it was checking is reported as failed. The
    first result of a watch is the one reported; a late one from an abandoned thread is not."""

    def __init__(self, watches: list[Watch], tasks: int, per_task: int = 0) -> None:
        self.watches = watches
        self.tasks = tasks
        self._own = tasks == len(watches)
        # `watches_per_task` caps each task exactly; otherwise twice its share, so a task may
        # take over from slow ones while every watch still has room in some task.
        share = -(-len(watches) // max(tasks, 1))
        self.cap = 1 if self._own else per_task or 2 * share
        self._pending = deque(watches)
        self._lock = threading.Lock()
        self._retired: dict[int, str] = {}  # task → why it ended early ("" when it finished)
        self._stopped: set[int] = set()  # tasks that may take nothing more
        self._taken: dict[str, int] = {}  # watch id → task
        self._results: dict[str, WatchResult] = {}

    def label(self, task: int) -> str:
        return self.watches[task].id if self._own else f"part {task + 1} of {self.tasks}"

    def take(self, task: int) -> Iterator[Watch]:
        """The watches for one task, one at a time, until the queue is empty, the task has
        taken `cap` of them, or it was stopped."""
        for _ in range(self.cap):
            with self._lock:
                if task in self._stopped:
                    return
                if self._own:
                    watch = self.watches[task]
                elif self._pending:
                    watch = self._pending.popleft()
                else:
                    return
                self._taken[watch.id] = task
            yield watch

    def done(self, result: WatchResult) -> bool:
        """Record a watch's result; False if it already has one (it is not told again)."""
        with self._lock:
            if result.id in self._results:
                return False
            self._results[result.id] = result
            return True

    def stop(self, task: int) -> None:
        """The task takes no further watch (its run ended, or Prefect is cancelling it)."""
        with self._lock:
            self._stopped.add(task)

    def retire(self, task: int, outcome: object) -> list[WatchResult]:
        """Mark a task ended; returns error results for the watches it took but never finished
        (a crash or timeout), so none goes missing."""
        why = "" if isinstance(outcome, list) else _failure(outcome)
        with self._lock:
            self._stopped.add(task)
            self._retired[task] = why
            lost = [
                w
                for w in self.watches
                if self._taken.get(w.id) == task and w.id not in self._results
            ]
        failed = missing_results(lost, why or "the check task ended before this watch's check")
        return [result for result in failed if self.done(result)]

    def results(
        self, on_missing: Callable[[WatchResult], None] | None = None
    ) -> dict[str, WatchResult]:
        """Every watch's result; a watch no task took (all of them ended early) is an error,
        told to `on_missing` too."""
        with self._lock:
            untaken = [w for w in self.watches if w.id not in self._results]
            reasons = sorted({why for why in self._retired.values() if why})
        why = "not checked: " + ("; ".join(reasons) or "the run's check tasks ended early")
        for result in missing_results(untaken, why):
            if self.done(result) and on_missing is not None:
                on_missing(result)
        with self._lock:
            return dict(self._results)


def _failure(outcome: object) -> str:
    return f"the check task failed: {type(outcome).__name__}: {outcome}"
