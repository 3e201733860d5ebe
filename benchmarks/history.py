"""What a run costs as history grows: N watches × K delivered events, local disk or moto S3.

    python benchmarks/history.py --watches 2000 --events 1 4 24
    python benchmarks/history.py --s3 --watches 200 --events 1 4 24

For each K it builds a store (one real baseline run through the check path, then K delivered
change events, their `.sent` markers and K snapshot records per watch written as a run would
leave them), then times two runs through the core functions the flow calls: one where nothing
changed (every page answers 304) and one where 1% of the pages changed (checked, diffed,
delivered). "requests" are store operations: on S3 the HTTP requests moto saw (counted by a
proxy), locally the reads, writes, listings, existence checks and deletes of the store.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# RW_SRC: measure another checkout's rightswatch (e.g. main, for a "before" row)
sys.path[:0] = [os.environ.get("RW_SRC", str(ROOT / "src")), str(ROOT)]

from tests.history_harness import Site, config_for, run_once  # noqa: E402
from tests.loopback import Loopback  # noqa: E402
from tests.peers import Receiver  # noqa: E402

from rightswatch.config import Config  # noqa: E402
from rightswatch.outbox import ChangeEvent, Outbox  # noqa: E402
from rightswatch.store import LocalBlobs, layout, open_store  # noqa: E402

OPS = ("read", "write", "list", "exists", "delete")


class LocalCounter:
    """Counts every LocalBlobs operation while installed."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self._orig: dict[str, Callable[..., Any]] = {}

    def __enter__(self) -> LocalCounter:
        for op in OPS:
            original = getattr(LocalBlobs, op)
            self._orig[op] = original

            def counted(self_: Any, *a: Any, _op: str = op, _f: Any = original) -> Any:
                self.calls[_op] += 1
                return _f(self_, *a)

            setattr(LocalBlobs, op, counted)
        return self

    def __exit__(self, *exc: object) -> None:
        for op, original in self._orig.items():
            setattr(LocalBlobs, op, original)

    def total(self) -> int:
        return sum(self.calls.values())


def add_history(config: Config, events: int) -> None:
    """K delivered events per watch, with markers and snapshot records, as runs leave them."""
    store = open_store(config.snapshots, options=config.snapshot_options, lock=None)
    box = Outbox(store)
    for watch in config.watches:
        latest = store.latest(watch.id)
        assert latest is not None
        sent = []
        for k in range(events):
            record = latest.model_copy(update={"id": f"2020{k:04d}T000000000000Z-{k:012d}"})
            store.blobs.write(
                layout.snapshot(watch.id, record.id), record.model_dump_json().encode()
            )
            event = ChangeEvent(
                id=f"change-{k:012d}-{k + 1:012d}",
                watch_id=watch.id,
                url=watch.url,
                title=watch.id,
                detected_at=latest.taken_at,
                channels=["hook"],
            )
            sent.append(box.add(event))
        box.mark_sent(sent, "hook", "history")


def measure(config: Config, count: Callable[[], int]) -> tuple[float, int]:
    start = time.perf_counter()
    base = count()
    results, _ = run_once(config)
    seconds = time.perf_counter() - start
    assert all(r.status in ("unchanged", "changed") for r in results), {r.error for r in results}
    return seconds, count() - base


def one_store(
    args: argparse.Namespace, k: int, loopback: Loopback, hook: str, s3: Any, local: LocalCounter
) -> str:
    site = Site(loopback, args.watches, prefix=f"/k{k}")
    if s3 is None:
        store = tempfile.mkdtemp(prefix=f"rw-history-k{k}-")
        config = config_for(store, site, hook)
        count = local.total
    else:
        store = f"{s3[0].bucket(f'history-k{k}')}/store"
        config = config_for(store, site, hook, {"endpoint_url": s3[1].endpoint})
        count = s3[1].total
    run_once(config)  # the baseline, through the check path
    add_history(config, k)
    run_once(config)  # settle: the first run after the history was written
    quiet = measure(config, count)
    site.bump(list(range(0, args.watches, 100)))  # 1% of the pages change
    changed = measure(config, count)
    return (
        f"| {k} | {quiet[0]:.2f} | {quiet[1]} | {quiet[1] / args.watches:.2f} "
        f"| {changed[0]:.2f} | {changed[1]} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--watches", type=int, default=1000)
    parser.add_argument("--events", type=int, nargs="+", default=[1, 4, 24])
    parser.add_argument("--s3", action="store_true", help="snapshots on a moto S3 server")
    args = parser.parse_args()
    loopback = Loopback().start()
    hook = Receiver(loopback, "/hook").url
    print(f"{args.watches} watches, {'moto S3' if args.s3 else 'local disk'}")
    print(
        "| K delivered events per watch | unchanged run s | requests | per watch "
        "| 1% changed run s | requests |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    if not args.s3:
        with LocalCounter() as local:
            for k in args.events:
                print(one_store(args, k, loopback, hook, None, local), flush=True)
        return
    from tests.peers import S3_ENV, s3_server
    from tests.s3count import CountingProxy

    os.environ.update(S3_ENV)
    with s3_server() as s3, CountingProxy(s3.endpoint) as proxy:
        for k in args.events:
            print(one_store(args, k, loopback, hook, (s3, proxy), LocalCounter()), flush=True)


if __name__ == "__main__":
    main()
