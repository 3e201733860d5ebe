"""A `prefect deploy` build step that says where this project is, for the workers' pull step.

prefect.yaml used to pull from `{{ $PWD }}`: the deploying shell's variable, stale whenever a
script starts `prefect deploy` in another directory (subprocess cwd=, make -C), and every run then
crashed on the worker. `prefect deploy` reads prefect.yaml and resolves the entrypoints from its
working directory, so that directory (the real one, not $PWD) is the project.
"""

from __future__ import annotations

from pathlib import Path

PROJECT_FILE = "prefect.yaml"


def project_directory(entrypoint: str = "flows/monitor.py") -> dict[str, str]:
    """{"directory": the checkout `prefect deploy` runs in}, checked to hold the entrypoint."""
    root = Path.cwd().resolve()
    if not (root / entrypoint).is_file():
        raise FileNotFoundError(
            f"{root}: no {entrypoint} here; run `prefect deploy` in the rightswatch checkout "
            f"(the folder holding {PROJECT_FILE})"
        )
    return {"directory": str(root)}
