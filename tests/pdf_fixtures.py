"""PDF editions of a report, made with reportlab the way publishers lay them out: a title, bold
section headings, justified body text, a running header and page numbers, and optionally
bookmarks. Shared by the tests and benchmarks/pdf_libs.py."""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer

from rightswatch.document import Document

HEADER = "Human Rights Watch · World Report 2021"
TITLE = ParagraphStyle("title", fontName="Helvetica-Bold", fontSize=22, leading=28, spaceAfter=12)
HEADING = ParagraphStyle(
    "heading", fontName="Helvetica-Bold", fontSize=13, leading=17, spaceBefore=10, spaceAfter=4
)
BODY = ParagraphStyle(
    "body", fontName="Times-Roman", fontSize=10.5, leading=13.5, spaceAfter=7, alignment=4
)


class _Bookmark(Flowable):  # type: ignore[misc]
    """A zero-size flowable that adds an outline entry where it lands."""

    def __init__(self, title: str, level: int) -> None:
        super().__init__()
        self.title, self.level = title, level

    def wrap(self, *_: Any) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        key = f"b{id(self)}"
        self.canv.bookmarkPage(key)
        self.canv.addOutlineEntry(self.title, key, level=self.level)


def _furniture(canvas: Any, doc: Any) -> None:
    canvas.saveState()
    canvas.setFont("Helvetica", 8)
    width, height = A4
    canvas.drawString(20 * mm, height - 12 * mm, HEADER)
    canvas.drawRightString(width - 20 * mm, 10 * mm, str(doc.page))
    canvas.restoreState()


def chapter_pdf(
    doc: Document, *, bookmarks: bool, info_title: bool = True, page_height: float | None = None
) -> bytes:
    """`doc` (an extracted HRW chapter) as a PDF; the intro section goes under the title."""
    out = io.BytesIO()
    size = (A4[0], page_height or A4[1])
    pdf = SimpleDocTemplate(
        out,
        pagesize=size,
        topMargin=25 * mm,
        bottomMargin=22 * mm,
        title=doc.title if info_title else "",
        author="Human Rights Watch",
    )
    story: list[Flowable] = [Paragraph(escape(doc.title.split(": ")[-1]), TITLE)]
    for section in doc.sections:
        if section.level:
            if bookmarks:
                story.append(_Bookmark(section.heading, 0))
            story.append(Paragraph(escape(section.heading), HEADING))
        story.extend(Paragraph(escape(p), BODY) for p in section.paragraphs)
    story.append(Spacer(1, 1))
    pdf.build(story, onFirstPage=_furniture, onLaterPages=_furniture)
    return out.getvalue()
