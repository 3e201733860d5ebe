"""The benchmarks keep working (no timing is asserted: numbers belong in RESULTS.md)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_engine_benchmark_runs_and_prints_its_table(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    argv = [sys.executable, str(ROOT / "benchmarks" / "engine.py"), "--iterations", "5"]
    proc = subprocess.run(
        [*argv, "--store-dir", str(store)], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    assert "| parse + extract |" in proc.stdout
    assert "| total |" in proc.stdout
    assert f"store in {store} (" in proc.stdout
    assert re.search(
        r"reference loop: \d+\.\d ms of CPU before the runs, \d+\.\d ms after", proc.stdout
    )
    assert not list(store.iterdir())  # the benchmark's watches are removed afterwards


@pytest.mark.slow
def test_sweep_quick_mode_runs_both_tools_and_prints_ratios() -> None:
    assert Path(sys.executable).with_name("urlwatch").exists(), "make test installs .[dev,bench]"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "sweep.py"), "--quick", "--urlwatch-content"],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    lines = [line for line in proc.stdout.splitlines() if line.startswith("| ")]
    rows = [line for line in lines if "rightswatch (temporary)" in line]
    assert len(rows) == 3
    assert all(line.count("|") == 10 for line in rows)
    assert "20 baseline" in rows[0]
    assert "1 changed, 19 unchanged" in rows[1]
    assert "20 unchanged" in rows[2]
    assert any("| cold | urlwatch |" in line and "20 new" in line for line in lines)
    content = [line for line in lines if "| urlwatch, css main + html2text |" in line]
    assert [line.split(" | ")[0] for line in content] == ["| cold", "| warm", "| unchanged"]
    assert "20 new" in content[0]
    assert "1 changed" in content[1]
