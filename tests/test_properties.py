"""Property tests (hypothesis): invariants of diff, word diff, store and extraction."""

from __future__ import annotations

import re
import tempfile
from collections import Counter
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rightswatch.diff import diff_documents
from rightswatch.document import Document, Link, Section
from rightswatch.extract import extract
from rightswatch.extract.text import normalize
from rightswatch.store import FetchInfo, open_store
from rightswatch.textdiff import sentence_changes, split_sentences, word_diff

BUDGET = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

words = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=0, max_size=12
)
texts = st.lists(words, max_size=40).map(" ".join)
paragraphs = st.lists(texts.map(normalize).filter(bool), max_size=4)
# Prose as editors change it: sentences from a small pool (so repeats are common), then some
# deleted, inserted, or corrected (a figure changed, which sentence_changes pairs as "changed").
POOL = [
    "Police detained 12 protesters in Almaty.",
    "The court fined the journalist 300 dollars.",
    "Journalists were attacked 4 times while reporting.",
    "Parliament adopted 2 new laws on assemblies.",
    "Nothing else changed in 2020.",
]


@st.composite
def prose_pairs(draw: st.DrawFn) -> tuple[str, str]:
    old = draw(st.lists(st.sampled_from(POOL), max_size=8))
    new = list(old)
    for op in draw(st.lists(st.sampled_from(["delete", "insert", "correct"]), max_size=4)):
        at = draw(st.integers(0, max(len(new) - 1, 0)))
        if op == "insert" or not new:
            new.insert(at, draw(st.sampled_from(POOL)))
        elif op == "delete":
            del new[at]
        else:
            new[at] = re.sub(r"\d+", lambda m: str(int(m.group()) + 1), new[at])
    return " ".join(old), " ".join(new)


headings = st.text(alphabet="abcdefghijklmnopqrstuvwxyz -–Пытки19", min_size=1, max_size=20)


@st.composite
def documents(draw: st.DrawFn) -> Document:
    heads = draw(st.lists(headings.map(normalize).filter(bool), max_size=6, unique=True))
    sections = [
        Section(
            key=f"s{i}-{len(h)}",
            heading=h,
            level=draw(st.integers(0, 6)),
            path=draw(st.lists(headings, max_size=2)),
            paragraphs=draw(paragraphs),
            links=[Link(text=draw(words), href="https://example.org/" + str(i))],
        )
        for i, h in enumerate(heads)
    ]
    return Document(
        url="https://example.org/r",
        final_url="https://example.org/r",
        title=draw(texts),
        lang=draw(st.sampled_from([None, "en", "ru"])),
        sections=sections,
    )


@BUDGET
@given(documents())
def test_diff_of_a_document_with_itself_is_empty(doc: Document) -> None:
    assert diff_documents(doc, doc).changes == []


@BUDGET
@given(texts, texts)
def test_word_diff_applied_to_old_gives_new(old: str, new: str) -> None:
    edits = word_diff(old, new)
    assert "".join(e.text for e in edits if e.op != "insert") == old
    assert "".join(e.text for e in edits if e.op != "delete") == new


@BUDGET
@given(st.one_of(st.tuples(texts, texts), prose_pairs()))
def test_sentence_changes_account_for_every_sentence(pair: tuple[str, str]) -> None:
    old, new = pair
    changes = sentence_changes(old, new)
    if normalize(old) == normalize(new):
        assert changes == []
    before, after = split_sentences(old), split_sentences(new)
    gone = [c.old for c in changes if c.kind in ("removed", "changed")]
    came = [c.new for c in changes if c.kind in ("added", "changed")]
    assert all(c.old or c.new for c in changes)
    assert all((c.old is None) == (c.kind == "added") for c in changes)
    assert all((c.new is None) == (c.kind == "removed") for c in changes)
    # Every sentence that left `old` is reported, in order, and so is every sentence that
    # came into `new`; what is left on each side is the same sentences, unchanged.
    assert _in_order(gone, before)
    assert _in_order(came, after)
    assert Counter(before) - Counter(gone) == Counter(after) - Counter(came)


def _in_order(reported: list[str | None], sentences: list[str]) -> bool:
    """`reported` is a subsequence of `sentences`."""
    remaining = iter(sentences)
    return all(any(s == r for s in remaining) for r in reported)


@BUDGET
@given(documents(), documents())
def test_diff_never_crashes_and_kinds_are_valid(a: Document, b: Document) -> None:
    result = diff_documents(a, b)
    assert {c.kind for c in result.changes} <= {"modified", "added", "removed", "renamed", "moved"}


@BUDGET
@given(documents())
def test_store_round_trips_any_document(doc: Document) -> None:
    with tempfile.TemporaryDirectory() as root:
        store = open_store(root)
        fetch = FetchInfo(
            fetched_at=datetime(2021, 1, 13, tzinfo=UTC), status=200, final_url=doc.final_url
        )
        record = store.record("w", doc, fetch)
        assert store.document("w", record.content_hash) == doc
        assert store.history("w") == [record]


html_fragments = st.recursive(
    st.text(max_size=30).map(lambda t: t.replace("<", "&lt;")),
    lambda inner: st.tuples(
        st.sampled_from(
            [
                "div",
                "p",
                "h1",
                "h2",
                "h3",
                "li",
                "ul",
                "article",
                "main",
                "section",
                "span",
                "a",
                "script",
                "nav",
                "table",
                "td",
                "br",
                "b",
            ]
        ),
        st.lists(inner, max_size=4),
    ).map(lambda t: f"<{t[0]}>{''.join(t[1])}</{t[0]}>"),
    max_leaves=30,
)


@BUDGET
@given(
    st.lists(html_fragments, max_size=5).map("".join),
    st.sampled_from(["auto", "generic", "hrw-world-report"]),
)
def test_extraction_of_random_html_never_crashes(html: str, profile: str) -> None:
    doc = extract(f"<html><body>{html}</body></html>", "https://example.org/r", profile=profile)
    keys = [s.key for s in doc.sections]
    assert len(keys) == len(set(keys))
    assert all(p and p == normalize(p) for s in doc.sections for p in s.paragraphs)
