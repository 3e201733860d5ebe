"""Helpers of the tests that run `rightswatch serve` or a process worker and trigger the
`daily` deployment as a user would, with `prefect deployment run`."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from tests.e2e.conftest import ROOT, rightswatch_bin

PREFECT = str(Path(sys.executable).with_name("prefect"))
DAILY = "rightswatch-monitor/daily"


def serve(config: Path, env: Mapping[str, str]) -> subprocess.Popen[str]:
    """`rightswatch serve --config CONFIG` from the checkout, its output kept for errors."""
    return subprocess.Popen(
        [rightswatch_bin(), "serve", "--config", str(config)],
        cwd=ROOT,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_until_served(server: subprocess.Popen[str], env: Mapping[str, str]) -> None:
    """Bounded: until the served `daily` deployment is registered (90 s at most)."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        probe = subprocess.run(
            [PREFECT, "deployment", "inspect", DAILY],
            env=dict(env),
            capture_output=True,
            text=True,
            timeout=60,
        )
        if probe.returncode == 0:
            return
        assert server.poll() is None, server.stdout.read() if server.stdout else ""
        time.sleep(1)
    raise AssertionError(f"rightswatch serve never registered {DAILY}")


def run_daily(
    env: Mapping[str, str], *params: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`prefect deployment run 'rightswatch-monitor/daily' [--param K=V...] --watch`."""
    args = [PREFECT, "deployment", "run", DAILY]
    for param in params:
        args += ["--param", param]
    return subprocess.run(
        [*args, "--watch", "--watch-timeout", "180"],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=240,
    )


def stop(process: subprocess.Popen[str]) -> None:
    """Terminate, then kill if it does not end within 30 s."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
