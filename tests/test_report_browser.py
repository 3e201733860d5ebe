"""The HTML report in a real browser (Debian's Chromium, headless, through Playwright)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from playwright.sync_api import Browser, Page

from rightswatch.diff import diff_documents
from rightswatch.document import Document, Section
from rightswatch.extract import extract
from rightswatch.fetch import decode_html
from rightswatch.render.report import ReportSide, render_report

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = Path(__file__).parents[1] / "src" / "rightswatch" / "samples"
URL = "https://www.hrw.org/world-report/2021/country-chapters/kazakhstan"


def report_file(tmp_path: Path, old: Document, new: Document, name: str = "report.html") -> Path:
    html = render_report(
        new.title,
        URL,
        ReportSide(datetime(2021, 1, 13, 11, tzinfo=UTC), old.content_hash(), old),
        ReportSide(datetime(2021, 1, 14, 6, tzinfo=UTC), new.content_hash(), new),
        diff_documents(old, new),
    )
    path = tmp_path / name
    path.write_text(html, encoding="utf-8")
    return path


def open_page(browser: Browser, path: Path, dialogs: list[str] | None = None) -> Page:
    page = browser.new_page(viewport={"width": 1100, "height": 1400})
    page.on(
        "dialog",
        lambda d: (dialogs.append(d.message) if dialogs is not None else None, d.dismiss()),
    )
    page.goto(path.as_uri())
    return page


def seed_pair() -> tuple[Document, Document]:
    old = extract((FIXTURES / "hrw_kazakhstan_2021.html").read_text(), URL)
    new = extract((SAMPLES / "hrw_kazakhstan_2021_edited.html").read_text(), URL)
    return old, new


def style(page: Page, selector: str, prop: str) -> str:
    return str(page.eval_on_selector(selector, f"e => getComputedStyle(e).{prop}"))


def test_report_of_the_seed_chapter_shows_changes_visibly_and_styled(
    browser: Browser, tmp_path: Path
) -> None:
    page = open_page(browser, report_file(tmp_path, *seed_pair()))
    screenshot = tmp_path / "report.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 50_000
    toc = page.locator("nav.toc li").all_inner_texts()
    assert [t.split("\n")[0].rsplit(" ", 1)[0] for t in toc] == [
        "Freedom of Expression",
        "Torture",
        "Covid-19",
    ]
    assert page.locator("nav.toc .kind").first.inner_text() == "MODIFIED"  # uppercase by CSS
    ins = page.locator("#change-torture .inline ins").first
    deleted = page.locator("#change-torture .inline del").first
    assert ins.inner_text() == "152"
    assert deleted.inner_text() == "140"
    assert ins.is_visible()
    assert deleted.is_visible()
    assert "underline" in style(page, "#change-torture .inline ins", "textDecorationLine")
    assert "line-through" in style(page, "#change-torture .inline del", "textDecorationLine")
    assert style(page, "#change-torture .inline ins", "backgroundColor") == "rgb(221, 244, 255)"
    assert style(page, "#change-torture .inline del", "backgroundColor") == "rgb(255, 241, 229)"
    fact = page.locator("#change-torture ul.facts")
    assert fact.is_visible()
    assert "Number changed: 140 complaints → 152 complaints" in fact.inner_text()
    assert style(page, "#change-torture ul.facts", "backgroundColor") == "rgb(255, 248, 197)"
    added = page.locator("#change-freedom-of-expression .inline ins")
    assert added.inner_text().startswith("In December, a court in Nur-Sultan")
    removed = page.locator("#change-covid-19 .inline del").first
    assert removed.is_visible()
    assert "lockdown measures" in removed.inner_text()
    # Unchanged sections are collapsed: their text is in the page but not shown.
    unchanged = page.locator("#section-labor-rights")
    assert unchanged.is_visible()
    assert not page.locator("#section-labor-rights p").first.is_visible()
    assert page.locator("details.unchanged").count() == 12
    assert page.locator("script").count() == 0


def test_side_by_side_is_a_css_only_toggle(browser: Browser, tmp_path: Path) -> None:
    page = open_page(browser, report_file(tmp_path, *seed_pair()))
    assert page.locator("#change-torture .inline").is_visible()
    assert not page.locator("#change-torture .side").is_visible()
    page.click("label[for=view-side]")
    assert not page.locator("#change-torture .inline").is_visible()
    old, new = (
        page.locator("#change-torture .side .old"),
        page.locator("#change-torture .side .new"),
    )
    assert old.is_visible()
    assert new.is_visible()
    assert old.locator("del").first.inner_text() == "140"
    assert old.locator("ins").count() == 0
    assert new.locator("ins").first.inner_text() == "152"
    assert new.locator("del").count() == 0
    box_old, box_new = old.bounding_box(), new.bounding_box()
    assert box_old
    assert box_new
    assert box_old["x"] < box_new["x"]
    page.screenshot(path=str(tmp_path / "side.png"))


def test_print_stylesheet_hides_controls_and_collapsed_sections(
    browser: Browser, tmp_path: Path
) -> None:
    page = open_page(browser, report_file(tmp_path, *seed_pair()))
    page.emulate_media(media="print")
    assert not page.locator(".views").is_visible()
    assert not page.locator("#section-labor-rights").is_visible()
    assert page.locator("#change-torture .inline").is_visible()
    pdf = page.pdf()
    assert pdf.startswith(b"%PDF")


def test_russian_edition_report_carries_its_language(browser: Browser, tmp_path: Path) -> None:
    raw = (FIXTURES / "hrw_kazakhstan_2021_ru.html").read_bytes()
    old = extract(decode_html(raw)[0], URL)
    new = extract(
        decode_html(raw.replace("140 жалоб".encode("cp1251"), "152 жалобы".encode("cp1251")))[0],
        URL,
    )
    page = open_page(browser, report_file(tmp_path, old, new))
    assert page.get_attribute("main", "lang") == "ru"
    assert page.locator("#change-пытки .inline ins").first.inner_text().startswith("152")
    assert page.get_attribute("#change-пытки .kind", "lang") == "en"


def test_a_hostile_page_runs_nothing_in_the_report(browser: Browser, tmp_path: Path) -> None:
    hostile = (
        "<script>window.pwned = 1; alert('script')</script> "
        "<img src=x onerror=\"window.pwned = 2; alert('img')\"> "
        "<a href=\"javascript:alert('link')\">read more</a> javascript:alert('text') "
        "<svg onload=alert('svg')></svg> </p></section><style>body{display:none}</style>"
    )
    old = Document(
        url=URL,
        final_url=URL,
        title="Report",
        sections=[Section(key="torture", heading="Torture", level=2, paragraphs=["Nothing yet."])],
    )
    new = Document(
        url=URL,
        final_url=URL,
        title=f"Report {hostile}",
        sections=[
            Section(
                key="torture",
                heading=f"Torture {hostile}",
                level=2,
                paragraphs=[f"Nothing yet. {hostile}"],
            ),
            Section(
                key="new", heading="<b onmouseover=alert(1)>New</b>", level=2, paragraphs=[hostile]
            ),
        ],
    )
    dialogs: list[str] = []
    page = open_page(browser, report_file(tmp_path, old, new), dialogs)
    # Interact with everything the page text could have turned into: hover and click it.
    assert page.locator("main a").count() == 0
    for selector in ("main ins", "main h2", "main summary", "main p", "label"):
        for element in page.locator(selector).all()[:20]:
            if element.is_visible():
                element.hover()
                element.click(no_wait_after=True, trial=False, timeout=2000, force=True)
    page.wait_for_timeout(300)
    assert page.url.endswith("report.html")
    assert dialogs == []
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert page.locator("script, img, svg, iframe, object, embed").count() == 0
    assert page.locator("a[href^=javascript]").count() == 0
    assert page.locator("body").is_visible()
    assert "<script>window.pwned = 1;" in page.locator("#change-torture").inner_text()
