"""Editions: a URL rolling over to next year's report, and a translation lagging its pair."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rightswatch.check import CheckContext, WatchResult, check_watches
from rightswatch.config import load_config
from rightswatch.deliver import deliver_channel
from rightswatch.editions import lag_notices
from rightswatch.tasks import open_context
from tests.loopback import Loopback

FIXTURES = Path(__file__).parent / "fixtures"
BASE = (FIXTURES / "hrw_kazakhstan_2021.html").read_bytes()
TORTURE = (FIXTURES / "pairs" / "torture_number.html").read_bytes()
RU = (FIXTURES / "hrw_kazakhstan_2021_ru.html").read_bytes()  # windows-1251, as served
NEXT_YEAR = (FIXTURES / "pairs" / "section_inserted.html").read_bytes().replace(b"2021", b"2022")


def _context(tmp_path: Path, body: str) -> CheckContext:
    path = tmp_path / "rw.yaml"
    path.write_text(
        f"snapshots: {tmp_path / 'snapshots'}\n"
        "fetch: {per_host_delay: 0, retries: 0, timeout: 5, respect_robots: false}\n" + body,
        encoding="utf-8",
    )
    return open_context(load_config(path))


def _one_page(
    tmp_path: Path, loopback: Loopback, path: str, first: bytes, then: bytes
) -> tuple[CheckContext, WatchResult]:
    """A single watch checked on `first`, then on `then`: the context and the second result."""
    url = loopback.page(path, first)
    ctx = _context(tmp_path, f"watches:\n  - {{id: kz, url: '{url}', profile: hrw-world-report}}\n")
    check_watches(ctx.config.watches, ctx)
    loopback.page(path, then)
    [result] = check_watches(ctx.config.watches, ctx)
    return ctx, result


def test_a_new_year_on_the_same_url_starts_an_edition_line_instead_of_a_giant_diff(
    tmp_path: Path, loopback: Loopback
) -> None:
    url = loopback.page("/country/kazakhstan", BASE)
    ctx = _context(tmp_path, f"watches:\n  - {{id: kz, url: '{url}', profile: hrw-world-report}}\n")
    check_watches(ctx.config.watches, ctx)
    loopback.page("/country/kazakhstan", NEXT_YEAR)
    [result] = check_watches(ctx.config.watches, ctx)

    assert result.status == "edition"
    assert result.changes == []
    [event] = ctx.outbox.events("kz")
    assert event.kind == "edition"
    assert event.title == "new edition: World Report 2022: Kazakhstan"
    assert event.message is not None
    assert "World Report 2021: Kazakhstan → World Report 2022: Kazakhstan" in event.message
    assert "1 new (Rights of Older People)" in event.message
    assert [r.edition for r in ctx.store.history("kz")] == ["2021", "2022"]

    # Within the new edition, changes are diffed against the 2022 text, as usual.
    loopback.page("/country/kazakhstan", NEXT_YEAR.replace(b"140 complaints", b"152 complaints"))
    [result] = check_watches(ctx.config.watches, ctx)
    assert result.status == "changed"
    assert [c.heading for c in result.changes] == ["Torture"]
    assert [r.edition for r in ctx.store.history("kz")] == ["2021", "2022", "2022"]
    shown = subprocess.run(
        [
            str(Path(sys.executable).with_name("rightswatch")),
            "history",
            "kz",
            "--config",
            str(tmp_path / "rw.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert "new edition 2022: World Report 2022: Kazakhstan" in shown.stdout, shown.stderr


def test_a_title_that_keeps_its_year_is_an_ordinary_change(
    tmp_path: Path, loopback: Loopback
) -> None:
    ctx, result = _one_page(tmp_path, loopback, "/kz", BASE, TORTURE)
    assert result.status == "changed"
    assert [e.kind for e in ctx.outbox.events("kz")] == ["change"]


LAG_SECONDS = 1.5


def _pair(tmp_path: Path, loopback: Loopback) -> CheckContext:
    en, ru = loopback.page("/en", BASE), loopback.page("/ru", RU, "text/html")
    return _context(
        tmp_path,
        f"editions: {{lag_days: {LAG_SECONDS / 86400}}}\n"
        "watches:\n"
        f"  - {{id: hrw-wr2021-kazakhstan, url: '{en}', profile: hrw-world-report, lang: en}}\n"
        f"  - {{id: hrw-wr2021-kazakhstan-ru, url: '{ru}', profile: hrw-world-report,\n"
        "      edition_of: hrw-wr2021-kazakhstan, lang: ru}\n",
    )


def test_the_russian_edition_lagging_an_english_correction_is_reported_once(
    tmp_path: Path, loopback: Loopback, capsys: pytest.CaptureFixture[str]
) -> None:
    ctx = _pair(tmp_path, loopback)
    check_watches(ctx.config.watches, ctx)
    loopback.page("/en", TORTURE)  # only the English edition is corrected
    check_watches(ctx.config.watches, ctx)
    assert lag_notices(ctx.config, ctx.store, datetime.now(UTC)) == []  # not late yet

    time.sleep(LAG_SECONDS + 0.5)
    check_watches(ctx.config.watches, ctx)
    [notice] = ctx.outbox.add_all(lag_notices(ctx.config, ctx.store, datetime.now(UTC)))
    assert notice.kind == "lag"
    assert notice.watch_id == "hrw-wr2021-kazakhstan-ru"
    assert notice.title == "translation lag: Всемирный доклад 2021: Казахстан"
    assert notice.message is not None
    assert "the en edition changed 'Torture'" in notice.message
    assert "the ru edition ('Пытки') has not changed" in notice.message
    # The same lag, looked at again, is the same single event: the digest says it once.
    ctx.outbox.add_all(lag_notices(ctx.config, ctx.store, datetime.now(UTC)))
    assert [e.kind for e in ctx.outbox.events("hrw-wr2021-kazakhstan-ru")] == ["lag"]
    assert deliver_channel("console", ctx.config, ctx.outbox).status == "sent"
    assert deliver_channel("console", ctx.config, ctx.outbox).status == "nothing"
    printed = " ".join(capsys.readouterr().out.split())
    assert "translation lag: Всемирный доклад 2021: Казахстан" in printed


def test_a_translation_that_follows_in_time_is_not_reported(
    tmp_path: Path, loopback: Loopback
) -> None:
    ctx = _pair(tmp_path, loopback)
    check_watches(ctx.config.watches, ctx)
    loopback.page("/en", TORTURE)
    check_watches(ctx.config.watches, ctx)
    corrected = RU.replace("140 жалоб".encode("cp1251"), "152 жалоб".encode("cp1251"))
    assert corrected != RU
    loopback.page("/ru", corrected, "text/html")  # the Russian Пытки section follows
    check_watches(ctx.config.watches, ctx)
    time.sleep(LAG_SECONDS + 0.5)
    assert lag_notices(ctx.config, ctx.store, datetime.now(UTC)) == []
    # The English edition did follow nothing else, so nothing is due the other way either.
    assert [e.kind for e in ctx.outbox.events("hrw-wr2021-kazakhstan")] == ["change"]
