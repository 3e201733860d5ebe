from __future__ import annotations

from tests.e2e.conftest import prefect_api, prefect_env  # noqa: F401  (one server per session)
