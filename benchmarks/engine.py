"""Micro-benchmark of the per-page engine on a seed-sized page (about 78 KB, from the shared
report server's generator): parse + extract, diff against an edited edition, store.

    python benchmarks/engine.py [--iterations 200] [--gzip-levels] [--store-dir DIR]

Two workloads, each iteration its own watch:
- changed page: the watch's baseline (the page before the edit) is stored first, untimed;
  then the edited page is parsed, diffed against the baseline and stored. This is a page that
  changed since the last check, the case the 5 ms target is about.
- first page: a page of a watch with nothing stored yet, so its folders are created too (what
  each page of a cold sweep costs), diffed against the other edition.

Prints median and p95 milliseconds per page for each step and for the whole (wall clock), the
median CPU time of the whole (less disturbed by other work on a shared machine), and the load
average and a reference loop's CPU time (the machine's speed that hour) beside them.
`--gzip-levels` also measures the store's compression levels on the benchmark page and the HRW
sample (how store.GZIP_LEVEL was chosen).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.util
import os
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from machine import load_average, reference_ms

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


def file_system(folder: str) -> str:
    """The type of the file system holding `folder` (Linux: /proc/mounts), for the report."""
    try:
        lines = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return "unknown file system"
    # A mount point's spaces and other odd characters are octal escapes there (\040).
    unescape = re.compile(r"\\([0-7]{3})")
    mounts = [
        [unescape.sub(lambda m: chr(int(m.group(1), 8)), field) for field in line.split()[1:3]]
        for line in lines
    ]
    real = os.path.realpath(folder)
    inside = [(point, kind) for point, kind in mounts if os.path.commonpath([real, point]) == point]
    return max(inside, key=lambda m: len(m[0]))[1] if inside else "unknown file system"


def run(
    iterations: int, first: bool, original: bytes, edited: bytes, folder: str | None
) -> dict[str, list[float]]:
    """Per-iteration milliseconds of each step (and the CPU time of the whole)."""
    url = "http://127.0.0.1/report/0"
    timings: dict[str, list[float]] = {
        "parse + extract": [],
        "diff": [],
        "store": [],
        "total": [],
        "total, CPU time": [],
    }
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        store = open_store(tmp)
        base = extract(original.decode(), url)
        edition = extract(edited.decode(), url)  # what a first page's original is diffed with
        if not first:  # every watch already has its baseline: folders, raw page, document
            for i in range(iterations):
                store.record(f"w{i}", base, fetch_info(original, url), original)
        for i in range(iterations):
            body = edited if not first or i % 2 else original
            c0 = time.process_time()
            t0 = time.perf_counter()
            doc = extract(body.decode(), url)
            t1 = time.perf_counter()
            diff_documents(base if not first or i % 2 else edition, doc)
            t2 = time.perf_counter()
            store.record(f"w{i}", doc, fetch_info(body, url), body)
            t3 = time.perf_counter()
            cpu = (time.process_time() - c0) * 1000
            for name, value in zip(timings, (t1 - t0, t2 - t1, t3 - t2, t3 - t0), strict=False):
                timings[name].append(value * 1000)
            timings["total, CPU time"].append(cpu)
    return timings


def fetch_info(body: bytes, url: str) -> FetchInfo:
    return FetchInfo(
        fetched_at=datetime.now(UTC),
        status=200,
        final_url=url,
        raw_sha256=hashlib.sha256(body).hexdigest(),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--gzip-levels", action="store_true", help="also measure gzip levels")
    parser.add_argument("--store-dir", help="where the store is written (default: temp folder)")
    args = parser.parse_args(argv)
    if args.store_dir and not os.path.isdir(args.store_dir):
        parser.error(f"--store-dir {args.store_dir}: no such folder; create it or name another")
    folder = args.store_dir or tempfile.gettempdir()
    original, edited = pages()
    sections = len(extract(original.decode(), "http://127.0.0.1/report/0").sections)
    print(
        f"engine on a {len(original) / 1024:.0f} KB page ({sections} sections), "
        f"{args.iterations} iterations, Python {sys.version.split()[0]}; "
        f"store in {folder} ({file_system(folder)})"
    )
    before = reference_ms()
    for first, title in ((False, "changed page"), (True, "first page of a new watch")):
        timings = run(args.iterations, first, original, edited, folder)
        print(f"\n{title}\n\n| step | median ms | p95 ms |\n| --- | ---: | ---: |")
        for name, values in timings.items():
            print(f"| {name} | {statistics.median(values):.2f} | {percentile(values, 0.95):.2f} |")
    print(f"\nload average (1, 5, 15 min): {load_average()}; {os.cpu_count()} cores")
    print(f"reference loop: {before:.1f} ms of CPU before the runs, {reference_ms():.1f} ms after")
    if args.gzip_levels:
        gzip_levels(original, "http://127.0.0.1/report/0")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
