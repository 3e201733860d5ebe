"""One check process of a split sweep (processes.py): `python -m rightswatch.checkworker`.

It reads its job (a JSON object) on stdin, checks those watches with the ordinary core under
the per-host limits it was given, and writes one JSON line per result on stdout as soon as it
is known, then a last line with its peak memory. No Prefect: it starts in a fraction of a
second. SIGTERM, Ctrl-C or a parent that went away makes it take no further watch; the checks
in flight go on, and one its parent kills after the grace (children.STOP_GRACE) is redone next
run, as its commit is crash-safe.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from collections import deque
from typing import IO

from pydantic import BaseModel

from rightswatch.config import FetchSettings, load_config

__all__ = ["EXIT_STALE_CONFIG", "Job", "main"]

EXIT_STALE_CONFIG = 3  # the config file changed since the parent planned the run


class Job(BaseModel):
    config: str
    digest: str
    watches: list[str]
    fetch: FetchSettings
    threads: int
    run_id: str


class _Reporter:
    """The result lines, one writer at a time; a closed pipe means the run is gone."""

    def __init__(self, out: IO[str], stop: threading.Event) -> None:
        self._out = out
        self._stop = stop
        self._lock = threading.Lock()

    def send(self, line: str) -> None:
        try:
            with self._lock:
                self._out.write(line + "\n")
                self._out.flush()
        except (OSError, ValueError):
            self._stop.set()


def _checks(job: Job, report: _Reporter, stop: threading.Event) -> None:
    from rightswatch.children import config_digest
    from rightswatch.coordinate import store_for
    from rightswatch.prefetch import Prefetch, early_order
    from rightswatch.watchlist import select_watches

    loaded = load_config(job.config)
    if config_digest(loaded) != job.digest:
        print(f"{job.config} changed since the run started; its parent checks these watches")
        raise SystemExit(EXIT_STALE_CONFIG)
    config = loaded.model_copy(update={"fetch": job.fetch})
    store = store_for(config)
    watches = select_watches(config, job.watches, store)
    pending = deque(watches)
    # Fetches run ahead of the checks, as in `rightswatch check` (prefetch.py): a request slot
    # is never idle while a thread parses and writes, under the same limits.
    ahead = Prefetch(config, store, early_order(watches))
    # Imported once the first requests are out: the rest of the core (extract, diff, the
    # change reports) loads while they are in flight.
    try:
        from rightswatch.check import check_watch
        from rightswatch.result import CheckContext
    except BaseException:
        ahead.close()  # no check will take what it fetches
        raise

    ctx = CheckContext(config, store, ahead.fetcher, job.run_id, prefetched=ahead)
    lock = threading.Lock()

    def work() -> None:
        while not stop.is_set():
            with lock:
                if not pending:
                    return
                watch = pending.popleft()
            result = check_watch(watch, ctx)
            report.send('{"result": ' + result.model_dump_json() + "}")

    threads = [threading.Thread(target=work) for _ in range(max(1, job.threads))]
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():
            thread.join(0.5)  # short waits, so SIGTERM's handler runs promptly
            if stop.is_set():
                ahead.close()  # no more early fetches for checks that will not happen
    store.flush_checks(config.retention_days)
    ctx.close()


def main() -> int:
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # anything else printed goes to stderr, never into the result lines
    sys.stdout = sys.stderr
    logging.basicConfig(level=logging.WARNING, format="rightswatch check process: %(message)s")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):  # stopped, or Ctrl-C in the terminal
        signal.signal(signum, lambda *_: stop.set())
    job = Job.model_validate_json(sys.stdin.buffer.read())
    report = _Reporter(out, stop)
    _checks(job, report, stop)
    report.send(json.dumps({"done": len(job.watches), "peak_rss_mb": _peak_rss_mb()}))
    return 0


def _peak_rss_mb() -> float:
    try:
        import resource
    except ImportError:  # Windows: not reported
        return 0.0
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


if __name__ == "__main__":
    sys.exit(main())
