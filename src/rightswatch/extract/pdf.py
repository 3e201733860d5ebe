"""A PDF report → Document, read with pdfminer.six (chosen by measurement: README "PDF reports").

pdfminer gives each character's font and size, which heading detection needs, and reads the
outline and document info from the same parse.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterator
from typing import Any

from pdfminer.converter import PDFPageAggregator
from pdfminer.layout import LAParams, LTChar, LTPage, LTTextLineHorizontal
from pdfminer.pdfdocument import PDFDocument, PDFNoOutlines
from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import resolve1
from pdfminer.psparser import PSException
from pdfminer.utils import decode_text

from rightswatch.document import Document
from rightswatch.extract.pdf_layout import Line, Outline, build_sections, drop_furniture
from rightswatch.extract.text import normalize

__all__ = ["PDF_TYPE", "PdfError", "extract_pdf", "is_pdf", "read_lines"]

PDF_TYPE = "application/pdf"


class PdfError(ValueError):
    """The bytes are not a readable PDF; the message says so."""


def is_pdf(body: bytes) -> bool:
    return body.lstrip()[:5] == b"%PDF-"


def _walk_lines(item: Any) -> Iterator[LTTextLineHorizontal]:
    if isinstance(item, LTTextLineHorizontal):
        yield item
        return
    if hasattr(item, "__iter__"):
        for child in item:
            yield from _walk_lines(child)


def _line(item: LTTextLineHorizontal, page: int, height: float) -> Line | None:
    chars = [c for c in item if isinstance(c, LTChar)]
    text = item.get_text().strip()
    if not chars or not text:
        return None
    sizes = Counter(round(c.size, 1) for c in chars)
    bold = sum("bold" in c.fontname.lower() for c in chars) > len(chars) / 2
    return Line(
        text=text,
        page=page,
        top=height - item.y1,
        bottom=height - item.y0,
        x0=item.x0,
        x1=item.x1,
        size=sizes.most_common(1)[0][0],
        bold=bold,
        page_height=height,
    )


def _text(value: Any) -> str:
    value = resolve1(value)
    if isinstance(value, bytes):
        return normalize(decode_text(value))
    return normalize(value) if isinstance(value, str) else ""


def _outline(doc: PDFDocument) -> list[Outline]:
    try:
        return [Outline(_text(title), level) for level, title, *_ in doc.get_outlines()]
    except PDFNoOutlines:
        return []


def read_lines(body: bytes) -> tuple[list[Line], int, list[Outline], str]:
    """(lines in reading order, page count, bookmarks, document-info title)."""
    try:
        parser = PDFParser(io.BytesIO(body))
        doc = PDFDocument(parser)
    except (PSException, ValueError, KeyError, TypeError) as exc:
        raise PdfError(f"not a readable PDF ({type(exc).__name__}: {exc})") from None
    manager = PDFResourceManager()
    device = PDFPageAggregator(manager, laparams=LAParams())
    interpreter = PDFPageInterpreter(manager, device)
    lines: list[Line] = []
    pages = 0
    for number, page in enumerate(PDFPage.create_pages(doc)):
        interpreter.process_page(page)
        layout: LTPage = device.get_result()
        found = [ln for item in _walk_lines(layout) if (ln := _line(item, number, layout.height))]
        lines.extend(sorted(found, key=lambda ln: (ln.top, ln.x0)))
        pages = number + 1
    info = doc.info[0] if doc.info else {}
    return lines, pages, _outline(doc), _text(info.get("Title"))


def extract_pdf(body: bytes, url: str, *, final_url: str | None = None) -> Document:
    """Sections from the bookmarks, else from heading fonts; furniture dropped, text re-flowed."""
    lines, pages, outline, info_title = read_lines(body)
    kept = drop_furniture(lines, pages)
    title, sections = build_sections(kept, outline, info_title)
    return Document(
        url=url,
        final_url=final_url or url,
        title=title,
        profile="pdf",
        sections=sections,
        pages=pages,
    )
