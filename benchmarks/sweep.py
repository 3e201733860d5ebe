"""Sweep benchmark: rightswatch against urlwatch on the same report-like pages.

Starts ../shared/bench/report_server.py on 127.0.0.1 and, for each tool, runs a cold sweep, a
warm sweep after a fraction of the pages was edited, and an unchanged sweep (ETags → 304s),
at equal per-host concurrency. rightswatch runs twice: against a running Prefect server
(`prefect server start`) and in Prefect's temporary-server mode (no PREFECT_API_URL).

    python benchmarks/sweep.py --pages 500 --latency-ms 100 --changed-frac 0.05
    python benchmarks/sweep.py --quick          # a small run that a test keeps working

urlwatch stores each page whole, which is the issue's reference. `--urlwatch-content` also runs
it with `css: main` + `html2text`, the filters its users set to watch a report's text rather
than its chrome. That is the work rightswatch does before it splits sections, and its ratios
print beside the targets, not instead of them.

Each sweep is one process tree; wall time, CPU time (user + system of the tree, and of the
Prefect server process where one runs) and peak RSS come from os.wait4 and /proc.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from machine import machine, proc_cpu

ROOT = Path(__file__).resolve().parents[1]
SERVER = ROOT.parent / "shared" / "bench" / "report_server.py"
BIN = Path(sys.executable).parent
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
CONTENT_URLWATCH = "urlwatch, css main + html2text"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str, timeout: float = 10) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return bytes(response.read())


def wait_for(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            get(url, timeout=2)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up within {seconds:g} s")


@dataclass
class Sample:
    wall: float
    cpu: float
    rss_mb: float
    note: str = ""
    server_cpu: float = 0.0  # of `cpu`, what the running Prefect server used meanwhile
    system_cpu: float = 0.0  # of `cpu`, the tool's own time in the kernel (files, sockets)


@dataclass
class Row:
    scenario: str
    tool: str
    sample: Sample


@dataclass
class Bench:
    pages: int
    latency_ms: int
    changed_frac: float
    concurrency: int
    base: str
    work: Path
    rows: list[Row] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)
    server_pid: int | None = None

    def control(self, path: str) -> bytes:
        return get(self.base + path)

    def measure(self, argv: list[str], env: dict[str, str], cwd: Path) -> tuple[Sample, str]:
        server_cpu = proc_cpu(self.server_pid) if self.server_pid else 0.0
        started = time.monotonic()
        with open(cwd / "stdout.txt", "w") as out, open(cwd / "stderr.txt", "w") as err:
            proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=err)
            _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - started
        cpu = usage.ru_utime + usage.ru_stime
        if self.server_pid:
            server_cpu = proc_cpu(self.server_pid) - server_cpu
            cpu += server_cpu
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):
            raise SystemExit(
                f"{argv[0]} failed ({code}): {(cwd / 'stderr.txt').read_text()[-2000:]}"
            )
        sample = Sample(
            wall, cpu, usage.ru_maxrss / 1024, server_cpu=server_cpu, system_cpu=usage.ru_stime
        )
        return sample, (cwd / "stdout.txt").read_text()

    # rightswatch -------------------------------------------------------------------------
    def rightswatch(self, mode: str, api_url: str | None, processes: str = "auto") -> None:
        """One mode's sweeps; `processes` is run.processes (auto: the product's default)."""
        label = mode if processes == "auto" else f"{mode}, processes {processes}"
        work = self.work / f"rightswatch-{mode}-{processes}"
        work.mkdir()
        watches = "".join(
            f"  - {{id: p{i}, url: '{self.base}/report/{i}'}}\n" for i in range(self.pages)
        )
        (work / "rw.yaml").write_text(
            f"snapshots: {work / 'snapshots'}\n"
            f"fetch: {{per_host_concurrency: {self.concurrency}, per_host_delay: 0, retries: 1, "
            "timeout: 60}\n"
            f"run: {{max_workers: {self.concurrency}, task_retries: 0, processes: {processes}}}\n"
            "defaults: {channels: [], profile: generic}\n"
            f"watches:\n{watches}"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        env.update(
            PREFECT_HOME=str(self.work / f"prefect-home-{mode}"),
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
        )
        if api_url:
            env["PREFECT_API_URL"] = api_url
        argv = [str(BIN / "rightswatch"), "check", "--json", "--config", str(work / "rw.yaml")]
        self.sweeps(f"rightswatch ({label})", argv, env, work, self._rightswatch_note)
        if processes == "auto":
            self.fixed_cost(mode, argv, env, work)

    def fixed_cost(self, mode: str, argv: list[str], env: dict[str, str], work: Path) -> None:
        """What a run costs before and after its pages: the import, then a one-page unchanged
        run (one 304) minus the import and the page's latency is flow start + shutdown."""
        importing = [sys.executable, "-c", "import rightswatch.cli, rightswatch.flows"]
        imported, _ = self.measure(importing, env, work)
        one, _ = self.measure([*argv, "--watch", "p0"], env, work)
        rest = one.wall - imported.wall - self.latency_ms / 1000
        self.fixed.append(
            f"fixed cost, rightswatch ({mode}): {one.wall:.2f} s wall ({one.cpu:.2f} s CPU) for "
            f"a one-page unchanged run = import {imported.wall:.2f} s + flow start, server "
            f"and shutdown {rest:.2f} s + one {self.latency_ms} ms request"
        )

    @staticmethod
    def _rightswatch_note(stdout: str) -> str:
        counts = json.loads(stdout)["counts"]
        return ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))

    # urlwatch ----------------------------------------------------------------------------
    def urlwatch(self, content: bool = False) -> None:
        """Plain urlwatch (the issue's reference: it stores each page whole), or with `content`
        the filters a urlwatch user sets to watch a report's text and not its chrome."""
        tool = CONTENT_URLWATCH if content else "urlwatch"
        work = self.work / ("urlwatch-content" if content else "urlwatch")
        work.mkdir()
        job = "filter:\n  - css: main\n  - html2text: re\n" if content else ""
        jobs = "---\n".join(f"url: {self.base}/report/{i}\n{job}" for i in range(self.pages))
        (work / "urls.yaml").write_text(jobs)
        (work / "hooks.py").write_text("")
        (work / "urlwatch.yaml").write_text(
            "display: {new: true, error: true, unchanged: false}\n"
            "report:\n  text: {details: true, footer: false, line_length: 75}\n"
            "  stdout: {enabled: true, color: false}\n"
        )
        argv = [
            str(BIN / "urlwatch"),
            "--urls",
            str(work / "urls.yaml"),
            "--config",
            str(work / "urlwatch.yaml"),
            "--hooks",
            str(work / "hooks.py"),
            "--cache",
            str(work / "cache.db"),
        ]
        self.sweeps(tool, argv, dict(os.environ), work, self._urlwatch_note)

    @staticmethod
    def _urlwatch_note(stdout: str) -> str:
        """urlwatch's summary lines look like `03. CHANGED: http://…`."""
        counts = {
            kind: len(re.findall(rf"^\d+\. {kind}: ", stdout, re.M))
            for kind in ("NEW", "CHANGED", "ERROR")
        }
        return f"{counts['NEW']} new, {counts['CHANGED']} changed, {counts['ERROR']} errors"

    def sweeps(
        self,
        tool: str,
        argv: list[str],
        env: dict[str, str],
        work: Path,
        note: Callable[[str], str],
    ) -> None:
        self.control(f"/__latency?ms={self.latency_ms}")
        for scenario in ("cold", "warm", "unchanged"):
            if scenario == "warm":
                self.control(f"/__bump?frac={self.changed_frac}&seed={len(self.rows) + 1}")
            sample, stdout = self.measure(argv, env, work)
            sample.note = note(stdout)
            if self.server_pid:
                sample.note += f" (Prefect server {sample.server_cpu:.2f} s of the CPU)"
            self.rows.append(Row(scenario, tool, sample))
            print(
                f"  {tool:28} {scenario:9} {sample.wall:7.2f} s wall {sample.cpu:7.2f} s CPU "
                f"{sample.rss_mb:6.0f} MB  {sample.note}",
                flush=True,
            )


