"""The empty-shell guard: a static page whose content a script builds is never a baseline."""

from __future__ import annotations

from pathlib import Path

from rightswatch.extract import extract
from rightswatch.guard import assess_static

FIXTURES = Path(__file__).parent / "fixtures"
URL = "https://www.state.gov/reports/2023/kazakhstan/"
NAV = "<nav><a href='/'>Home</a> <a href='/reports'>Reports</a></nav>"


def verdict(html: str) -> str | None:
    found = assess_static(html, extract(html, URL))
    assert found is None or not found.may_persist
    return None if found is None else found.reason


def test_an_app_root_filled_by_an_external_script_is_suspect() -> None:
    html = f"<html><body>{NAV}<div id='root'></div><script src='/app.js'></script></body></html>"
    reason = verdict(html)
    assert reason is not None
    assert "builds its content with JavaScript" in reason
    assert "<div#root>" in reason
    assert "set `render: browser`" in reason


def test_a_large_inline_data_blob_with_little_text_is_suspect() -> None:
    blob = '{"paragraphs": ["' + "Text of the report. " * 400 + '"]}'
    html = (
        f"<html><body>{NAV}<h1>Kazakhstan 2023</h1><p>Loading the report…</p>"
        f'<script type="application/json">{blob}</script></body></html>'
    )
    reason = verdict(html)
    assert reason is not None
    assert "characters of script" in reason


def test_a_real_chapter_with_scripts_is_not_a_shell() -> None:
    html = (FIXTURES / "hrw_kazakhstan_2021.html").read_text(encoding="utf-8")
    assert verdict(html.replace("</body>", "<script>" + "x=1;" * 5000 + "</script></body>")) is None


def test_a_short_page_without_scripts_is_left_to_the_other_checks() -> None:
    html = f"<html><body>{NAV}<main><h2>Note</h2><p>A short notice.</p></main></body></html>"
    assert verdict(html) is None
    assert verdict("<html><body><main></main></body></html>") is None


def test_a_short_page_with_a_small_script_and_content_is_not_a_shell() -> None:
    html = (
        f"<html><body>{NAV}<main><h2>Statement</h2><p>{'The government must act now. ' * 20}"
        "</p></main><script>console.log('analytics')</script></body></html>"
    )
    assert verdict(html) is None
