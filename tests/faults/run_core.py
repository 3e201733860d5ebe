"""A run through the core functions the flow's tasks call, in the flow's order, in a process a
test can kill: `python tests/faults/run_core.py CONFIG [KILL_POINT]`, or `run_to_files` in a
process forked from one that has imported this module already (the kill test runs dozens).

KILL_POINT p kills the process with SIGKILL at write number p // 2 + 1 of the snapshot store:
between its temp write and its rename when p is even, just after the rename when p is odd.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import rightswatch.store.blobs as blobs
from rightswatch.check import CheckContext, check_watch
from rightswatch.config import load_config
from rightswatch.deliver import channels_to_deliver, deliver_channel
from rightswatch.fetch import Fetcher
from rightswatch.store import open_store


def main(args: list[str] | None = None) -> None:
    args = sys.argv[1:] if args is None else args
    config = load_config(args[0])
    kill_point = int(args[1]) if len(args) > 1 else -1
    writes = 0
    original = blobs.LocalBlobs.write

    def before_rename(tmp: str, target: Path) -> None:
        if kill_point == (writes - 1) * 2:
            os.kill(os.getpid(), signal.SIGKILL)

    def counted(self: blobs.LocalBlobs, path: str, data: bytes) -> None:
        nonlocal writes
        writes += 1
        original(self, path, data)
        if kill_point == (writes - 1) * 2 + 1:
            os.kill(os.getpid(), signal.SIGKILL)

    blobs._before_rename = before_rename
    blobs.LocalBlobs.write = counted  # type: ignore[method-assign]
    ctx = CheckContext(
        config=config, store=open_store(config.snapshots), fetcher=Fetcher(config.fetch)
    )
    statuses = [check_watch(w, ctx).status for w in config.watches]
    deliveries = [
        deliver_channel(n, config, ctx.outbox).status for n in channels_to_deliver(ctx.outbox)
    ]
    print("writes", writes, "statuses", ",".join(statuses), "deliveries", ",".join(deliveries))


def run_to_files(args: list[str], out: str, err: str) -> None:
    """main(args) with its output in two files; exits 1 on an error, as the script would."""
    with (
        open(out, "w", encoding="utf-8") as stdout,
        open(err, "w", encoding="utf-8") as stderr,
        redirect_stdout(stdout),
        redirect_stderr(stderr),
    ):
        try:
            main(args)
        except Exception:
            traceback.print_exc()
            sys.exit(1)  # the files are closed, and so flushed, on the way out


if __name__ == "__main__":
    main()