def start(argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def table(bench: Bench) -> str:
    bound = bench.pages * bench.latency_ms / 1000 / bench.concurrency
    lines = [
        f"N={bench.pages} pages, latency {bench.latency_ms} ms, {bench.changed_frac:.0%} edited "
        f"for the warm sweep, {bench.concurrency} requests in flight; network bound "
        f"N×L/C = {bound:.2f} s",
        "",
        "| sweep | tool | wall s | CPU s | peak RSS MB | wall ÷ urlwatch | CPU ÷ urlwatch "
        "| RSS ÷ urlwatch | result |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    base = {r.scenario: r.sample for r in bench.rows if r.tool == "urlwatch"}
    for row in bench.rows:
        ref = base.get(row.scenario)
        s = row.sample
        ratios = (
            ["—"] * 3
            if ref is None or row.tool == "urlwatch"
            else [
                f"{s.wall / ref.wall:.2f}",
                f"{s.cpu / ref.cpu:.2f}",
                f"{s.rss_mb / ref.rss_mb:.2f}",
            ]
        )
        lines.append(
            f"| {row.scenario} | {row.tool} | {s.wall:.2f} | {s.cpu:.2f} | {s.rss_mb:.0f} | "
            + " | ".join(ratios)
            + f" | {s.note} |"
        )
    return "\n".join([*lines, "", *bench.fixed, *targets(bench)])


def targets(bench: Bench) -> list[str]:
    """The issue's ratios, each beside its target (README "Performance")."""
    got = {(r.tool, r.scenario): r.sample for r in bench.rows}
    uw = {k[1]: v for k, v in got.items() if k[0] == "urlwatch"}
    out: list[str] = []
    server = {k[1]: v for k, v in got.items() if k[0] == "rightswatch (server)"}
    wall_target = 1.0 if bench.pages >= 2000 else 1.3
    if "warm" in server and "warm" in uw:
        ratio = server["warm"].wall / uw["warm"].wall
        out.append(f"warm wall ÷ urlwatch (server): {ratio:.2f} (target ≤ {wall_target})")
    if "cold" in server and "cold" in uw:
        ratio = server["cold"].cpu / uw["cold"].cpu
        out.append(f"cold CPU ÷ urlwatch (server): {ratio:.2f} (target ≤ 1.5)")
        out.append(
            "cold CPU, where it went: "
            + "; ".join(_split(t, got[(t, "cold")]) for t in ("urlwatch", "rightswatch (server)"))
        )
    content = {k[1]: v for k, v in got.items() if k[0] == CONTENT_URLWATCH}
    for scenario, what in (("warm", "wall"), ("cold", "cpu")):
        if scenario in server and scenario in content:
            ratio = getattr(server[scenario], what) / getattr(content[scenario], what)
            out.append(
                f"{scenario} {what.replace('cpu', 'CPU')} ÷ {CONTENT_URLWATCH} (server): "
                f"{ratio:.2f} (beside the target: urlwatch doing the same cut to <main>)"
            )
    temporary = {k[1]: v for k, v in got.items() if k[0] == "rightswatch (temporary)"}
    for scenario in ("warm", "unchanged"):
        if scenario in temporary and scenario in server:
            extra = temporary[scenario].wall - server[scenario].wall
            out.append(f"temporary − server, {scenario}: {extra:+.2f} s wall (target ≤ +5 s)")
    return ["", *out] if out else []


def _split(tool: str, s: Sample) -> str:
    own = s.cpu - s.server_cpu
    server = f" + Prefect server {s.server_cpu:.2f} s" if s.server_cpu else ""
    return f"{tool} user {own - s.system_cpu:.2f} s + system {s.system_cpu:.2f} s{server}"


def prefect_server(tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A Prefect server of the benchmark's own, for the server-mode sweeps."""
    api_port = free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp / "prefect-server-home"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    argv = [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(api_port)]
    prefect = start(argv, env)
    api_url = f"http://127.0.0.1:{api_port}/api"
    wait_for(api_url + "/health", 90)
    return prefect, api_url


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--changed-frac", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=10, help="urlwatch's fixed worker count")
    parser.add_argument("--modes", default="server,temporary", help="rightswatch modes to run")
    parser.add_argument(
        "--processes",
        default="auto",
        help="run.processes for rightswatch, comma-separated to compare (e.g. auto,1); "
        "values other than auto run in server mode only",
    )
    parser.add_argument(
        "--urlwatch-content",
        action="store_true",
        help="also run urlwatch with `css: main` + `html2text`, cutting each page to its text "
        "as rightswatch does (the targets stay against plain urlwatch)",
    )
    parser.add_argument("--quick", action="store_true", help="20 pages, no latency, temporary mode")
    parser.add_argument("--write", action="store_true", help=f"append the table to {RESULTS.name}")
    args = parser.parse_args(argv)
    if args.quick:
        args.pages, args.latency_ms, args.modes = 20, 0, "temporary"
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not SERVER.is_file():
        raise SystemExit(f"{SERVER} is missing: the benchmark needs ../shared beside the checkout")
    if shutil.which("urlwatch", path=str(BIN)) is None:
        raise SystemExit("urlwatch is not installed: pip install -e '.[bench]'")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="rw-bench-") as tmp:
        server = start(
            [sys.executable, str(SERVER), "--port", str(port), "--pages", str(args.pages)]
        )
        prefect: subprocess.Popen[bytes] | None = None
        try:
            bench = Bench(
                args.pages,
                args.latency_ms,
                args.changed_frac,
                args.concurrency,
                f"http://127.0.0.1:{port}",
                Path(tmp),
            )
            wait_for(bench.base + "/__stats", 30)
            print(f"report server: {args.pages} pages on {bench.base}", flush=True)
            bench.urlwatch()
            if args.urlwatch_content:
                bench.urlwatch(content=True)
            for mode in args.modes.split(","):
                api_url = None
                if mode == "server":
                    prefect, api_url = prefect_server(Path(tmp))
                    bench.server_pid = prefect.pid
                for processes in args.processes.split(","):
                    if processes == "auto" or mode == "server":
                        bench.rightswatch(mode, api_url, processes)
                if prefect is not None:
                    prefect.terminate()
                    prefect.wait(timeout=30)
                    prefect, bench.server_pid = None, None
        finally:
            for proc in (server, prefect):
                if proc is not None and proc.poll() is None:
                    proc.terminate()
                    proc.wait(timeout=30)
    result = table(bench)
    print(f"\nMachine: {machine()}\n")
    print(result)
    if args.write:
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        with RESULTS.open("a", encoding="utf-8") as handle:
            handle.write(f"\n## {stamp}\n\nMachine: {machine()}\n\n{result}\n")
        print(f"\nappended to {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
