"""The `atom` channel: a valid Atom 1.0 feed (parsed by feedparser), stable ids, filters,
max_entries, and a file left untouched by a run with nothing new."""

from __future__ import annotations

from pathlib import Path

import feedparser

from rightswatch.check import check_watches
from rightswatch.config import load_config
from rightswatch.deliver import deliver_channel
from rightswatch.tasks import open_context
from tests.loopback import Loopback

FIXTURES = Path(__file__).parent / "fixtures"
BASE = (FIXTURES / "hrw_kazakhstan_2021.html").read_bytes()
TORTURE = (FIXTURES / "pairs" / "torture_number.html").read_bytes()
EXPRESSION = (FIXTURES / "pairs" / "expression_sentence.html").read_bytes()


def _config(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "rw.yaml"
    feeds = tmp_path / "public" / "feeds"
    path.write_text(
        f"snapshots: {tmp_path / 'snapshots'}\n"
        "report_base_url: https://reports.example.org/rw\n"
        "fetch: {per_host_delay: 0, retries: 0, timeout: 5, respect_robots: false}\n"
        "defaults: {channels: [news, expression, newest]}\n"
        "channels:\n"
        f"  news: {{type: atom, path: '{feeds / 'news.xml'}', title: Kazakhstan changes}}\n"
        f"  expression: {{type: atom, path: '{feeds / 'expression.xml'}', "
        "sections: ['Freedom of Expression']}\n"
        f"  newest: {{type: atom, path: '{feeds / 'newest.xml'}', max_entries: 1}}\n"
        f"watches:\n  - {{id: kz, url: '{url}', title: 'HRW: Kazakhstan', "
        "profile: hrw-world-report}\n",
        encoding="utf-8",
    )
    return path


def test_feed_is_valid_atom_with_stable_ids_filters_and_no_rewrite_without_news(
    tmp_path: Path, loopback: Loopback
) -> None:
    url = loopback.page("/kz", BASE)
    config = load_config(_config(tmp_path, url))
    ctx = open_context(config)
    feeds = tmp_path / "public" / "feeds"

    def run(page: bytes) -> None:
        loopback.page("/kz", page)
        check_watches(config.watches, ctx)
        for name in ("news", "expression", "newest"):
            assert deliver_channel(name, config, ctx.outbox).status != "failed"

    run(BASE)
    assert not feeds.exists()  # a baseline is no news
    run(TORTURE)
    news = feedparser.parse(str(feeds / "news.xml"))
    assert news.bozo == 0, news.get("bozo_exception")
    assert news.version == "atom10"
    assert news.feed.title == "Kazakhstan changes"
    [entry] = news.entries
    [event] = ctx.outbox.events("kz")
    assert entry.id == f"urn:rightswatch:kz:{event.id}"
    assert "HRW: Kazakhstan" in entry.title
    assert "Torture" in entry.title
    links = {link.rel: link.href for link in entry.links}
    assert links["alternate"] == url
    assert links["related"] == f"https://reports.example.org/rw/{event.report}"
    assert "152 complaints" in entry.content[0].value
    assert "Torture" in entry.content[0].value
    assert entry.updated_parsed is not None
    assert not (feeds / "expression.xml").exists()  # filtered out: Torture is not its section

    before = (feeds / "news.xml").stat().st_mtime_ns, (feeds / "news.xml").read_bytes()
    run(TORTURE)  # nothing new: the feed stays exactly as it was
    assert ((feeds / "news.xml").stat().st_mtime_ns, (feeds / "news.xml").read_bytes()) == before

    run(EXPRESSION)
    news = feedparser.parse(str(feeds / "news.xml"))
    assert news.bozo == 0
    assert [e.id for e in news.entries][1] == entry.id  # the first event kept its id
    assert len(news.entries) == 2
    assert "Freedom of Expression" in news.entries[0].title
    assert news.entries[0].updated_parsed >= news.entries[1].updated_parsed  # newest first

    expression = feedparser.parse(str(feeds / "expression.xml"))
    assert expression.bozo == 0
    assert len(expression.entries) == 1
    assert "Freedom of Expression" in expression.entries[0].content[0].value
    assert "Torture" not in expression.entries[0].title  # the channel's sections filter

    newest = feedparser.parse(str(feeds / "newest.xml"))
    assert [e.id for e in newest.entries] == [news.entries[0].id]  # max_entries: 1
    assert not [p for p in feeds.iterdir() if p.name.startswith(".")]  # no temp files left


def test_page_text_cannot_inject_markup_into_the_feed(tmp_path: Path, loopback: Loopback) -> None:
    hostile = TORTURE.replace(
        b"152 complaints", b"152 complaints <script>alert(1)</script> &amp; ]]> </content>"
    )
    url = loopback.page("/kz", BASE)
    config = load_config(_config(tmp_path, url))
    ctx = open_context(config)
    check_watches(config.watches, ctx)
    loopback.page("/kz", hostile)
    check_watches(config.watches, ctx)
    assert deliver_channel("news", config, ctx.outbox).status == "sent"
    news = feedparser.parse(str(tmp_path / "public" / "feeds" / "news.xml"))
    assert news.bozo == 0
    assert len(news.entries) == 1
    html = news.entries[0].content[0].value
    assert "<script>" not in html
    assert "]]&gt;" in html
