"""The parse step's cut (extract/cut.py) changes nothing a user sees: every page and profile
gives the same Document, and the same reason for its profile, as parsing the whole page."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from rightswatch.document import Document
from rightswatch.extract import cut, extract_explained

FIXTURES = Path(__file__).parent / "fixtures"
# (fixture, URL, profile): by host, by signature (a mirror), named, and generic.
CASES = [
    (
        "hrw_kazakhstan_2021.html",
        "https://www.hrw.org/world-report/2021/country-chapters/kz",
        "auto",
    ),
    ("hrw_kazakhstan_2021.html", "http://mirror.example/kz", "auto"),
    ("hrw_kazakhstan_2021.html", "http://mirror.example/kz", "generic"),
    ("hrw_kazakhstan_2021_ru.html", "https://www.hrw.org/ru/world-report/2021/kz", "auto"),
    ("hrw_kazakhstan_2018.html", "https://www.hrw.org/world-report/2018/kz", "auto"),
    (
        "amnesty_kazakhstan.html",
        "https://www.amnesty.org/en/location/kz/report-kazakhstan/",
        "auto",
    ),
    ("amnesty_kazakhstan.html", "http://mirror.example/amnesty", "auto"),
    ("state_kazakhstan.html", "https://www.state.gov/reports/2023/kazakhstan/", "auto"),
    ("state_kazakhstan.html", "http://mirror.example/state", "state-country-report"),
    ("freedomhouse_kazakhstan.html", "https://freedomhouse.org/country/kz/2024", "auto"),
    ("freedomhouse_kazakhstan.html", "http://mirror.example/fh", "auto"),
    ("generic_article.html", "http://news.example/story", "auto"),
    ("pairs/section_renamed.html", "https://www.hrw.org/world-report/2021/kz", "auto"),
    ("pairs/chrome_only.html", "http://mirror.example/kz", "generic"),
]


def whole(html: str, url: str, profile: str) -> tuple[Document, str]:
    """What extract gave before the cut: BeautifulSoup over the whole page."""
    saved = cut._container

    def never(spec: object, tree: object) -> object:
        raise cut._Whole()

    cut._container = never  # type: ignore[assignment]
    try:
        return extract_explained(html, url, profile=profile)
    finally:
        cut._container = saved


@pytest.mark.parametrize(("name", "url", "profile"), CASES)
def test_the_cut_gives_the_same_document_and_reason(name: str, url: str, profile: str) -> None:
    raw = (FIXTURES / name).read_bytes()
    html = raw.decode("cp1251" if b"windows-1251" in raw[:400] else "utf-8")
    parsed = cut.cut_parse(html, url, profile)
    expected = whole(html, url, profile)
    assert extract_explained(html, url, profile=profile) == expected
    assert expected[0].sections, "the fixture has sections to compare"
    assert parsed.cut
    assert len(str(parsed.soup)) < len(html)


def test_pages_whose_container_is_unknown_are_parsed_whole() -> None:
    # Two articles: generic picks the longest, which is decided on the whole page.
    page = (
        "<html><head><title>T</title></head><body>"
        "<article><h2>Short</h2><p>Only a teaser paragraph that is long enough.</p></article>"
        "<article><h2>Long</h2><p>" + "The full story, with many words in it. " * 20 + "</p>"
        "</article></body></html>"
    )
    parsed = cut.cut_parse(page, "http://news.example/", "auto")
    assert not parsed.cut
    doc, _ = extract_explained(page, "http://news.example/")
    assert [s.heading for s in doc.sections] == ["Long"]
    # No <head>: page_meta then reads <meta> anywhere, so nothing is cut away.
    assert not cut.cut_parse("<main><p>text</p></main>", "http://x.example/", "generic").cut


def test_the_cut_keeps_title_language_and_dates_from_outside_the_container() -> None:
    page = (
        '<html lang="kk"><head><title>Report | Site</title>'
        '<meta property="og:site_name" content="Site"></head><body>'
        '<header><time datetime="2024-01-02">2 Jan</time></header>'
        "<main><h2>Section</h2><p>Body text of the section, long enough to count.</p></main>"
        "<footer><p>footer text that is not content at all</p></footer></body></html>"
    )
    parsed = cut.cut_parse(page, "http://site.example/r", "generic")
    assert parsed.cut
    assert "footer text" not in str(parsed.soup)
    doc, _ = extract_explained(page, "http://site.example/r", profile="generic")
    assert (doc.title, doc.lang, doc.published) == ("Report", "kk", "2024-01-02")
    assert doc == whole(page, "http://site.example/r", "generic")[0]


TRICKY = (
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
    '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd"><!-- before -->'
    '<html xml:lang="en" lang="en"><head><title>T &amp; U</title><!-- c -->'
    '<meta charset="utf-8"></head><body><main><?php echo 1 ?>'
    "<p>a &nbsp; b &copy; &unknown; <b>x</b> tail</p><!-- inner --><template><p>t</p></template>"
    "<svg><path d='M0'/></svg><p xml:lang=\"fr\" data-x='\"q\"'>é</p>"
    "<script>if (a < b && c > d) {}</script><textarea> x </textarea><pre>\n  keep\n</pre>"
    + "<div>" * 200
    + "deep"
    + "</div>" * 200
    + "</main></body></html><!-- after -->"
)


def test_the_soup_built_from_the_tree_is_the_soup_a_second_parse_gave() -> None:
    """replay.py hands bs4 the parser's calls from the pruned lxml tree; the soup must be the
    one BeautifulSoup(tostring(tree)) built, node for node."""
    from bs4 import BeautifulSoup
    from lxml import etree

    from rightswatch.extract.replay import soup_of

    root = etree.HTML(TRICKY)
    reparsed = BeautifulSoup(
        etree.tostring(root.getroottree(), method="html", encoding="unicode"), "lxml"
    )
    replayed = soup_of(root)
    assert str(replayed) == str(reparsed)
    assert [(type(n).__name__, getattr(n, "attrs", None)) for n in replayed.descendants] == [
        (type(n).__name__, getattr(n, "attrs", None)) for n in reparsed.descendants
    ]
    assert "deep" in replayed.get_text()
    assert str(copy.copy(replayed)) == str(replayed)  # a copy of the soup parses its markup
