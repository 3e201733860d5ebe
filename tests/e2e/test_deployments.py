"""prefect.yaml and `rightswatch serve`, against the test Prefect server."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
from pathlib import Path

import yaml
from prefect.client.orchestration import get_client
from prefect.flows import load_flow_from_entrypoint

from rightswatch.config import load_config
from rightswatch.store import open_store
from tests.e2e.conftest import FIXTURES, ROOT, write_config
from tests.e2e.deployments import PREFECT, run_daily, serve, stop, wait_until_served
from tests.loopback import Loopback


def test_prefect_yaml_defines_daily_and_its_entrypoint_imports() -> None:
    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    [daily] = [d for d in spec["deployments"] if d["name"] == "daily"]
    assert daily["work_pool"]["name"] == "rightswatch"
    assert daily["concurrency_limit"] == 1
    [schedule] = daily["schedules"]
    assert schedule["timezone"] == "UTC"
    assert schedule["cron"] == load_config(ROOT / "config" / "rightswatch.yaml").defaults.schedule
    flow = load_flow_from_entrypoint(str(ROOT / daily["entrypoint"]))
    assert flow.name == "rightswatch-monitor"
    assert set(daily["parameters"]) <= set(flow.parameters.properties)
    assert (ROOT / daily["parameters"]["config_path"]).is_file()
    pins = re.findall(r"^prefect==(\S+)$", (ROOT / "constraints.txt").read_text(), re.M)
    assert pins == [spec["prefect-version"]]  # the version `make` installs and CI tests


def copy_checkout(tmp_path: Path) -> Path:
    project = tmp_path / "checkout"
    shutil.copytree(
        ROOT,
        project,
        ignore=shutil.ignore_patterns(".venv", ".git", "snapshots", "__pycache__", ".*cache"),
    )
    return project


def test_prefect_deploy_all_registers_the_daily_deployment(
    prefect_env: dict[str, str], tmp_path: Path
) -> None:
    project = copy_checkout(tmp_path)
    run = {"cwd": project, "env": prefect_env, "capture_output": True, "text": True, "timeout": 180}
    pool = subprocess.run(
        [PREFECT, "work-pool", "create", "rightswatch", "--type", "process", "--overwrite"], **run
    )  # type: ignore[call-overload]
    assert pool.returncode == 0, pool.stdout + pool.stderr
    deploy = subprocess.run([PREFECT, "--no-prompt", "deploy", "--all"], **run)  # type: ignore[call-overload]
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr

    async def read() -> tuple[str, int | None, list[str]]:
        async with get_client() as client:
            dep = await client.read_deployment_by_name("rightswatch-monitor/daily")
            crons = [getattr(s.schedule, "cron", "") for s in dep.schedules]
            return (
                dep.work_pool_name or "",
                dep.global_concurrency_limit.limit if dep.global_concurrency_limit else None,
                crons,
            )

    try:
        pool_name, limit, crons = asyncio.run(read())
        assert (pool_name, limit, crons) == ("rightswatch", 1, ["0 6 * * *"])
    finally:  # the served-deployment test registers its own `daily` on the same server
        subprocess.run([PREFECT, "deployment", "delete", "rightswatch-monitor/daily"], **run)  # type: ignore[call-overload]


def test_served_deployment_runs_on_prefect_deployment_run(
    prefect_env: dict[str, str], loopback: Loopback, tmp_path: Path
) -> None:
    url = loopback.page("/kz", (FIXTURES / "hrw_kazakhstan_2021.html").read_bytes())
    cfg = write_config(
        tmp_path / "rw.yaml", tmp_path / "snapshots", [("kz", url, "hrw-world-report")]
    )
    server = serve(cfg, prefect_env)
    try:
        wait_until_served(server, prefect_env)
        triggered = run_daily(prefect_env)
    finally:
        stop(server)
    served = server.stdout.read() if server.stdout else ""
    assert triggered.returncode == 0, triggered.stdout + triggered.stderr + served
    assert "Completed" in triggered.stdout + triggered.stderr
    history = open_store(tmp_path / "snapshots").history("kz")
    assert len(history) == 1
    assert history[0].sections == 15


def test_deployed_from_a_script_with_a_stale_pwd_runs_on_a_process_worker(
    prefect_env: dict[str, str], loopback: Loopback, tmp_path: Path
) -> None:
    """`prefect deploy --all` started by a script whose PWD names another folder (as
    subprocess.run(cwd=...) and make -C leave it): the worker still runs the flow here."""
    project = copy_checkout(tmp_path)
    url = loopback.page("/kz", (FIXTURES / "hrw_kazakhstan_2021.html").read_bytes())
    # The deployment's config_path is relative (config/rightswatch.yaml): it resolves only if
    # the worker's pull step put the run in this checkout.
    write_config(
        project / "config" / "rightswatch.yaml",
        project / "snapshots",
        [("kz", url, "hrw-world-report")],
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**prefect_env, "PWD": str(elsewhere), "PREFECT_WORKER_QUERY_SECONDS": "1"}
    run = {"cwd": project, "env": env, "capture_output": True, "text": True, "timeout": 180}
    pool = subprocess.run(
        [PREFECT, "work-pool", "create", "rightswatch", "--type", "process", "--overwrite"], **run
    )  # type: ignore[call-overload]
    assert pool.returncode == 0, pool.stdout + pool.stderr
    deploy = subprocess.run([PREFECT, "--no-prompt", "deploy", "--all"], **run)  # type: ignore[call-overload]
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    worker = subprocess.Popen(
        [PREFECT, "worker", "start", "--pool", "rightswatch", "--type", "process"],
        cwd=elsewhere,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        triggered = run_daily(env, cwd=project)
    finally:
        stop(worker)
        subprocess.run([PREFECT, "deployment", "delete", "rightswatch-monitor/daily"], **run)  # type: ignore[call-overload]
    logs = worker.stdout.read() if worker.stdout else ""
    assert triggered.returncode == 0, triggered.stdout + triggered.stderr + logs
    assert "Completed" in triggered.stdout + triggered.stderr
    history = open_store(project / "snapshots").history("kz")
    assert len(history) == 1
    assert history[0].sections == 15
