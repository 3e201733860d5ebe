from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from rightswatch.fetch_browser import CHROMIUM_ARGS
from tests.loopback import Loopback, serving
from tests.peers import S3, s3_server

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def loopback() -> Iterator[Loopback]:
    with serving() as server:
        yield server


@pytest.fixture
def hrw_html() -> str:
    return (FIXTURES / "hrw_kazakhstan_2021.html").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def s3() -> Iterator[S3]:
    with s3_server() as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, with the flags the renderer uses, for the browser tests of
    the change reports and the archive site (one per module: Playwright's sync API must not
    outlive the module into tests that run an event loop)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.fail("Chromium is not installed: `make test` installs it (apt-get install chromium)")
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=chromium, args=list(CHROMIUM_ARGS))
        yield instance
        instance.close()
