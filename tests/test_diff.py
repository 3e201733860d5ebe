"""Each fixture pair built from the seed chapter reports exactly the change a reader expects."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from rightswatch.diff import DocumentDiff, diff_documents, prepare
from rightswatch.document import Document, Section
from rightswatch.extract import extract
from rightswatch.textdiff import FactChange, SentenceChange

FIXTURES = Path(__file__).parent / "fixtures"
URL = "https://www.hrw.org/world-report/2021/country-chapters/kazakhstan"


@cache
def doc(name: str) -> Document:
    path = FIXTURES / ("hrw_kazakhstan_2021.html" if name == "base" else f"pairs/{name}.html")
    return extract(path.read_text(encoding="utf-8"), URL)


def against_base(name: str) -> DocumentDiff:
    return diff_documents(doc("base"), doc(name))


def test_corrected_number_in_torture_is_a_fact_change() -> None:
    result = against_base("torture_number")
    [change] = result.changes
    assert (change.kind, change.heading, change.minor) == ("modified", "Torture", False)
    assert (change.words_added, change.words_removed) == (1, 1)
    assert change.facts == [
        FactChange(
            kind="changed",
            type="number",
            old="140 complaints",
            new="152 complaints",
            sentence=change.sentences[0].new or "",
        )
    ]
    [sentence] = change.sentences
    assert sentence.kind == "changed"
    assert [(e.op, e.text) for e in sentence.edits if e.op != "equal"] == [
        ("delete", "140"),
        ("insert", "152"),
    ]
    assert sentence.new is not None
    assert "reported they had received 152 complaints" in sentence.new


def test_sentence_added_to_freedom_of_expression() -> None:
    [change] = against_base("expression_sentence").changes
    assert (change.kind, change.heading) == ("modified", "Freedom of Expression")
    assert change.sentences == [
        SentenceChange(
            kind="added",
            new="In December, a court in Nur-Sultan fined the editor of "
            "an independent news site for a post about hospital shortages.",
        )
    ]
    assert change.words_removed == 0
    assert change.words_added == 20


def test_paragraph_removed_from_covid_19() -> None:
    [change] = against_base("covid_paragraph_removed").changes
    assert (change.kind, change.heading) == ("modified", "Covid-19")
    assert [s.kind for s in change.sentences] == ["removed", "removed"]
    assert change.sentences[0].old == (
        "The lockdown measures imposed in response to Covid-19 "
        "resulted in severe limitations on access to shelters or "
        "services for survivors of domestic violence."
    )
    assert change.words_added == 0
    assert change.words_removed > 30
    assert [(f.kind, f.type, f.old) for f in change.facts] == [
        ("removed", "name", "“essential services”")
    ]


def test_new_section_inserted() -> None:
    [change] = against_base("section_inserted").changes
    assert (change.kind, change.heading, change.key) == (
        "added",
        "Rights of Older People",
        "rights-of-older-people",
    )
    assert change.new_index == 11  # between Disability Rights and Torture (Summary is 0)
    assert [s.kind for s in change.sentences] == ["added"]


def test_section_renamed() -> None:
    [change] = against_base("section_renamed").changes
    assert change.kind == "renamed"
    assert change.old_heading == "Asylum Seekers and Refugees"
    assert change.heading == "Asylum Seekers, Refugees and Migrants"
    assert change.sentences == []
    assert not change.moved


def test_two_sections_swapped_is_one_move() -> None:
    [change] = against_base("sections_swapped").changes
    assert (change.kind, change.moved) == ("moved", True)
    assert change.heading in ("Labor Rights", "Counterterrorism and Extremism")
    assert change.sentences == []


def test_typography_and_whitespace_only_edit_is_minor_and_no_alert() -> None:
    result = against_base("typography_only")
    [change] = result.changes
    assert (change.kind, change.heading, change.minor) == ("modified", "Civil Society", True)
    assert result.alerts == []
    assert change.facts == []  # “quoted” → "quoted" is not a corrected name


def test_chrome_only_changes_are_no_change_at_all() -> None:
    assert doc("chrome_only").content_hash() == doc("base").content_hash()
    assert against_base("chrome_only").changes == []


def test_word_counts_follow_the_text_after_ignore_regexes() -> None:
    """Counts are kept per section once counted; a copy with other paragraphs counts again."""
    section = Section(key="kz", heading="Kazakhstan", level=2, paragraphs=["one two three"])
    doc = Document(url="https://x/kz", final_url="https://x/kz", title="KZ", sections=[section])
    assert (section.words, doc.words) == (3, 3)
    assert prepare(doc, ignore=[r"two three"]).words == 1
    assert section.model_copy(update={"paragraphs": ["a b", "c d e f"]}).words == 6
    assert doc.words == 3
    assert doc == Document.model_validate_json(doc.model_dump_json())


def test_ignore_regexes_and_section_globs_apply_before_diffing() -> None:
    old, new = doc("base"), doc("torture_number")
    assert (
        diff_documents(
            prepare(old, ignore=[r"\d+ complaints"]), prepare(new, ignore=[r"\d+ complaints"])
        ).changes
        == []
    )
    only_covid = prepare(new, sections=["Covid*", "Key *"])
    assert [s.heading for s in only_covid.sections] == ["Covid-19", "Key International Actors"]
    assert diff_documents(prepare(old, ["covid*"]), prepare(new, ["covid*"])).changes == []


def test_removed_section_and_title_change() -> None:
    old = doc("base")
    new = old.model_copy(
        update={
            "title": "World Report 2022: Kazakhstan",
            "sections": [s for s in old.sections if s.key != "torture"],
        }
    )
    result = diff_documents(old, new)
    [change] = result.changes
    assert (change.kind, change.heading, change.old_index) == ("removed", "Torture", 11)
    assert change.words_removed == old.sections[11].words
    assert "140 complaints" in [f.old for f in change.facts]
    assert (result.old_title, result.new_title) == (
        "World Report 2021: Kazakhstan",
        "World Report 2022: Kazakhstan",
    )


def test_summary_counts_kinds() -> None:
    assert against_base("torture_number").summary() == "1 modified"
    assert against_base("typography_only").summary() == "1 minor"
    assert against_base("chrome_only").summary() == "no change"
