"""One real Prefect server (the test harness) per session; each test its own PREFECT_HOME."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    os.environ["PREFECT_HOME"] = str(tmp_path_factory.mktemp("prefect-home"))
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        url = PREFECT_API_URL.value()
        assert url
        assert url.startswith("http://127.0.0.1")
        yield url


@pytest.fixture
def prefect_env(prefect_api: str, tmp_path: Path) -> dict[str, str]:
    """Environment for a subprocess that talks to the test server, with its own PREFECT_HOME."""
    home = tmp_path / "prefect-home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_API_URL=prefect_api,
        PREFECT_HOME=str(home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        COLUMNS="200",
    )
    return env


def rightswatch_bin() -> str:
    return str(Path(sys.executable).with_name("rightswatch"))


def write_config(
    path: Path,
    snapshots: Path | str,
    watches: list[tuple[str, str, str]],
    extra: str = "",
    timeout: float = 5,
) -> Path:
    lines = [
        f"snapshots: {snapshots}",
        f"fetch: {{per_host_delay: 0, retries: 0, timeout: {timeout}, respect_robots: true}}",
        "run: {max_workers: 4, task_retries: 1, task_retry_delay: 0}",
        "watches:",
    ]
    for watch_id, url, profile in watches:
        lines += [f"  - id: {watch_id}", f"    url: {url}", f"    profile: {profile}"]
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path
