from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

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
