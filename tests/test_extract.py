from __future__ import annotations

import re
from pathlib import Path

import pytest

from rightswatch.extract import ExtractError, ExtractOptions, extract, resolve_profile
from rightswatch.extract.text import normalize, slugify
from rightswatch.fetch import decode_html

FIXTURES = Path(__file__).parent / "fixtures"
HRW_URL = "https://www.hrw.org/world-report/2021/country-chapters/kazakhstan"
SEED_HEADINGS = [
    "Freedom of Assembly", "Civil Society", "Freedom of Expression",
    "Arrest and Harassment of Opposition Members", "Labor Rights",
    "Counterterrorism and Extremism", "Violence against Women and Girls",
    "Sexual Orientation and Gender Identity", "Poverty and Inequality", "Disability Rights",
    "Torture", "Asylum Seekers and Refugees", "Covid-19", "Key International Actors",
]  # fmt: skip


def test_hrw_chapter_is_summary_plus_the_fourteen_seed_sections_in_order(hrw_html: str) -> None:
    doc = extract(hrw_html, HRW_URL, profile="hrw-world-report")
    assert [s.heading for s in doc.sections] == ["Summary", *SEED_HEADINGS]
    assert doc.sections[0].paragraphs[0].startswith("President Kasym-Jomart Tokaev’s promises")
    torture = doc.section("torture")
    assert torture is not None
    assert "received 140 complaints of torture between January and June" in torture.text
    assert len(torture.paragraphs) == 3
    assert doc.title == "World Report 2021: Kazakhstan"
    assert doc.lang == "en"
    assert doc.published == "2021-01-13T05:00:00-05:00"
    assert doc.modified == "2021-01-13T14:33:24-05:00"


def test_hrw_chrome_never_reaches_a_section(hrw_html: str) -> None:
    doc = extract(hrw_html, HRW_URL, profile="hrw-world-report")
    text = "\n".join(s.heading + "\n" + s.text for s in doc.sections)
    for chrome in (
        "Share this via",
        "Browse countries",
        "Donate Now",
        "Other ways to share",
        "Keynote",
        "Available In",
        "Sign Up",
        "Protecting Rights",
        "cookies",
        "REUTERS",
        "Events of 2020",
        "Rethinking Asylum on a Warming Planet",
    ):
        assert chrome not in text, chrome
    # Country names from the browse list that the chapter itself never mentions.
    for country in ("Afghanistan", "Zimbabwe", "Papua New Guinea", "Serbia/Kosovo", "Yemen"):
        assert country in hrw_html, country
        assert country not in text, country


def test_auto_picks_hrw_profile_by_host_and_by_page_signature(hrw_html: str) -> None:
    assert resolve_profile("auto", HRW_URL) == "hrw-world-report"
    assert resolve_profile("auto", "https://example.org/report") == "generic"
    doc = extract(hrw_html, "http://127.0.0.1:8000/kazakhstan", profile="auto")
    assert doc.profile == "hrw-world-report"
    assert len(doc.sections) == 15


def test_heading_anchors_are_kept_for_links_with_fragments(hrw_html: str) -> None:
    doc = extract(hrw_html, HRW_URL)
    assert doc.sections[11].heading == "Torture"
    assert doc.sections[11].anchor == "torture"
    assert doc.sections[0].anchor is None


def test_russian_edition_decodes_from_meta_charset_only() -> None:
    raw = (FIXTURES / "hrw_kazakhstan_2021_ru.html").read_bytes()
    assert b'charset="windows-1251"' in raw
    text, encoding = decode_html(raw, header_charset=None)
    assert encoding == "cp1251"
    doc = extract(text, "https://www.hrw.org/ru/world-report/2021/country-chapters/377404")
    assert doc.lang == "ru"
    assert doc.title == "Всемирный доклад 2021: Казахстан"
    assert [s.heading for s in doc.sections][:3] == [
        "Summary",
        "Свобода собраний",
        "Гражданское общество",
    ]
    assert doc.sections[2].key == "гражданское-общество"
    assert "«распространение заведомо ложной информации»" in doc.sections[2].text
    assert "Поделиться через" not in "".join(s.text for s in doc.sections)


def test_generic_article_keeps_nesting_and_drops_chrome() -> None:
    html = (FIXTURES / "generic_article.html").read_text(encoding="utf-8")
    doc = extract(html, "https://monitor.example.org/kazakhstan-2020")
    assert doc.profile == "generic"
    assert doc.title == "Kazakhstan: Events of 2020"
    by_heading = {s.heading: s for s in doc.sections}
    assert [s.heading for s in doc.sections] == [
        "Kazakhstan: Events of 2020", "Civil and Political Rights", "Freedom of Assembly",
        "Freedom of Expression", "Online Speech", "Economic and Social Rights", "Labor Rights",
        "Poverty and Inequality",
    ]  # fmt: skip
    online = by_heading["Online Speech"]
    assert online.level == 4
    assert online.path == [
        "Kazakhstan: Events of 2020",
        "Civil and Political Rights",
        "Freedom of Expression",
    ]
    assert online.paragraphs == [
        "Bloggers were detained for posts about the pandemic.",
        "Journalists were physically attacked while reporting.",
    ]
    assert by_heading["Labor Rights"].path[-1] == "Economic and Social Rights"
    expression = by_heading["Freedom of Expression"]
    assert [(link.text, link.href) for link in expression.links] == [
        ("OSCE statement", "https://www.osce.org/fom")
    ]
    everything = " ".join(s.text for s in doc.sections)
    for chrome in ("We use cookies", "Share this via", "More from Central Asia", "Home", "©"):
        assert chrome not in everything


