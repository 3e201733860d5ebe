"""Facts about the machine and its processes that the benchmarks print beside their numbers,
so a reader can tell a slow hour from a slow change."""

from __future__ import annotations

import os
import platform
import statistics
import time
from pathlib import Path


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a live process and its reaped children, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / ticks


def load_average() -> str:
    return ", ".join(f"{v:.2f}" for v in os.getloadavg())


def reference_ms(rounds: int = 5) -> float:
    """CPU time of a fixed pure-Python loop (a million additions). This VM's speed moves about
    2x from hour to hour, so timings of different hours are compared through it."""
    times = []
    for _ in range(rounds):
        start = time.process_time()
        total = 0
        for i in range(1_000_000):
            total += i
        times.append((time.process_time() - start) * 1000)
    return statistics.median(times)


def machine() -> str:
    mem = next(
        (
            line.split()[1]
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        "?",
    )
    versions = {}
    for name in ("rightswatch", "prefect", "urlwatch", "lxml", "beautifulsoup4", "requests"):
        try:
            from importlib.metadata import version

            versions[name] = version(name)
        except Exception:
            versions[name] = "not installed"
    return (
        f"{platform.platform()}, {os.cpu_count()} cores (load average {load_average()} at the "
        "end), "
        f"{int(mem) // 1024} MB RAM, "
        f"Python {platform.python_version()}; " + ", ".join(f"{k} {v}" for k, v in versions.items())
    )
