"""PDF reports: HRW chapter PDFs made with reportlab (running header, page numbers, with and
without bookmarks), read by sections, checked and diffed through a loopback server."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from pdfminer.high_level import extract_text
from typer.testing import CliRunner

from rightswatch.check import CheckContext, check_watch
from rightswatch.cli import app
from rightswatch.config import parse_config
from rightswatch.document import Document
from rightswatch.export import change_rows
from rightswatch.extract import extract
from rightswatch.extract.pdf import extract_pdf
from rightswatch.extract.pdf_layout import Line, Outline, build_sections, drop_furniture
from rightswatch.fetch import Fetcher
from rightswatch.result import WatchResult
from rightswatch.store import open_store
from tests.loopback import Loopback
from tests.pdf_fixtures import HEADER, chapter_pdf

FIXTURES = Path(__file__).parent / "fixtures"
TWIN_HTML = (FIXTURES / "hrw_kazakhstan_2021.html").read_text(encoding="utf-8")
URL = "https://www.hrw.org/world-report/2021/country-chapters/kazakhstan"
TWIN = extract(TWIN_HTML, URL)
FIGURE = "reported they had received 140 complaints of torture"
SENTENCE = (
    "The Coalition Against Torture, an anti-torture network of nongovernmental organizations "
    "and experts, reported they had received 214 complaints of torture between January and June."
)
EDITED = extract(TWIN_HTML.replace(FIGURE, FIGURE.replace("140", "214")), URL)


def sections(doc: Document) -> list[tuple[str, list[str]]]:
    return [(s.heading, s.paragraphs) for s in doc.sections]


@pytest.mark.parametrize(("bookmarks", "height"), [(True, None), (False, None), (False, 420)])
def test_pdf_sections_and_paragraphs_equal_the_html_chapter(
    bookmarks: bool, height: float | None
) -> None:
    pdf = chapter_pdf(TWIN, bookmarks=bookmarks, page_height=height)
    doc = extract_pdf(pdf, "http://127.0.0.1/k.pdf")
    assert doc.title == "World Report 2021: Kazakhstan"
    assert doc.profile == "pdf"
    assert doc.pages
    assert doc.pages >= 3
    assert sections(doc) == sections(TWIN)
    text = " ".join(p for s in doc.sections for p in s.paragraphs)
    assert HEADER not in text
    assert "Human Rights Watch ·" not in text


def test_title_comes_from_the_first_heading_without_document_info() -> None:
    doc = extract_pdf(chapter_pdf(TWIN, bookmarks=False, info_title=False), "http://x/k.pdf")
    assert doc.title == "Kazakhstan"
    assert doc.sections[0].heading == "Summary"


def test_a_paragraph_crossing_a_page_break_is_one_paragraph() -> None:
    pdf = chapter_pdf(TWIN, bookmarks=False)
    pages = [" ".join(extract_text(io.BytesIO(pdf), page_numbers=[n]).split()) for n in range(4)]
    crossing = [
        p
        for s in TWIN.sections
        for p in s.paragraphs
        for n in range(3)
        if " ".join(p.split()[:6]) in pages[n] and " ".join(p.split()[-6:]) in pages[n + 1]
    ]
    assert crossing, "the layout put no paragraph across a page break"
    doc = extract_pdf(pdf, "http://x/k.pdf")
    paragraphs = [p for s in doc.sections for p in s.paragraphs]
    for paragraph in crossing:
        assert paragraph in paragraphs


def line(text: str, top: float, x1: float = 500, size: float = 10, page: int = 0) -> Line:
    return Line(text, page, top, top + size, 50, x1, size, False, 800)


def test_line_end_hyphens_are_undone_but_real_hyphens_kept() -> None:
    lines = [
        line("Prisoners of the penal colony reported inter-", 100),
        line("national monitors were refused entry after Covid-", 113),
        line("19 restrictions, and an anti-torture group said the anti-", 126),
        line("torture law was ignored by the regional authorities.", 139, x1=300),
    ]
    _, found = build_sections(lines, [], "T")
    assert found[0].paragraphs == [
        "Prisoners of the penal colony reported international monitors were refused entry "
        "after Covid-19 restrictions, and an anti-torture group said the anti-torture law was "
        "ignored by the regional authorities."
    ]


@pytest.fixture
def check(loopback: Loopback, tmp_path: Path) -> Iterator[object]:
    config = parse_config(
        f"snapshots: {tmp_path / 's'}\nfetch: {{per_host_delay: 0, retries: 0, timeout: 5}}\n"
        "watches:\n  - {id: report, url: 'http://127.0.0.1/'}\n"
    )
    ctx = CheckContext(
        config=config, store=open_store(config.snapshots), fetcher=Fetcher(config.fetch)
    )

    def run(pdf: bytes, path: str = "/report.pdf", ctype: str = "application/pdf") -> WatchResult:
        url = loopback.page(path, pdf, ctype=ctype)
        return check_watch(config.watches[0].model_copy(update={"url": url}), ctx)

    run.ctx = ctx  # type: ignore[attr-defined]
    yield run
    ctx.close()


@pytest.mark.parametrize(
    ("bookmarks", "ctype", "path"),
    [
        (True, "application/pdf", "/report"),
        (False, "application/pdf", "/report"),
        (False, "application/octet-stream", "/kazakhstan.pdf"),
    ],
)
def test_an_edited_figure_is_reported_in_its_section_with_the_whole_sentence(
    check,
    bookmarks: bool,
    ctype: str,
    path: str,  # type: ignore[no-untyped-def]
) -> None:
    old, new = chapter_pdf(TWIN, bookmarks=bookmarks), chapter_pdf(EDITED, bookmarks=bookmarks)
    first = check(old, path, ctype)
    assert first.status == "baseline", first.error
    second = check(new, path, ctype)
    assert second.status == "changed", second.error
    assert [c.key for c in second.changes] == ["torture"]
    (sentence,) = second.changes[0].sentences
    assert (sentence.kind, sentence.new) == ("changed", SENTENCE)
    assert sentence.old == SENTENCE.replace("214", "140")
    ctx = check.ctx
    rows = list(change_rows(ctx.store, ["report"], {w.id: w for w in ctx.config.watches}))
    assert rows
    assert rows[-1]["new_raw_sha256"] == hashlib.sha256(new).hexdigest()


def test_a_pdf_that_loses_most_of_its_pages_is_suspect(check) -> None:  # type: ignore[no-untyped-def]
    assert check(chapter_pdf(TWIN, bookmarks=True)).status == "baseline"
    short = TWIN.model_copy(update={"sections": TWIN.sections[:3]})
    result = check(chapter_pdf(short, bookmarks=True))
    assert result.status == "suspect"
    assert "shrank" in (result.error or "")
    kept = check.ctx.store.blobs.list("report/suspect")
    assert len(kept) == 1
    assert kept[0].endswith(".pdf")


def test_not_a_pdf_served_as_pdf_is_an_error_not_a_baseline(check) -> None:  # type: ignore[no-untyped-def]
    result = check(b"<html>oops</html>")
    assert result.status == "error"
    assert "not a PDF" in (result.error or "")


def test_sections_command_reads_a_pdf_file_and_url(tmp_path: Path, loopback: Loopback) -> None:
    pdf = chapter_pdf(TWIN, bookmarks=False)
    (tmp_path / "k.pdf").write_bytes(pdf)
    runner = CliRunner()
    result = runner.invoke(app, ["sections", str(tmp_path / "k.pdf")], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "profile pdf · 15 sections" in result.output
    assert "Torture (202 words)" in result.output
    url = loopback.page("/k.pdf", pdf, ctype="application/pdf")
    result = runner.invoke(app, ["sections", url, "--json"], env={"RIGHTSWATCH_CONFIG": ""})
    assert result.exit_code == 0, result.output
    assert '"profile": "pdf"' in result.stdout


def test_nested_bookmarks_give_levels_and_paths_and_furniture_goes() -> None:
    lines = []
    for page in range(3):
        lines += [
            line("Annual Report 2024", 20, size=8, page=page),  # running header
            line(f"Page {page + 1} of 3", 780, size=8, page=page),  # footer
        ]
    lines += [
        line("Europe and Central Asia", 100, size=12),
        line("Kazakhstan", 120, size=12),
        line("Courts fined protesters throughout the year.", 140, x1=300),
        line("Kyrgyzstan", 100, size=12, page=1),
        line("A new media law was adopted in August.", 120, x1=300, page=1),
    ]
    lines.sort(key=lambda ln: (ln.page, ln.top))
    outline = [Outline("Europe and Central Asia", 1), Outline("Kazakhstan", 2)]
    outline.append(Outline("Kyrgyzstan", 2))
    _, found = build_sections(drop_furniture(lines, 3), outline, "Annual Report 2024")
    assert [(s.heading, s.level, s.path, s.paragraphs) for s in found] == [
        ("Europe and Central Asia", 1, [], []),
        (
            "Kazakhstan",
            2,
            ["Europe and Central Asia"],
            ["Courts fined protesters throughout the year."],
        ),
        ("Kyrgyzstan", 2, ["Europe and Central Asia"], ["A new media law was adopted in August."]),
    ]