def test_generic_falls_back_to_densest_block_without_main_or_article() -> None:
    html = """<html><head><title>Report</title></head><body>
    <div class="menu"><p>Home</p><p>About</p></div>
    <div id="content"><h2>Torture</h2><p>Torture and ill-treatment occur with impunity in the
    country, according to a coalition of rights groups.</p><p>Officials filed six defamation
    lawsuits against a human rights defender between March and July.</p></div>
    <div class="sidebar"><p>Short</p></div></body></html>"""
    doc = extract(html, "https://example.org/r")
    assert [s.heading for s in doc.sections] == ["Torture"]
    assert len(doc.sections[0].paragraphs) == 2


def test_css_profile_uses_the_watch_selectors() -> None:
    html = """<html><body><div class="report"><div class="t">Labor Rights</div>
    <p>Restrictions persist.</p><div class="t">Torture</div><p>140 complaints.</p></div>
    <div class="other"><h2>Ignored</h2><p>Not this.</p></div></body></html>"""
    options = ExtractOptions(content=".report", heading=".t")
    doc = extract(html, "https://example.org/r", profile="css", options=options)
    assert [(s.heading, s.paragraphs) for s in doc.sections] == [
        ("Labor Rights", ["Restrictions persist."]),
        ("Torture", ["140 complaints."]),
    ]
    with pytest.raises(ExtractError, match=r"content selector '\.missing' matched nothing"):
        extract(
            html, "https://example.org/r", profile="css", options=ExtractOptions(content=".missing")
        )


def test_duplicate_headings_get_distinct_stable_keys() -> None:
    html = (
        "<main><h2>Update</h2><p>One.</p><h2>Update</h2><p>Two.</p>"
        "<h2>Update</h2><p>Three.</p></main>"
    )
    doc = extract(html, "https://example.org/r")
    assert [s.key for s in doc.sections] == ["update", "update-2", "update-3"]


def test_text_normalisation_keeps_typographic_quotes() -> None:
    raw = "Har\u00adlem\u00a0D\u0065\u0301sir  said\u200b “insult”\n and ‘false’ \ufeff"
    assert normalize(raw) == "Harlem Désir said “insult” and ‘false’"
    assert normalize("e\u0301") == "\u00e9"  # NFC
    assert slugify("Asylum Seekers and Refugees") == "asylum-seekers-and-refugees"
    assert slugify("Covid-19") == "covid-19"
    assert slugify("  !!!  ") == "section"


def test_inline_markup_and_line_breaks_do_not_glue_or_split_words() -> None:
    html = (
        "<main><h2>Civil Society</h2><p>An <a href='/a'>Almaty</a> court<br>convicted "
        "<em>Asya</em> <strong>Tulesova</strong>.</p><div>Loose text in a div.</div></main>"
    )
    doc = extract(html, "https://example.org/r")
    assert doc.sections[0].paragraphs == [
        "An Almaty court convicted Asya Tulesova.",
        "Loose text in a div.",
    ]
    assert doc.sections[0].links[0].href == "https://example.org/a"


def test_scripts_styles_and_hidden_elements_are_not_text() -> None:
    html = (
        "<main><h2>Torture</h2><p>Real text.<script>var x = 'evil';</script></p>"
        "<style>p{}</style><p hidden>Hidden.</p><p aria-hidden='true'>Also hidden.</p>"
        "<!-- a comment --></main>"
    )
    doc = extract(html, "https://example.org/r")
    assert doc.sections[0].paragraphs == ["Real text."]


def test_page_without_headings_is_one_summary_section() -> None:
    doc = extract(
        "<html><body><p>Only a paragraph of text here.</p></body></html>", "https://example.org/r"
    )
    assert [(s.key, s.heading) for s in doc.sections] == [("summary", "Summary")]


def test_unknown_profile_is_a_clear_error() -> None:
    with pytest.raises(ExtractError, match="unknown profile 'hrw'; choose one of auto"):
        extract("<p>x</p>", "https://example.org/r", profile="hrw")


def test_deep_nesting_does_not_overflow() -> None:
    html = (
        "<main><h2>Top</h2><p>Before.</p>"
        + "<div>" * 10_000
        + "<h2>Deep</h2><p>Bottom.</p>"
        + "</div>" * 10_000
        + "<h2>After</h2><p>Later.</p></main>"
    )
    doc = extract(html, "https://example.org/r")
    # Walked without recursion errors, and the text 10,000 levels down survives, in order,
    # with what comes before and after it.
    assert [(s.heading, s.paragraphs) for s in doc.sections] == [
        ("Top", ["Before."]),
        ("Deep", ["Bottom."]),
        ("After", ["Later."]),
    ]
    assert all(re.match(r"^[\w-]+$", s.key) for s in doc.sections)
