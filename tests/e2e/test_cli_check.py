"""`rightswatch check` as a user and an outside script run it: exit codes and --json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import FIXTURES, rightswatch_bin, write_config
from tests.loopback import Loopback

BASE = (FIXTURES / "hrw_kazakhstan_2021.html").read_bytes()


def run(
    args: list[str], env: dict[str, str], timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [rightswatch_bin(), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def test_broken_config_exits_2_with_the_message_and_nothing_on_stdout(tmp_path: Path) -> None:
    cfg = tmp_path / "rw.yaml"
    cfg.write_text("watches:\n  - id: Bad Id\n    url: ftp://example.org/x\n")
    proc = run(["check", "--json", "--config", str(cfg)], dict(os.environ))
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert f"{cfg}:2: watches[0].id: 'Bad Id' is not a valid watch id" in proc.stderr
    assert f"{cfg}:3: watches[0].url: 'ftp://example.org/x' is not an http(s) URL" in proc.stderr


def test_unknown_watch_id_is_a_usage_error(tmp_path: Path, loopback: Loopback) -> None:
    cfg = write_config(tmp_path / "rw.yaml", tmp_path / "s", [("kz", loopback.url("/kz"), "auto")])
    proc = run(["check", "--watch", "nope", "--config", str(cfg)], dict(os.environ))
    assert proc.returncode == 2
    assert "unknown watch id(s) nope; configured: kz" in proc.stderr


def test_dead_url_exits_1_with_its_error_and_other_watches_still_checked(
    tmp_path: Path, loopback: Loopback, prefect_env: dict[str, str]
) -> None:
    good = loopback.page("/kz", BASE)
    cfg = write_config(
        tmp_path / "rw.yaml",
        tmp_path / "snapshots",
        [
            ("dead", "http://127.0.0.1:9/report", "auto"),
            ("kz", good, "hrw-world-report"),
        ],
    )
    proc = run(["check", "--json", "--config", str(cfg)], prefect_env)
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)  # stdout is the report and nothing else
    by_id = {w["id"]: w for w in report["watches"]}
    assert by_id["dead"]["status"] == "error"
    assert by_id["dead"]["error"].startswith("http://127.0.0.1:9/report: connection failed")
    assert by_id["kz"]["status"] == "baseline"
    assert by_id["kz"]["error"] is None
    assert set(by_id["kz"]) >= {"id", "url", "status", "changes", "error"}
    assert report["deliveries"] == []
    assert "Traceback" not in proc.stderr


def test_human_output_is_a_summary_table_and_the_digest(
    tmp_path: Path, loopback: Loopback, prefect_env: dict[str, str]
) -> None:
    url = loopback.page("/kz", BASE)
    cfg = write_config(
        tmp_path / "rw.yaml", tmp_path / "snapshots", [("kz", url, "hrw-world-report")]
    )
    assert run(["check", "--config", str(cfg)], prefect_env).returncode == 0
    loopback.page("/kz", (FIXTURES / "pairs" / "expression_sentence.html").read_bytes())
    proc = run(["check", "--config", str(cfg)], prefect_env)
    assert proc.returncode == 0, proc.stderr
    assert "Freedom of Expression — modified" in proc.stdout
    assert "+ In December, a court in Nur-Sultan fined the editor" in proc.stdout
    assert "│ kz" in proc.stdout
    assert "changed" in proc.stdout
    assert "Flow run" not in proc.stdout + proc.stderr  # Prefect's own logs stay quiet


def test_check_runs_with_no_server_on_prefects_temporary_server(
    tmp_path: Path, loopback: Loopback
) -> None:
    url = loopback.page("/kz", BASE)
    cfg = write_config(
        tmp_path / "rw.yaml", tmp_path / "snapshots", [("kz", url, "hrw-world-report")]
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    proc = run(["check", "--json", "--config", str(cfg)], env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["watches"][0]["status"] == "baseline"


def test_the_console_entry_loads_only_the_module_of_the_command_it_runs(tmp_path: Path) -> None:
    probe = (
        "import sys; sys.argv = ['rightswatch', 'check', '--help']\n"
        "from rightswatch.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('rightswatch.cli.')))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert "Usage: rightswatch check" in proc.stdout
    loaded = proc.stdout.strip().splitlines()[-1]
    assert "'rightswatch.cli.run'" in loaded
    for other in ("add", "export", "history", "outbox", "publish"):
        assert f"'rightswatch.cli.{other}'" not in loaded
