"""Every language the publishers translate into: sentences, word diff and facts."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rightswatch.diff import diff_documents
from rightswatch.extract import extract
from rightswatch.extract.text import normalize
from rightswatch.segment import segmenter_language, split_sentences, to_ascii_digits, tokens
from rightswatch.textdiff import fact_changes, sentence_changes, word_diff
from tests.i18n_pages import EDITIONS

URL = "https://www.hrw.org/world-report/2021/country-chapters/kazakhstan"


@pytest.mark.parametrize("lang", sorted(EDITIONS))
def test_a_corrected_figure_is_one_changed_sentence_with_its_fact(lang: str) -> None:
    edition = EDITIONS[lang]
    old, new = extract(edition.page(), URL), extract(edition.page(edited=True), URL)
    assert old.lang == lang
    [change] = diff_documents(old, new).changes
    assert change.heading == edition.heading
    assert change.kind == "modified"
    [sentence] = change.sentences  # never the whole three-sentence paragraph
    assert sentence.kind == "changed"
    assert sentence.old == normalize(edition.sentence)
    assert sentence.new == normalize(
        edition.sentence.replace(edition.old_figure, edition.new_figure)
    )
    [fact] = change.facts
    assert fact.kind == "changed"
    assert fact.type == "number"
    assert fact.old is not None
    assert fact.new is not None
    assert fact.old.startswith(edition.old_figure)  # shown as on the page
    assert to_ascii_digits(fact.old).split()[0] == "140"
    assert to_ascii_digits(fact.new).split()[0] == "152"


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("zh-Hans", "当局拘留了记者。法院判处他两年徒刑！他上诉了吗？", 3),
        ("zh-Hant", "當局拘留了記者。法院判處他兩年徒刑！他上訴了嗎？", 3),
        ("ja", "当局は記者を拘束した。「釈放せよ。」と団体は述べた。裁判は続いている。", 3),
        ("ar", "قال د. أحمد إن الشرطة اعتقلت الصحفي. هل أُفرج عنه؟ لا يزال محتجزا.", 3),
        ("ru", "В 2020 г. суд оштрафовал редактора. Он обжаловал решение. Жалобу отклонили.", 3),
        ("fr", "Selon M. Dupont, la police a arrêté «\u00a0X\u00a0». Il a fait appel ! Rejeté.", 3),
        ("de", "Die Polizei nahm z. B. am 3. März zwei Personen fest. Sie legten Berufung ein.", 2),
        ("es", "La policía detuvo a 3 periodistas. Fueron liberados el 5 de mayo.", 2),
        ("pt", "A polícia deteve 3 jornalistas. Foram libertados em 5 de maio.", 2),
        ("en", "Mr. Smith said the U.S. government did not comment. Courts refused bail.", 2),
    ],
)
def test_sentences_follow_each_languages_rules(lang: str, text: str, expected: int) -> None:
    sentences = split_sentences(text, lang)
    assert len(sentences) == expected, sentences
    assert "".join("".join(sentences).split()) == "".join(text.split())


def test_language_tags_map_to_rules_and_an_unknown_tag_falls_back_to_the_script() -> None:
    assert segmenter_language("zh-Hant-TW") == "zh"
    assert segmenter_language("pt-BR") == "es"  # pysbd has no Portuguese; Spanish is nearest
    assert segmenter_language(None, "記者を拘束した") == "ja"
    assert segmenter_language("xx", "اعتقلت الشرطة") == "ar"
    assert segmenter_language(None, "plain text") == "en"


def test_cjk_text_is_diffed_by_character() -> None:
    edits = word_diff("法院判处他两年徒刑。", "法院判处他三年徒刑。")
    assert [(e.op, e.text) for e in edits if e.op != "equal"] == [
        ("delete", "两"),
        ("insert", "三"),
    ]


@pytest.mark.parametrize(
    ("old", "new", "pair"),
    [
        ("اعتقلت الشرطة ١٤٠ شخصا.", "اعتقلت الشرطة ١٥٢ شخصا.", ("١٤٠ شخصا", "١٥٢ شخصا")),
        ("警察逮捕了１４０人。", "警察逮捕了１５２人。", ("１４０", "１５２")),
        ("失业率上升到15%。", "失业率上升到17%。", ("15%", "17%")),
        ("于2020年3月5日被捕。", "于2020年3月9日被捕。", ("2020年3月5日", "2020年3月9日")),
        ("ارتفعت النسبة إلى ١٥٪.", "ارتفعت النسبة إلى ١٧٪.", ("١٥٪", "١٧٪")),
    ],
)
def test_figures_in_every_digit_set_are_facts(old: str, new: str, pair: tuple[str, str]) -> None:
    [fact] = fact_changes(sentence_changes(old, new))
    assert (fact.old, fact.new) == pair


def test_the_same_figure_in_another_digit_set_is_not_a_corrected_fact() -> None:
    changes = sentence_changes("اعتقلت الشرطة 140 شخصا.", "اعتقلت الشرطة ١٤٠ شخصا.")
    assert changes
    assert fact_changes(changes) == []


BUDGET = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ALPHABETS = {
    "zh": "的人权记者法院判处拘留两年。！？，140２",
    "ja": "当局はを拘束したカザフスタン。「」、１４０",
    "ar": "اعتقلتالشرطةصحفي ؟.،١٤٠ 152",
    "ru": "Судоштрафовалредактора .!?«»140 ",
    "fr": "Lapolicéarêtéçà «»\u00a0.!?;’140 ",
    "de": "DiePolizeinahmfestäöüß .z. B.140 ",
}
LANG = st.sampled_from(sorted(ALPHABETS))


@st.composite
def texts_in_a_script(draw: st.DrawFn) -> tuple[str, str, str]:
    lang = draw(LANG)
    text = st.text(alphabet=ALPHABETS[lang], max_size=80).map(normalize)
    paragraphs = st.lists(text, max_size=3).map(lambda ps: "\n\n".join(p for p in ps if p))
    return lang, draw(paragraphs), draw(paragraphs)


@BUDGET
@given(texts_in_a_script())
def test_word_diff_round_trips_in_every_script(case: tuple[str, str, str]) -> None:
    _, old, new = case
    edits = word_diff(old, new)
    assert "".join(e.text for e in edits if e.op != "insert") == old
    assert "".join(e.text for e in edits if e.op != "delete") == new
    assert "".join(tokens(old)) == old


@BUDGET
@given(texts_in_a_script())
def test_every_changed_sentence_is_accounted_for(case: tuple[str, str, str]) -> None:
    lang, old, new = case
    changes = sentence_changes(old, new, lang)
    before = [s for p in old.split("\n\n") for s in split_sentences(p, lang)]
    after = [s for p in new.split("\n\n") for s in split_sentences(p, lang)]
    gone = [c.old for c in changes if c.kind in ("removed", "changed")]
    came = [c.new for c in changes if c.kind in ("added", "changed")]
    # Every reported sentence is a real one of its side, and every sentence that is only on
    # one side is reported.
    assert all(s in before for s in gone)
    assert all(s in after for s in came)
    assert {s for s in before if s not in after} <= set(gone)
    assert {s for s in after if s not in before} <= set(came)
    for paragraph in old.split("\n\n"):  # segmentation never loses text
        joined = "".join(split_sentences(paragraph, lang))
        assert "".join(joined.split()) == "".join(paragraph.split())


def test_segmentation_from_many_threads_gives_every_thread_its_own_sentences() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from rightswatch import segment

    texts = [f"Dr. No {i} arrived. Mr. Yes {i} left. Ms. Maybe {i} stayed." for i in range(200)]
    segment._split_paragraph.cache_clear()
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda t: split_sentences(t, "en"), texts))
    for i, sentences in enumerate(results):
        assert sentences == [f"Dr. No {i} arrived.", f"Mr. Yes {i} left.", f"Ms. Maybe {i} stayed."]
