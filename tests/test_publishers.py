"""The four publishers' pages: exact outlines, chrome never in a section, auto-detection from
any host, scores as facts, and Amnesty's yearly overwrite as an edition."""

from __future__ import annotations

import json
from dataclasses import fields, replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rightswatch.cli import app
from rightswatch.diff import diff_documents
from rightswatch.document import Document
from rightswatch.editions import edition_label, rolled_over
from rightswatch.extract import explain_profile, extract
from rightswatch.textdiff import facts_in
from tests.fixtures import publishers as pub

FIXTURES = Path(__file__).parent / "fixtures"
runner = CliRunner()
PR, CL = "Political Rights", "Civil Liberties"
A, B = "A. Electoral Process", "B. Political Pluralism and Participation"
D, G = "D. Freedom of Expression and Belief", "G. Personal Autonomy and Individual Rights"
S1 = "Section 1. Respect for the Integrity of the Person"
S2 = "Section 2. Respect for Civil Liberties"
S7 = "Section 7. Worker Rights"
C = "C. TORTURE AND OTHER CRUEL, INHUMAN, OR DEGRADING TREATMENT OR PUNISHMENT"
EXPRESSION = "A. FREEDOM OF EXPRESSION, INCLUDING FOR MEMBERS OF THE PRESS AND OTHER MEDIA"
OUTLINES: dict[str, tuple[str, list[tuple[str, int, list[str]]]]] = {
    "amnesty_kazakhstan.html": ("amnesty", [
        ("Summary", 0, []),
        ("Freedom of peaceful assembly", 2, []),
        ("Freedom of expression", 2, []),
        ("Freedom of association", 2, []),
        ("Torture and other ill-treatment", 2, []),
        ("Workers' rights", 2, []),
    ]),
    "state_kazakhstan.html": ("state-country-report", [
        ("EXECUTIVE SUMMARY", 2, []),
        (S1, 2, []),
        ("A. ARBITRARY DEPRIVATION OF LIFE AND OTHER UNLAWFUL OR POLITICALLY MOTIVATED "
         "KILLINGS", 3, [S1]),
        ("B. DISAPPEARANCE", 3, [S1]),
        (C, 3, [S1]),
        ("Prison and Detention Center Conditions", 4, [S1, C]),
        (S2, 2, []),
        (EXPRESSION, 3, [S2]),
        ("Internet Freedom", 4, [S2, EXPRESSION]),
        (S7, 2, []),
        ("A. FREEDOM OF ASSOCIATION AND THE RIGHT TO COLLECTIVE BARGAINING", 3, [S7]),
    ]),
    "freedomhouse_kazakhstan.html": ("freedom-house", [
        ("Scores", 2, []),
        ("Overview", 2, []),
        ("Key Developments in 2024", 2, []),
        (PR, 2, []),
        (A, 3, [PR]),
        ("A1 0-4 pts", 4, [PR, A]),
        ("A2 0-4 pts", 4, [PR, A]),
        (B, 3, [PR]),
        ("B1 0-4 pts", 4, [PR, B]),
        (CL, 2, []),
        (D, 3, [CL]),
        ("D1 0-4 pts", 4, [CL, D]),
        (G, 3, [CL]),
        ("G1 0-4 pts", 4, [CL, G]),
    ]),
    "hrw_kazakhstan_2018.html": ("hrw-world-report", [
        ("Summary", 0, []),
        ("Freedom of Expression", 3, []),
        ("Freedom of Association", 3, []),
        ("Key International Actors", 3, []),
    ]),
}  # fmt: skip
CHROME = (
    "Back to Kazakhstan", "Related", "Facebook", "Twitter", "cookies", "Accept all",
    "Choose a country", "Kyrgyzstan", "Donate", "Skip to", "header1", "header5",
    "official website", "Here's how you know", "Freedom on the Net", "Explore the Map",
    "Careers", "Activists detained", "© 2024", "dataLayer", "dateModified", "Table of contents",
    "Bureau of Democracy", "Events of 2017", "Share",
)  # fmt: skip
BUILDERS = {
    "amnesty_kazakhstan.html": pub.amnesty,
    "state_kazakhstan.html": pub.state,
    "freedomhouse_kazakhstan.html": pub.freedom_house,
    "hrw_kazakhstan_2018.html": pub.hrw_2018,
}


def _outline(doc: dict[str, object]) -> list[tuple[str, int, list[str]]]:
    return [(s["heading"], s["level"], s["path"]) for s in doc["sections"]]  # type: ignore[index, attr-defined]


