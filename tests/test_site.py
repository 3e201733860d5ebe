"""`rightswatch site`: the static change archive, checked on disk and in headless Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import feedparser
import pytest
from bs4 import BeautifulSoup
from playwright.sync_api import Browser

from rightswatch.backfill import backfill
from rightswatch.check import check_watches
from rightswatch.config import load_config
from rightswatch.preserve import wayback_for
from rightswatch.tasks import open_context
from tests.loopback import Loopback
from tests.wayback import Capture, Wayback, wayback_server

FIXTURES = Path(__file__).parent / "fixtures"
BASE = (FIXTURES / "hrw_kazakhstan_2021.html").read_bytes()
TORTURE = (FIXTURES / "pairs" / "torture_number.html").read_bytes()
EXPRESSION = (FIXTURES / "pairs" / "expression_sentence.html").read_bytes()
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


@pytest.fixture
def site(tmp_path: Path, loopback: Loopback) -> Iterator[tuple[Path, Path]]:
    """Two watches: one with three backfilled changes and two of its own, one that fails; the
    site written by the CLI."""
    with wayback_server() as wayback:
        yield _site(tmp_path, loopback, wayback)


def _site(tmp_path: Path, loopback: Loopback, wayback: Wayback) -> tuple[Path, Path]:
    url = loopback.page("/kz", BASE)
    config_path = tmp_path / "rw.yaml"
    config_path.write_text(
        f"snapshots: {tmp_path / 'snapshots'}\n"
        "fetch: {per_host_delay: 0, retries: 0, timeout: 5, respect_robots: false}\n"
        f"archive: {{endpoint: '{wayback.base}'}}\n"
        "watches:\n"
        f"  - {{id: kz, url: '{url}', title: 'World Report 2021: Kazakhstan', "
        "profile: hrw-world-report}\n"
        f"  - {{id: gone, url: '{loopback.url('/missing')}', title: 'Gone <b>page</b>'}}\n",
        encoding="utf-8",
    )
    config = load_config(config_path)
    ctx = open_context(config)
    check_watches(config.watches, ctx)
    wayback.captures = [
        Capture("20210113090000", url, BASE),
        Capture("20210301090000", url, TORTURE),
        Capture("20210601090000", url, EXPRESSION),
    ]
    assert len(backfill(config, ctx.store, config.watches[0], wayback_for(config)).imported) == 3
    for page in (TORTURE, EXPRESSION):
        time.sleep(1.05)  # stored reports are named by the second (check.write_report)
        loopback.page("/kz", page)
        check_watches(config.watches, ctx)
    out = tmp_path / "public"
    rightswatch = str(Path(sys.executable).with_name("rightswatch"))
    done = subprocess.run(
        [rightswatch, "site", "-o", str(out), "--config", str(config_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return out, tmp_path / "snapshots"


def _links(html: Path) -> list[str]:
    soup = BeautifulSoup(html.read_text(encoding="utf-8"), "lxml")
    return [str(t.get("href") or t.get("src")) for t in soup.find_all(["a", "link", "img"])]


def test_site_files_relative_links_and_copied_reports(site: tuple[Path, Path]) -> None:
    out, snapshots = site
    pages = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    reports = [p for p in pages if p.startswith("reports/kz/")]
    assert {"index.html", "feed.xml", "watches/kz.html", "watches/gone.html"} <= set(pages)
    assert len(reports) == 5  # 3 from the backfilled history, 2 of its own
    stored = [p.read_bytes() for p in (snapshots / "kz" / "reports").iterdir()]
    copied = [(out / r).read_bytes() for r in reports]
    assert len(stored) == 2
    assert all(s in copied for s in stored)
    rendered = [c for c in copied if c not in stored]  # the others rendered from the history
    assert len(rendered) == 3
    assert all(b"152 complaints" in c or b"Expression" in c for c in rendered)
    archived = [c for c in rendered if b'class="archived"' in c]  # the capture is the copy
    assert len(archived) == 2
    assert all(b"/web/2021" in c for c in archived)

    for page in (p for p in out.rglob("*.html")):
        for link in _links(page):
            parts = urlsplit(link)
            if parts.scheme in ("http", "https"):
                continue  # the watched pages themselves
            assert not parts.scheme, link
            assert not parts.netloc, link
            assert not link.startswith("/"), link
            if not parts.path:
                continue  # a fragment in the same page
            target = (page.parent / unquote(parts.path)).resolve()
            assert target.is_relative_to(out.resolve()), (page, link)
            assert target.is_file(), (page, link)

    watch_page = (out / "watches" / "kz.html").read_text(encoding="utf-8")
    for report in reports:
        assert f'href="../{report}"' in watch_page
    index = (out / "index.html").read_text(encoding="utf-8")
    for html in (index, watch_page):
        assert f'content="{CSP}"' in html
        assert "<script" not in html
    assert "Gone &lt;b&gt;page&lt;/b&gt;" in index
    assert "<b>page" not in index
    assert "failing" in index
    assert "HTTP 404" in index

    feed = feedparser.parse(str(out / "feed.xml"))
    assert feed.bozo == 0
    assert len(feed.entries) == 2
    for entry in feed.entries:
        related = [link.href for link in entry.links if link.rel == "related"]
        assert related
        assert (out / related[0]).is_file()


def test_site_opens_from_file_in_chromium_with_timeline_and_history(
    browser: Browser, site: tuple[Path, Path], tmp_path: Path
) -> None:
    out, _ = site
    page = browser.new_page(viewport={"width": 1100, "height": 1000}, java_script_enabled=False)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("requestfailed", lambda r: problems.append(r.url))
    page.goto((out / "index.html").as_uri())
    rows = page.locator("tbody tr")
    assert rows.count() == 2
    page.click("text=World Report 2021: Kazakhstan")
    assert page.url.endswith("/watches/kz.html")
    marks = page.locator("svg.timeline circle.mark")
    assert marks.count() == 5
    radii = [float(marks.nth(i).get_attribute("r") or 0) for i in range(5)]
    assert len(set(radii)) > 1  # sized by words changed
    xs = [float(marks.nth(i).get_attribute("cx") or 0) for i in range(5)]
    assert xs == sorted(xs, reverse=True)  # newest first in the page, placed by time
    box = page.locator("svg.timeline").bounding_box()
    assert box is not None
    assert box["width"] > 600
    assert box["height"] > 60
    assert page.locator("table.changes tbody tr").count() == 5
    assert page.locator("table.changes", has_text="from the web archive").count() == 1
    history = page.locator("table.section-history tbody tr")
    assert history.count() == 2  # Torture (twice) and Freedom of Expression
    assert "Torture" in page.locator("table.section-history").inner_text()
    shot = Path(os.environ.get("RIGHTSWATCH_SITE_SCREENSHOT", tmp_path / "site.png"))
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    page.locator("table.changes a", has_text="report").first.click()
    assert "/reports/kz/" in page.url
    assert page.locator("section.change").count() >= 1
    assert problems == []
    page.close()
