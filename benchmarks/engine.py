"""Micro-benchmark of the per-page engine on a seed-sized page (about 78 KB, from the shared
report server's generator): parse + extract, diff against an edited edition, store.

    python benchmarks/engine.py [--iterations 200]

Prints median and p95 milliseconds per page for each step and for the whole.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from rightswatch.diff import diff_documents
from rightswatch.extract import extract
from rightswatch.store import FetchInfo, open_store

SERVER = Path(__file__).resolve().parents[2] / "shared" / "bench" / "report_server.py"


def pages() -> tuple[bytes, bytes]:
    """Page 0 and its edited edition, exactly as the shared report server serves them."""
    spec = importlib.util.spec_from_file_location("report_server", SERVER)
    if spec is None or spec.loader is None:
        raise SystemExit(f"{SERVER} is missing: the benchmark needs ../shared beside the checkout")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    corpus = module.Corpus(1)
    original = corpus.render(0)
    corpus.edits[0] = 1
    return original, corpus.render(0)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=200)
    args = parser.parse_args(argv)
    original, edited = pages()
    url = "http://127.0.0.1/report/0"
    timings: dict[str, list[float]] = {"parse + extract": [], "diff": [], "store": [], "total": []}
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(tmp)
        base = extract(original.decode(), url)
        for i in range(args.iterations):
            body = edited if i % 2 else original
            t0 = time.perf_counter()
            doc = extract(body.decode(), url)
            t1 = time.perf_counter()
            diff_documents(base, doc)
            t2 = time.perf_counter()
            fetch = FetchInfo(
                fetched_at=datetime.now(UTC),
                status=200,
                final_url=url,
                raw_sha256=hashlib.sha256(body).hexdigest(),
            )
            store.record(f"w{i}", doc, fetch, body)
            t3 = time.perf_counter()
            for name, value in zip(timings, (t1 - t0, t2 - t1, t3 - t2, t3 - t0), strict=True):
                value *= 1000
                timings[name].append(value)
    print(
        f"engine on a {len(original) / 1024:.0f} KB page ({len(base.sections)} sections), "
        f"{args.iterations} iterations, Python {sys.version.split()[0]}"
    )
    print("| step | median ms | p95 ms |\n| --- | ---: | ---: |")
    for name, values in timings.items():
        print(f"| {name} | {statistics.median(values):.2f} | {percentile(values, 0.95):.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
