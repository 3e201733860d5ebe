"""Micro-benchmark of the per-page engine on a seed-sized page (about 78 KB, from the shared
report server's generator): parse + extract, diff against an edited edition, store.

    python benchmarks/engine.py [--iterations 200] [--gzip-levels]

Prints median and p95 milliseconds per page for each step and for the whole (wall clock), the
median CPU time of the whole (less disturbed by other work on a shared machine), and the load
average beside them. `--gzip-levels` also measures the store's compression levels on the
benchmark page and the HRW sample (how store.GZIP_LEVEL was chosen).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.util
import os
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


def gzip_levels(original: bytes, url: str, rounds: int = 50) -> None:
    """Milliseconds and bytes per gzip level for what the store compresses."""
    from importlib import resources

    from rightswatch.samples import PAGES

    hrw = resources.files("rightswatch.samples").joinpath(PAGES["original"]).read_bytes()
    items = {
        "benchmark page, raw": original,
        "benchmark page, document JSON": extract(original.decode(), url).model_dump_json().encode(),
        "HRW sample, raw": hrw,
        "HRW sample, document JSON": extract(hrw.decode(), "https://www.hrw.org/x")
        .model_dump_json()
        .encode(),
    }
    print("\n| data | level | median ms | bytes |\n| --- | ---: | ---: | ---: |")
    for name, data in items.items():
        for level in (1, 3, 6, 9):
            times = []
            for _ in range(rounds):
                t0 = time.perf_counter()
                packed = gzip.compress(data, compresslevel=level, mtime=0)
                times.append((time.perf_counter() - t0) * 1000)
            print(
                f"| {name} ({len(data):,} B) | {level} | {statistics.median(times):.2f} | "
                f"{len(packed):,} |"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--gzip-levels", action="store_true", help="also measure gzip levels")
    args = parser.parse_args(argv)
    original, edited = pages()
    url = "http://127.0.0.1/report/0"
    timings: dict[str, list[float]] = {"parse + extract": [], "diff": [], "store": [], "total": []}
    cpu: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(tmp)
        base = extract(original.decode(), url)
        for i in range(args.iterations):
            body = edited if i % 2 else original
            c0 = time.process_time()
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
            cpu.append((time.process_time() - c0) * 1000)
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
    print(f"| total, CPU time | {statistics.median(cpu):.2f} | {percentile(cpu, 0.95):.2f} |")
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"\nload average (1, 5, 15 min): {load}; {os.cpu_count()} cores")
    if args.gzip_levels:
        gzip_levels(original, url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
