"""Facts about the machine and its processes that the benchmarks print beside their numbers,
so a reader can tell a slow hour from a slow change."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a live process and its reaped children, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / ticks


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
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    return (
        f"{platform.platform()}, {os.cpu_count()} cores (load average {load} at the end), "
        f"{int(mem) // 1024} MB RAM, "
        f"Python {platform.python_version()}; " + ", ".join(f"{k} {v}" for k, v in versions.items())
    )
