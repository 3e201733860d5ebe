"""The generic profile's link density, measured once per element, equals measuring each box's
own text (tag_text) and its links' text one box at a time, as the profile did before."""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

from bs4 import BeautifulSoup, Tag
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rightswatch.extract import extract
from rightswatch.extract.density import JOINS_BACK, LinkDensity, joins_back
from rightswatch.extract.walk import tag_text

FIXTURES = Path(__file__).parent / "fixtures"


def _by_hand(tag: Tag) -> tuple[int, int, int]:
    links = tag.find_all("a")
    return len(links), len(tag_text(tag)), sum(len(tag_text(a)) for a in links)


def _check_every_element(soup: BeautifulSoup) -> int:
    density, exact = LinkDensity(), 0
    for tag in [soup, *soup.find_all(True)]:
        measure = density.measure(tag)
        if measure.exact:
            exact += 1
            assert (measure.links, measure.text.length, measure.linked) == _by_hand(tag), tag
        else:
            assert measure.links == len(tag.find_all("a")), tag
    return exact


def test_every_element_of_every_fixture_page_measures_as_by_hand() -> None:
    pages = sorted(FIXTURES.glob("*.html")) + sorted((FIXTURES / "pairs").glob("*.html"))
    assert len(pages) >= 8
    for page in pages:
        soup = BeautifulSoup(page.read_bytes(), "lxml")
        # Their text is NFC already, so no element needs the slow path.
        assert _check_every_element(soup) == len(soup.find_all(True)) + 1, page.name


PIECES = st.sampled_from(
    [
        "word",
        "two words",
        "\u00a0",
        "\u3000",
        "\u200b",
        "\u00ad",
        "e",
        "\u0301",
        "\u0323",
        "\u1100",
        "\u1161",
        "\u0bc6",
        "\u0bbe",
        "caf\u00e9",
        "Пытки",
        "\ufeff",
        "x\u200dy",
        "",
    ]
)
EDGES = st.sampled_from(["", "", " ", "\n\t ", "\u00a0"])
TEXT = st.tuples(EDGES, st.lists(PIECES, max_size=3).map("".join), EDGES).map("".join)
TAGS = st.sampled_from(["div", "a", "span", "br", "script", "nav", "ul", "li", "p", "b"])
NODES = st.recursive(
    TEXT | TEXT.map(lambda t: f"<!--{t}-->") | st.just("<br>"),
    lambda inner: st.tuples(TAGS.filter(lambda n: n != "br"), st.lists(inner, max_size=4)).map(
        lambda pair: f"<{pair[0]}>{''.join(pair[1])}</{pair[0]}>"
    ),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(NODES, max_size=5).map("".join))
@example("L<div> <b>x</b></div>")  # white space opening a box, after text outside it
@example("e<a>\u0301</a><a>\u1161</a><a>x</a>")  # NFC joins across elements: the slow path
def test_generated_markup_measures_as_by_hand(fragment: str) -> None:
    # Spaces of every kind, <br>, skipped elements, links in links and in skipped elements,
    # comments, invisible characters, and combining marks and jamo on element boundaries.
    _check_every_element(BeautifulSoup(f"<main><div>{fragment}</div></main>", "lxml"))


def test_only_characters_nfc_could_join_backwards_leave_the_fast_path() -> None:
    # Of no combining class and the second half of a canonical pair: the set must hold them all.
    found = set()
    for code in range(sys.maxunicode + 1):
        parts = unicodedata.decomposition(chr(code)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            second = chr(int(parts[1], 16))
            if unicodedata.combining(second) == 0:
                found.add(second)
    assert found <= JOINS_BACK
    assert [joins_back(c) for c in "\u0301\u1161\u0bbe"] == [True, True, True]
    assert [joins_back(c) for c in "eП\u00a0"] == [False, False, False]


def test_a_page_10000_boxes_deep_with_links_at_the_bottom_is_measured_once_per_box() -> None:
    html = "<main>" + "<div>" * 10_000 + "<a>1</a> <a>2</a> <a>3</a> text" + "</div>" * 10_000
    soup = BeautifulSoup(html + "</main>", "lxml")
    density = LinkDensity()
    boxes = soup.find_all("div")
    assert len(boxes) == 10_000
    measures = [density.measure(box) for box in boxes]  # outermost first, as the walk asks
    assert {(m.links, m.text.length, m.linked) for m in measures} == {(3, 10, 3)}


def test_a_teaser_list_whose_links_nfc_joins_to_the_text_before_them_is_still_dropped() -> None:
    article = "<p>Officials filed six defamation lawsuits against a rights defender this year.</p>"
    teasers = "".join(
        f'<li>e<a href="/t{n}">\u0301tude {n} on detention conditions</a></li>' for n in range(3)
    )
    page = f"<html><body><main><h2>Freedom of expression</h2>{article}<ul>{teasers}</ul></main>"
    soup = BeautifulSoup(page, "lxml")
    assert not LinkDensity().measure(soup.ul).exact  # measured from the text itself
    doc = extract(page, "https://example.org/r", profile="generic")
    assert [(s.heading, s.paragraphs) for s in doc.sections] == [
        ("Freedom of expression", [tag_text(soup.p)])
    ]
