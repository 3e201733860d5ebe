"""Which PDF library reads report PDFs best: pypdf, pdfminer.six or pdfplumber.

    python benchmarks/pdf_libs.py [--iterations 3]

Each library only turns pages into lines with their font size and weight (and gives the
outline and document title); the same rightswatch layout code (extract/pdf_layout.py) then
drops furniture, finds headings and re-flows paragraphs. The PDFs are the HRW Kazakhstan
chapter laid out with reportlab as publishers do (tests/pdf_fixtures.py): with and without
bookmarks, on A4 and on short pages (many page breaks), and a 5-chapter volume. Accuracy is
measured against the HTML chapter's own sections; speed as milliseconds per page.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests.pdf_fixtures import HEADER, chapter_pdf  # noqa: E402

from rightswatch.document import Document, Section  # noqa: E402
from rightswatch.extract import extract  # noqa: E402
from rightswatch.extract.pdf import read_lines  # noqa: E402
from rightswatch.extract.pdf_layout import (  # noqa: E402
    Line,
    Outline,
    build_sections,
    drop_furniture,
)

Reader = Callable[[bytes], tuple[list[Line], int, list[Outline], str]]


def read_pypdf(body: bytes) -> tuple[list[Line], int, list[Outline], str]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(body))
    lines: list[Line] = []
    for number, page in enumerate(reader.pages):
        height = float(page.mediabox.height)
        chunks: list[tuple[float, float, float, bool, str]] = []

        def visit(
            text: str, cm: Any, tm: Any, font: Any, size: float, chunks: list[Any] = chunks
        ) -> None:
            if text.strip():
                scale = abs(tm[3] * cm[3]) or 1.0
                y = tm[5] * cm[3] + cm[5]
                x = tm[4] * cm[0] + cm[4]
                bold = "bold" in str((font or {}).get("/BaseFont", "")).lower()
                chunks.append((y, x, size * scale, bold, text))

        page.extract_text(visitor_text=visit)
        rows: dict[float, list[tuple[float, float, float, bool, str]]] = {}
        for chunk in chunks:
            rows.setdefault(round(chunk[0], 0), []).append(chunk)
        for y, row in sorted(rows.items(), key=lambda kv: -kv[0]):
            row.sort(key=lambda c: c[1])
            text = " ".join(" ".join(c[4] for c in row).split())
            size = max(c[2] for c in row)
            width = sum(len(c[4]) for c in row) * size * 0.48  # pypdf gives no glyph widths
            lines.append(
                Line(text, number, height - y - size, height - y, row[0][1], row[0][1] + width,
                     round(size, 1), all(c[3] for c in row), height)
            )  # fmt: skip
    outline = [Outline(str(o.title), 1) for o in _flat(reader.outline)]
    title = (reader.metadata.title if reader.metadata else None) or ""
    return lines, len(reader.pages), outline, str(title)


def _flat(items: Any) -> list[Any]:
    out: list[Any] = []
    for item in items:
        out.extend(_flat(item) if isinstance(item, list) else [item])
    return out


def read_pdfplumber(body: bytes) -> tuple[list[Line], int, list[Outline], str]:
    import pdfplumber
    from pdfminer.pdfdocument import PDFNoOutlines
    from pdfminer.utils import decode_text

    with pdfplumber.open(io.BytesIO(body)) as pdf:
        lines: list[Line] = []
        for number, page in enumerate(pdf.pages):
            for row in page.extract_text_lines(return_chars=True):
                chars = row["chars"]
                size = statistics.mode(round(c["size"], 1) for c in chars)
                bold = sum("bold" in c["fontname"].lower() for c in chars) > len(chars) / 2
                lines.append(
                    Line(row["text"], number, row["top"], row["bottom"], row["x0"], row["x1"],
                         size, bold, float(page.height))
                )  # fmt: skip
        try:
            outline = [
                Outline(decode_text(t) if isinstance(t, bytes) else str(t), level)
                for level, t, *_ in pdf.doc.get_outlines()
            ]
        except PDFNoOutlines:
            outline = []
        return lines, len(pdf.pages), outline, str(pdf.metadata.get("Title", ""))


READERS: dict[str, Reader] = {
    "pypdf": read_pypdf,
    "pdfminer.six": read_lines,
    "pdfplumber": read_pdfplumber,
}


def corpus(chapter: Document) -> dict[str, tuple[bytes, list[Section]]]:
    # Chapters after the first: their intro runs on under the previous chapter's last heading.
    rest = chapter.sections[1:]
    volume = chapter.model_copy(update={"sections": chapter.sections + rest * 4})
    return {
        "A4, bookmarks": (chapter_pdf(chapter, bookmarks=True), chapter.sections),
        "A4, no bookmarks": (chapter_pdf(chapter, bookmarks=False), chapter.sections),
        "short pages": (chapter_pdf(chapter, bookmarks=False, page_height=420), chapter.sections),
        "5-chapter volume": (chapter_pdf(volume, bookmarks=True), volume.sections),
    }


def score(reader: Reader, body: bytes, want: list[Section]) -> tuple[float, float, bool, int]:
    """(share of paragraphs exact, share of headings exact, furniture leaked?, pages)."""
    lines, pages, outline, title = reader(body)
    _, got = build_sections(drop_furniture(lines, pages), outline, title)
    paragraphs = {p for s in got for p in s.paragraphs}
    wanted = [p for s in want for p in s.paragraphs]
    exact = sum(p in paragraphs for p in wanted) / len(wanted)
    headings = [s.heading for s in got] == [s.heading for s in want]
    leaked = any(HEADER in p for p in paragraphs)
    return exact, float(headings), leaked, pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=3)
    args = parser.parse_args()
    html = (ROOT / "tests" / "fixtures" / "hrw_kazakhstan_2021.html").read_text()
    chapter = extract(html, "https://www.hrw.org/world-report/2021/country-chapters/kazakhstan")
    pdfs = corpus(chapter)
    print(f"{'library':<14}{'PDF':<20}{'pages':>6}{'paras ok':>10}{'headings':>10}"
          f"{'furniture':>11}{'ms/page':>9}")  # fmt: skip
    for name, reader in READERS.items():
        for label, (body, want) in pdfs.items():
            exact, headings, leaked, pages = score(reader, body, want)
            times = []
            for _ in range(args.iterations):
                started = time.perf_counter()
                reader(body)
                times.append((time.perf_counter() - started) * 1000 / pages)
            found = "all" if headings else "no"
            furniture = "leaked" if leaked else "none"
            ms = statistics.median(times)
            print(
                f"{name:<14}{label:<20}{pages:>6}{exact:>10.0%}{found:>10}{furniture:>11}{ms:>9.1f}"
            )


if __name__ == "__main__":
    main()
