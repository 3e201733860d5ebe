"""Early fetches for a one-shot run: the first pages of `rightswatch check` are requested while
Prefect imports and the flow starts (about three seconds of every run), not after.

Every static page is queued in config order (the order the run's checks take them). Answers
without a body (304s, errors) cost next to nothing to hold; pages with one are held until
about EARLY_BYTES (checked before each fetch, so the fetches in flight may add one page per
early thread), after which the rest wait for their checks.

Only fetches happen early, on the run's own Fetcher (one pool, one set of per-host limits and
the address policy and robots.txt rules). Nothing is written: each check still reads its state
under the watch's lock and takes the early answer only if it was asked with the validators the
check would send now, against the same baseline (another run may have committed in between);
otherwise, or if the fetch had not started yet, it fetches as before.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from rightswatch.baseline import Fetched, baseline_of, request_validators
from rightswatch.config import Config, Watch
from rightswatch.coordinate import fetcher_for
from rightswatch.fetch import FetchError, Page, Validators
from rightswatch.store import SnapshotStore

__all__ = ["EARLY_BYTES", "Prefetch", "claim", "discard", "early_order", "enabled", "start"]

# At most this much page content held ahead of the checks (bytes and text of a 78 KB page are
# about 160 KB): a cold sweep's early pages stay a small part of its memory.
EARLY_BYTES = 32 * 1024 * 1024

_started: Prefetch | None = None
_started_lock = threading.Lock()


# What the early fetch sent and against which baseline, and what came back; None: skipped,
# over EARLY_BYTES
Answer = tuple[Validators | None, str | None, Fetched] | None


@dataclass
class _Job:
    url: str
    future: Future[Answer]


def _held(fetched: Fetched) -> int:
    return len(fetched.body) + len(fetched.text) if isinstance(fetched, Page) else 0


class Prefetch:
    """The early fetches of one run, taken one by one by the run's checks."""

    def __init__(self, config: Config, store: SnapshotStore, watches: list[Watch]) -> None:
        self.config = config
        self.fetcher = fetcher_for(config)  # uncoordinated (see `enabled`): this process's limits
        self._store = store
        self._lock = threading.Lock()
        self._held = 0  # bytes of early pages not taken yet
        threads = max(config.run.max_workers, config.fetch.per_host_concurrency)
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="rightswatch-early")
        self._jobs = {w.id: _Job(w.url, self._pool.submit(self._fetch, w)) for w in watches}

    def _fetch(self, watch: Watch) -> Answer:
        with self._lock:
            if self._held >= EARLY_BYTES:
                return None
        state = self._store.state(watch.id)
        base = baseline_of(self._store, state, watch.id)
        validators = request_validators(state, base)
        fetched: Fetched
        try:
            fetched = self.fetcher.fetch(watch.url, validators)
        except FetchError as exc:
            fetched = exc
        with self._lock:
            self._held += _held(fetched)
        return validators, base.hash, fetched

    def take(
        self, watch: Watch, validators: Validators | None, base_hash: str | None
    ) -> Fetched | None:
        """The early answer for this check (asked with `validators` against the baseline
        `base_hash`), or None: the check fetches the page itself."""
        with self._lock:
            job = self._jobs.pop(watch.id, None)
        if job is None or job.url != watch.url or job.future.cancel():
            return None  # not fetched early, or not started yet (now it never will be)
        try:
            answer = job.future.result()
        except Exception:  # a bug in the early path must not cost the check: fetch again
            return None
        if answer is None:
            return None
        sent, against, fetched = answer
        with self._lock:
            self._held -= _held(fetched)
        return fetched if (sent, against) == (validators, base_hash) else None

    def close(self) -> None:
        """Cancel what has not started; what has finishes within its fetch timeout."""
        with self._lock:
            self._jobs.clear()
        self._pool.shutdown(wait=True, cancel_futures=True)


def early_order(watches: list[Watch]) -> list[Watch]:
    """The pages to fetch early: the static pages in config order, the order in which the
    run's check tasks take them (checkqueue.py)."""
    return [w for w in watches if w.kind == "page" and w.render == "static"]


def enabled(config: Config) -> bool:
    """Early fetches only on a local, unsharded store: a coordinated or sharded run shares its
    per-host limits through Prefect, which is not imported yet."""
    return not config.coordinated() and config.run.shards in ("auto", 1)


def start(config: Config, store: SnapshotStore, watches: list[Watch]) -> None:
    """Begin the early fetches of a one-shot run (if `enabled`)."""
    global _started
    if not enabled(config):
        return
    early = Prefetch(config, store, early_order(watches))
    with _started_lock:
        previous, _started = _started, early
    if previous is not None:
        previous.close()


def discard() -> None:
    """Stop early fetches no run claimed (the run failed to start): none starts any more."""
    global _started
    with _started_lock:
        early, _started = _started, None
    if early is not None:
        early.close()


def claim(config: Config) -> Prefetch | None:
    """The early fetches started for this config, handed to the run's checks (once)."""
    global _started
    with _started_lock:
        early, _started = _started, None
    if early is not None and early.config != config:
        early.close()  # the config changed in between: its answers may not fit
        return None
    return early
