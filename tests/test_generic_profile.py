"""The generic profile on the labelled evaluation pages (benchmarks/generic_corpus.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from rightswatch.extract import extract

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from generic_corpus import build
from generic_eval import _from_sections, score

PAGES = build()


@pytest.mark.parametrize(("name", "page", "label"), PAGES, ids=[p[0] for p in PAGES])
def test_every_layout_yields_its_body_and_its_headings(
    name: str, page: str, label: dict[str, object]
) -> None:
    doc = extract(page, "https://example.org/page", profile="generic")
    precision, recall, _, headings_kept = score(label, *_from_sections(doc.sections))
    assert precision >= 0.9, (name, precision, recall)
    assert recall >= 0.98, (name, precision, recall)
    assert headings_kept == 1.0, [(s.level, s.heading) for s in doc.sections]


def test_a_page_with_no_container_takes_the_located_main_text_and_keeps_anchors() -> None:
    page = """<html><body><div class="row"><div class="col-8"><h2 id="torture">Torture</h2>
    <p>Torture and ill-treatment in detention occur with impunity in the country, according
    to a coalition of rights groups that documented the cases this year.</p>
    <p>Officials filed six defamation lawsuits against a human rights defender between March
    and July, and two of them are still pending before the district court.</p></div>
    <div class="col-4"><h3>Latest</h3><ul><li><a href="/a">A teaser about another country
    and its elections</a></li><li><a href="/b">A second teaser about a press freedom
    award</a></li><li><a href="/c">A third teaser about a new report on prisons</a></li>
    </ul></div></div></body></html>"""
    doc = extract(page, "https://example.org/r", profile="generic")
    assert [(s.heading, s.anchor, len(s.paragraphs)) for s in doc.sections] == [
        ("Torture", "torture", 2)
    ]
