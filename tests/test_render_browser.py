"""`render: browser`: pages whose chapter body a script builds, rendered by Debian's Chromium
through Playwright, against a real loopback server."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rightswatch.check import CheckContext, check_watch
from rightswatch.cli import app
from rightswatch.config import Config, parse_config
from rightswatch.config.load import ConfigError
from rightswatch.extract import extract
from rightswatch.fetch import Fetcher, FetchError
from rightswatch.fetch_browser import request_allowed
from rightswatch.store import open_store
from tests.loopback import Loopback, Reply, serving

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parent / "fixtures"
TWIN = (FIXTURES / "hrw_kazakhstan_2021.html").read_text(encoding="utf-8")
BODY = re.compile(r'(<div class="article-body[^"]*">)(.*?)(\s*<div class="social-share)', re.S)
FIGURE = "reported they had received 140 complaints of torture"
SENTENCE = (
    "The Coalition Against Torture, an anti-torture network of nongovernmental organizations "
    "and experts, reported they had received 214 complaints of torture between January and June."
)
BUILD = """
<script>
const data = JSON.parse(document.getElementById('chapter-data').textContent);
const body = document.querySelector('.article-body');
for (const block of data.blocks) {
  const el = document.createElement(block.tag);
  if (block.id) el.id = block.id;
  el.textContent = block.text;
  body.insertBefore(el, body.querySelector('.social-share'));
}
</script>
"""


def js_page(static_html: str, extra: str = "") -> str:
    """The static twin with its chapter body emptied and rebuilt by a script from JSON."""
    match = BODY.search(static_html)
    assert match, "the twin's chapter body was not found"
    blocks = []
    for tag in re.finditer(r'<(h3|p)(?: id="([^"]*)")?>(.*?)</\1>', match.group(2), re.S):
        text = re.sub(r"<[^>]+>", "", tag.group(3)).replace("&#x27;", "'")
        blocks.append({"tag": tag.group(1), "id": tag.group(2), "text": text})
    blob = json.dumps({"blocks": blocks}, ensure_ascii=False).replace("</", "<\\/")
    script = f'<script type="application/json" id="chapter-data">{blob}</script>{BUILD}{extra}'
    shell = static_html[: match.start(2)] + static_html[match.end(2) :]
    return shell.replace("</body>", script + "</body>")


def config(tmp_path: Path, render: str = "browser", **fetch: object) -> Config:
    settings = {"per_host_delay": 0, "retries": 0, "timeout": 5, "browser_timeout": 10, **fetch}
    return parse_config(
        f"snapshots: {tmp_path / 's'}\nfetch: {json.dumps(settings)}\n"
        f"defaults: {{render: {render}}}\n"
        "watches:\n  - {id: chapter, url: 'http://127.0.0.1/'}\n"
    )


@pytest.fixture
def run(loopback: Loopback, tmp_path: Path) -> Iterator[object]:
    contexts: list[CheckContext] = []

    def check(html: str, render: str = "browser", **fetch: object):  # type: ignore[no-untyped-def]
        cfg = config(tmp_path, render, **fetch)
        if not contexts:
            contexts.append(
                CheckContext(
                    config=cfg, store=open_store(cfg.snapshots), fetcher=Fetcher(cfg.fetch)
                )
            )
        url = loopback.page("/chapter", html)
        watch = cfg.watches[0].model_copy(update={"url": url})
        return check_watch(watch, contexts[0])

    yield check
    for ctx in contexts:
        ctx.close()


def test_a_script_built_chapter_is_suspect_without_render(run) -> None:  # type: ignore[no-untyped-def]
    result = run(js_page(TWIN), render="static")
    assert result.status == "suspect"
    assert "builds its content with JavaScript" in result.error
    assert "render: browser" in result.error


def test_rendered_chapter_has_the_twins_sections_and_an_edit_lands_in_its_section(
    run,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    twin = extract(TWIN, "http://127.0.0.1/chapter")
    first = run(js_page(TWIN))
    assert first.status == "baseline", first.error
    store = open_store(tmp_path / "s")
    record = store.latest("chapter")
    assert record is not None
    baseline = store.document("chapter", record.content_hash)
    assert [(s.key, s.paragraphs) for s in baseline.sections] == [
        (s.key, s.paragraphs) for s in twin.sections
    ]
    raw = store.blobs.read(f"chapter/raw/{record.fetch.raw_sha256}.html.gz")
    assert raw is not None
    assert hashlib.sha256(gzip.decompress(raw)).hexdigest() == (record.fetch.raw_sha256)
    second = run(js_page(TWIN.replace(FIGURE, FIGURE.replace("140", "214"))))
    assert second.status == "changed", second.error
    assert [c.key for c in second.changes] == ["torture"]
    (sentence,) = second.changes[0].sentences
    assert sentence.kind == "changed"
    assert sentence.new == SENTENCE
    assert sentence.old == SENTENCE.replace("214", "140")


def test_baseline_sections_equal_the_static_twin(loopback: Loopback) -> None:
    url = loopback.page("/chapter", js_page(TWIN))
    with Fetcher(config(Path("."), "browser").fetch) as fetcher:
        page = fetcher.fetch(url, render="browser")
    rendered = extract(page.text, url)  # type: ignore[union-attr]
    twin = extract(TWIN, url)
    assert [(s.key, s.heading, s.paragraphs) for s in rendered.sections] == [
        (s.key, s.heading, s.paragraphs) for s in twin.sections
    ]
    assert page.sha256
    assert page.body == page.text.encode("utf-8")


def test_other_hosts_are_blocked_unless_allowed(loopback: Loopback) -> None:
    port = loopback.base.rsplit(":", 1)[1]
    tracker = f'<img src="http://localhost:{port}/pixel.gif">'
    loopback.route("/pixel.gif", Reply(200, b"GIF89a", {"Content-Type": "image/gif"}))
    url = loopback.page("/chapter", js_page(TWIN, tracker))
    with Fetcher(config(Path("."), "browser").fetch) as fetcher:
        fetcher.fetch(url, render="browser")
        assert fetcher.renderer().blocked == [f"http://localhost:{port}/pixel.gif"]
    assert loopback.requests_to("/pixel.gif") == []
    with Fetcher(config(Path("."), "browser", browser_allow=["localhost"]).fetch) as fetcher:
        fetcher.fetch(url, render="browser")
        assert fetcher.renderer().blocked == []
    assert len(loopback.requests_to("/pixel.gif")) == 1


def test_one_browser_per_run_with_bounded_concurrency(loopback: Loopback) -> None:
    urls = [
        loopback.route(
            f"/p{i}", Reply(200, js_page(TWIN).encode(), {"Content-Type": "text/html"}, delay=0.4)
        )
        for i in range(4)
    ]
    settings = config(Path("."), "browser", per_host_concurrency=8, browser_concurrency=2).fetch
    with Fetcher(settings) as fetcher:
        threads = [
            threading.Thread(target=fetcher.fetch, args=(u, None), kwargs={"render": "browser"})
            for u in urls
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert fetcher.renderer().launches == 1
    seen = [(s.path, round(s.at, 2)) for s in loopback.seen]
    assert loopback.max_in_flight == 2, seen
    assert all(len(loopback.requests_to(f"/p{i}")) == 1 for i in range(4)), seen


def test_robots_timeout_and_size_cap_apply(loopback: Loopback) -> None:
    loopback.page("/robots.txt", "User-agent: *\nDisallow: /private/\n", ctype="text/plain")
    private = loopback.page("/private/chapter", js_page(TWIN))
    slow = loopback.route(
        "/slow", Reply(200, b"<html>late</html>", {"Content-Type": "text/html"}, delay=4)
    )
    big = loopback.page("/big", js_page(TWIN))
    settings = config(Path("."), "browser", respect_robots=True, browser_timeout=1).fetch
    with Fetcher(settings) as fetcher:
        with pytest.raises(FetchError, match=r"robots\.txt"):
            fetcher.fetch(private, render="browser")
        with pytest.raises(FetchError, match=r"fetch\.browser_timeout") as info:
            fetcher.fetch(slow, render="browser")
        assert info.value.kind == "timeout"
    assert loopback.requests_to("/private/chapter") == []
    small = config(Path("."), "browser", max_bytes=20_000).fetch
    with Fetcher(small) as fetcher, pytest.raises(FetchError, match=r"fetch\.max_bytes"):
        fetcher.fetch(big, render="browser")


def test_missing_chromium_is_a_config_error_naming_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigError, match="apt-get install chromium"):
        config(tmp_path, "browser", browser_executable="/nonexistent/chromium")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ConfigError, match="install the Debian package `chromium`"):
        config(tmp_path, "browser")
    assert config(tmp_path, "static").watches[0].render == "static"  # only browser needs it


def test_request_allowed_decides_by_host() -> None:
    page = "https://www.state.gov/reports/2023/kazakhstan/"
    assert request_allowed("https://www.state.gov/app.js", page, [])
    assert request_allowed("data:image/png;base64,AAAA", page, [])
    assert not request_allowed("https://cdn.example.net/app.js", page, [])
    assert request_allowed("https://a.cdn.example.net/app.js", page, ["*.example.net"])
    assert not request_allowed("file:///etc/passwd", page, ["*"])


def test_sections_command_renders_with_render_browser(loopback: Loopback) -> None:
    url = loopback.page("/chapter", js_page(TWIN))
    runner = CliRunner()
    static = runner.invoke(app, ["sections", url, "--json"])
    assert static.exit_code == 0, static.output
    assert len(json.loads(static.stdout)["sections"]) < 15
    rendered = runner.invoke(app, ["sections", url, "--json", "--render", "browser"])
    assert rendered.exit_code == 0, rendered.output
    assert [s["key"] for s in json.loads(rendered.stdout)["sections"]] == [
        s.key for s in extract(TWIN, url).sections
    ]


HTML = {"Content-Type": "text/html"}
REDIRECTING = """<html><head><title>Report</title></head><body><main><h1>Report</h1>
<p id="out">waiting</p></main><script src="/hop"></script></body></html>"""
SECRET_JS = b"document.getElementById('out').textContent = 'INTRANET-SECRET';"
JS = {"Content-Type": "text/javascript"}


def test_a_rendered_page_redirected_to_another_host_is_refused_and_never_read(
    loopback: Loopback,
) -> None:
    """Playwright's route hook never sees redirects, so a same-host script that redirects to
    an intranet address is not blocked; the render is refused so nothing it loaded from there
    reaches a snapshot or a digest. (A script in the page: the load waits for it.)"""
    with serving("127.0.0.2") as intranet:
        intranet.route("/secret", Reply(200, SECRET_JS, JS))
        page = loopback.route("/page", Reply(200, REDIRECTING.encode(), HTML))
        loopback.route("/hop", Reply(302, b"", {"Location": f"{intranet.base}/secret"}))
        with (
            Fetcher(config(Path("."), "browser").fetch) as fetcher,
            pytest.raises(FetchError, match=r"refused: the rendered page was redirected"),
        ):
            fetcher.fetch(page, render="browser")
        # the same page without the redirect renders as usual
        assert [s.path for s in intranet.seen] == ["/secret"]  # it was reached, and not read
        own = b"document.getElementById('out').textContent = 'from its own host';"
        loopback.route("/hop", Reply(200, own, JS))
        with Fetcher(config(Path("."), "browser").fetch) as fetcher:
            assert "from its own host" in fetcher.fetch(page, render="browser").text
