"""Publication discovery: a loopback index page (the World Report country list) gains a link."""

from __future__ import annotations

from pathlib import Path

import pytest

from rightswatch.check import CheckContext, check_watches
from rightswatch.config import load_config
from rightswatch.deliver import deliver_channel
from rightswatch.discover import discovered_watches, load_index
from rightswatch.tasks import open_context
from tests.loopback import Loopback

FIXTURES = Path(__file__).parent / "fixtures"
KZ_2021 = (FIXTURES / "hrw_kazakhstan_2021.html").read_bytes()
KZ_2022 = KZ_2021.replace(b"2021", b"2022").replace(b"Events of 2020", b"Events of 2021")


def index_page(chapters: list[tuple[str, str]]) -> str:
    items = "\n".join(f'<li><a href="{href}">{name}</a></li>' for href, name in chapters)
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>World Report | Human Rights Watch</title></head><body>
<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/world-report/2021">2021</a></nav>
<main><h1>World Report</h1><h2>Country chapters</h2><ul>
{items}
</ul><p><a href="/world-report/2021/country-chapters/kazakhstan#torture">(anchor link)</a></p>
</main><footer><a href="/about">About Human Rights Watch</a></footer></body></html>"""


CHAPTERS = [
    ("/world-report/2021/country-chapters/kazakhstan", "Kazakhstan"),
    ("/world-report/2021/country-chapters/russia", "Russia"),
]
NEW = ("/world-report/2022/country-chapters/kazakhstan", "Kazakhstan")


def _context(tmp_path: Path, url: str, auto_watch: bool = True) -> CheckContext:
    path = tmp_path / "rw.yaml"
    path.write_text(
        f"snapshots: {tmp_path / 'snapshots'}\n"
        "fetch: {per_host_delay: 0, retries: 0, timeout: 5, respect_robots: false}\n"
        "watches:\n"
        f"  - id: hrw-world-report\n    url: '{url}'\n    kind: index\n"
        "    link_pattern: '/world-report/\\d{4}/country-chapters/'\n"
        f"    auto_watch: {str(auto_watch).lower()}\n    profile: hrw-world-report\n",
        encoding="utf-8",
    )
    return open_context(load_config(path))


def _serve(loopback: Loopback, chapters: list[tuple[str, str]]) -> str:
    loopback.page(CHAPTERS[0][0], KZ_2021)
    loopback.page(CHAPTERS[1][0], KZ_2021.replace(b"Kazakhstan", b"Russia"))
    loopback.page(NEW[0], KZ_2022)
    return loopback.page("/world-report", index_page(chapters))


def _run(ctx: CheckContext) -> list[str]:
    watches = ctx.config.watches + discovered_watches(ctx.config, ctx.store)
    return [f"{r.id}:{r.status}" for r in check_watches(watches, ctx)]


def test_a_new_chapter_on_the_index_is_reported_snapshotted_and_watched(
    tmp_path: Path, loopback: Loopback, capsys: pytest.CaptureFixture[str]
) -> None:
    url = _serve(loopback, CHAPTERS)
    ctx = _context(tmp_path, url)
    assert _run(ctx) == ["hrw-world-report:baseline"]
    state = load_index(ctx.store, "hrw-world-report")
    assert state is not None
    assert sorted(state.links.values()) == ["Kazakhstan", "Russia"]
    watched = discovered_watches(ctx.config, ctx.store)
    assert [w.url for w in watched] == [loopback.url(h) for h, _ in CHAPTERS]
    assert _run(ctx)[1:] == [f"{w.id}:baseline" for w in watched]  # now checked every run

    _serve(loopback, [*CHAPTERS, NEW])
    [index, *_] = check_watches(ctx.config.watches, ctx)
    assert index.status == "changed"
    assert index.publications == ["World Report 2022: Kazakhstan"]
    [event] = [e for e in ctx.outbox.events("hrw-world-report") if e.kind == "publication"]
    assert event.title == "new publication: World Report 2022: Kazakhstan"
    assert event.url == loopback.url(NEW[0])
    new_watch = next(w for w in discovered_watches(ctx.config, ctx.store) if w.url == event.url)
    assert event.message is not None
    assert new_watch.id in event.message
    [first] = ctx.store.history(new_watch.id)  # its first snapshot, taken at once
    assert first.title == "World Report 2022: Kazakhstan"
    assert new_watch.profile == "hrw-world-report"  # the index's settings

    # Checking the index again finds nothing new; the same event is not added twice.
    [again, *_] = check_watches(ctx.config.watches, ctx)
    assert again.status == "unchanged"
    assert len(list(ctx.outbox.events("hrw-world-report"))) == 1

    _serve(loopback, [CHAPTERS[0], NEW])  # Russia is taken off the list
    [index, *_] = check_watches(ctx.config.watches, ctx)
    assert index.status == "changed"
    [gone] = [e for e in ctx.outbox.events("hrw-world-report") if e.kind == "withdrawn"]
    assert gone.title == "publication removed from the index: Russia"

    assert deliver_channel("console", ctx.config, ctx.outbox).status == "sent"
    printed = " ".join(capsys.readouterr().out.split())
    assert "new publication: World Report 2022: Kazakhstan" in printed
    assert "publication removed from the index: Russia" in printed


def test_without_auto_watch_a_new_publication_is_snapshotted_once_but_not_followed(
    tmp_path: Path, loopback: Loopback
) -> None:
    url = _serve(loopback, CHAPTERS)
    ctx = _context(tmp_path, url, auto_watch=False)
    _run(ctx)
    _serve(loopback, [*CHAPTERS, NEW])
    assert _run(ctx) == ["hrw-world-report:changed"]
    assert discovered_watches(ctx.config, ctx.store) == []
    state = load_index(ctx.store, "hrw-world-report")
    assert state is not None
    [item] = [d for d in state.discovered if d.url == loopback.url(NEW[0])]
    assert len(ctx.store.history(item.id)) == 1


def test_an_index_that_loses_every_link_is_suspect_and_kept(
    tmp_path: Path, loopback: Loopback
) -> None:
    url = _serve(loopback, CHAPTERS)
    ctx = _context(tmp_path, url)
    check_watches(ctx.config.watches, ctx)
    loopback.page("/world-report", "<html><body><p>Access denied</p></body></html>")
    [result] = check_watches(ctx.config.watches, ctx)
    assert result.status == "suspect"
    state = load_index(ctx.store, "hrw-world-report")
    assert state is not None
    assert len(state.links) == 2
    assert ctx.outbox.events("hrw-world-report") == []