@pytest.mark.parametrize("name", list(OUTLINES))
def test_sections_json_gives_the_exact_outline_and_no_chrome(name: str) -> None:
    assert (FIXTURES / name).read_text(encoding="utf-8") == BUILDERS[name]()  # committed = built
    result = runner.invoke(app, ["sections", str(FIXTURES / name), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    profile, outline = OUTLINES[name]
    assert doc["profile"] == profile
    assert doc["profile_reason"].startswith("auto: page signature (")
    assert _outline(doc) == outline
    text = json.dumps([[s["heading"], s["paragraphs"]] for s in doc["sections"]])
    assert [c for c in CHROME if c in text] == []
    assert all(s["paragraphs"] for s in doc["sections"] if not s["heading"].startswith(
        ("Section", "Political Rights", "Civil Liberties", "A. E", "B. P", "D. F", "G. P")
    ))  # fmt: skip


def test_sections_prints_which_profile_and_why() -> None:
    result = runner.invoke(
        app, ["sections", str(FIXTURES / "amnesty_kazakhstan.html")], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0
    assert "Kazakhstan 2023 [en-GB]  profile amnesty · 6 sections" in result.output
    assert (
        "profile amnesty, chosen by auto: page signature (og:site_name is "
        "'Amnesty International')" in result.output
    )


@pytest.mark.parametrize("name", list(OUTLINES))
@pytest.mark.parametrize(
    "url",
    [
        "http://mirror.example.net/reports/kz.html",
        "https://web.archive.org/web/20240301000000/https://www.example.org/kz",
    ],
)
def test_the_same_page_from_another_host_gives_the_same_outline(name: str, url: str) -> None:
    html = BUILDERS[name]()
    home = {"amnesty": "https://www.amnesty.org/en/location/europe-and-central-asia/"
            "central-asia/kazakhstan/report-kazakhstan/",
            "state-country-report": "https://www.state.gov/reports/2023-country-reports-on-"
            "human-rights-practices/kazakhstan/",
            "freedom-house": "https://freedomhouse.org/country/kazakhstan/freedom-world/2024",
            "hrw-world-report": "https://www.hrw.org/world-report/2018/country-chapters/"
            "kazakhstan"}[OUTLINES[name][0]]  # fmt: skip
    at_home = extract(html, home)
    elsewhere = extract(html, url)
    assert at_home.profile == elsewhere.profile == OUTLINES[name][0]
    assert elsewhere.sections == at_home.sections
    assert elsewhere.title == at_home.title
    assert explain_profile("auto", home)[1].startswith("auto: host ")


def test_an_archived_copy_is_recognised_by_the_url_it_archives() -> None:
    url = "https://web.archive.org/web/2024/https://freedomhouse.org/country/kazakhstan"
    assert explain_profile("auto", url) == (
        "freedom-house",
        "auto: archived copy of freedomhouse.org",
    )


@pytest.mark.parametrize("name", list(OUTLINES))
@pytest.mark.parametrize("field", [f.name for f in fields(pub.Chrome)])
def test_a_chrome_only_change_leaves_the_content_unchanged(name: str, field: str) -> None:
    base = extract(BUILDERS[name](), "http://127.0.0.1/p")
    value = {"footer_year": 2025, "related": ("Trial of activists opens",)}.get(
        field, "Something else entirely 2025-01-01T00:00:00"
    )
    changed_html = BUILDERS[name](chrome=replace(pub.Chrome(), **{field: value}))
    assert changed_html != BUILDERS[name]()
    changed = extract(changed_html, "http://127.0.0.1/p")
    assert changed.content_hash() == base.content_hash()


def _doc(html: str) -> Document:
    return extract(html, "https://freedomhouse.org/country/kazakhstan/freedom-world/2024")


def test_freedom_house_total_and_political_rights_scores_are_fact_changes() -> None:
    diff = diff_documents(_doc(pub.freedom_house()), _doc(pub.freedom_house(total=22, pr=4)))
    assert [c.key for c in diff.changes] == ["scores"]
    facts = [(f.kind, f.type, f.old, f.new, f.sentence) for f in diff.changes[0].facts]
    assert facts == [
        ("changed", "score", "23 / 100", "22 / 100", "Total Score 22 / 100"),
        ("changed", "score", "5 / 40", "4 / 40", "Political Rights 4 / 40"),
    ]


def test_an_indicator_score_change_is_reported_in_that_indicator() -> None:
    diff = diff_documents(_doc(pub.freedom_house()), _doc(pub.freedom_house(scores={"A2": 0})))
    assert [(c.key, c.heading) for c in diff.changes] == [("a2-0-4-pts", "A2 0-4 pts")]
    (fact,) = diff.changes[0].facts
    assert (fact.type, fact.old, fact.new) == ("score", "1 / 4", "0 / 4")


def test_score_facts_are_read_whole() -> None:
    assert [(f.type, f.value) for f in facts_in("Political Rights 5/40 and 0 / 4 pts")] == [
        ("score", "5 / 40"),
        ("score", "0 / 4"),
    ]
    assert all(f.type != "score" for f in facts_in("On 12/05/2024 police detained 3 people."))


@pytest.mark.parametrize("title_year", [False, True])
def test_amnesty_overwrite_with_next_year_is_a_new_edition(title_year: bool) -> None:
    url = "https://www.amnesty.org/en/location/europe/kazakhstan/report-kazakhstan/"
    old = extract(pub.amnesty(2023, title_year=title_year), url)
    new = extract(pub.amnesty(2024, title_year=title_year), url)
    assert (old.title, new.title) == ("Kazakhstan 2023", "Kazakhstan 2024")
    assert edition_label(new) == "2024"
    assert rolled_over(old, new)
    assert not rolled_over(old, extract(pub.amnesty(2023, title_year=title_year), url))


def test_older_state_reports_with_lower_case_letters_nest_the_same_way() -> None:
    doc = extract(pub.state(lower_letters=True), "http://127.0.0.1/state")
    got = [(s.heading, s.level, s.path) for s in doc.sections][:3]
    assert got == [
        ("EXECUTIVE SUMMARY", 2, []),
        (S1, 2, []),
        (
            "a. Arbitrary Deprivation Of Life And Other Unlawful Or Politically Motivated Killings",
            3,
            [S1],
        ),
    ]


def test_a_bold_lead_in_inside_a_paragraph_is_text_not_a_section() -> None:
    doc = extract(pub.state(), "http://127.0.0.1/state")
    prison = doc.section("prison-and-detention-center-conditions")
    assert prison is not None
    assert prison.paragraphs[1].startswith(
        "Abusive Physical Conditions: Reports described detainees"
    )


def test_state_headings_and_wrappers_with_toc_ids_are_never_chrome() -> None:
    html = pub.state()
    begin = html.index('<h2 id="toc_6">Section 2.<br>')
    end = html.index("<h2 id=", begin + 10)  # Section 7
    group = html[begin:end].replace(
        "Section 2.<br>Respect for Civil Liberties",
        "<div>Section 2.</div><div>Respect for Civil Liberties</div>",
    )
    html = (
        f'{html[:begin]}<div id="toc-section-2" class="report-toc-anchor">{group}</div>{html[end:]}'
    )
    assert "<div>Section 2.</div>" in html
    doc = extract(html, "http://127.0.0.1/state")
    expected = OUTLINES["state_kazakhstan.html"][1]
    assert [(s.heading, s.level, s.path) for s in doc.sections] == expected
    assert doc.sections == extract(pub.state(), "http://127.0.0.1/state").sections


def test_amnesty_chrome_inside_the_article_body_stays_out() -> None:
    chrome = (
        '<div class="article-backLink"><a href="/kz/">Back to Kazakhstan</a></div>'
        '<ul class="article-share"><li><a href="https://twitter.com/intent/tweet">Twitter</a>'
        '</li></ul><div class="country-selector"><label>Choose a country</label></div>'
    )
    html = pub.amnesty().replace(
        '<section class="article-content">', '<section class="article-content">' + chrome
    )
    base = extract(pub.amnesty(), "http://127.0.0.1/a")
    assert extract(html, "http://127.0.0.1/a").sections == base.sections


def test_freedom_house_without_a_narrative_wrapper_reads_the_same() -> None:
    html = pub.freedom_house().replace('<div class="field--name-body">', "<div>")
    assert "field--name-body" not in html
    url = "http://127.0.0.1/fh"
    assert extract(html, url).sections == extract(pub.freedom_house(), url).sections


@pytest.mark.parametrize("name", list(OUTLINES))
def test_each_profile_names_the_container_it_reads(name: str) -> None:
    from bs4 import BeautifulSoup

    from rightswatch.extract import PROFILES

    profile = PROFILES[OUTLINES[name][0]]
    soup = BeautifulSoup(BUILDERS[name](), "lxml")
    assert soup.select_one(profile.reads[0]) is not None
