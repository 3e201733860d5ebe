"""Editions: a page rolling over to next year's report, and translations that lag behind.

Rollover: publishers such as Amnesty overwrite one URL every year. When the year in the title
changes and the rest of the title does not, the new page starts a new edition line in the
history with one "new edition" notice, instead of a diff of every section.

Translation lag: watches paired with `edition_of` are one report in several languages. Their
sections are matched by position and structure (the n-th section at a heading level), never
by translating, and a change to one edition that its pair has not followed within
`editions.lag_days` is reported once.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import datetime, timedelta

from rightswatch.config import Config, Watch
from rightswatch.document import Document, Section
from rightswatch.events import lag_notice
from rightswatch.outbox import ChangeEvent
from rightswatch.store import SnapshotRecord, SnapshotStore
from rightswatch.textdiff import canonical, similarity

__all__ = ["edition_label", "edition_summary", "lag_notices", "rolled_over", "slots"]

_YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20\d\d)(?!\d)")
SAME_TITLE = 0.8  # the title without its year must stay this similar to count as a rollover
HORIZON_DAYS = 30  # how far back past lag_days a change is still compared


def edition_label(doc: Document) -> str | None:
    """The edition a page announces: the last year in its title (World Report 2021 → 2021)."""
    years = _YEAR.findall(doc.title)
    return years[-1] if years else None


def rolled_over(old: Document, new: Document) -> bool:
    before, after = edition_label(old), edition_label(new)
    if before is None or after is None or before == after:
        return False
    strip = [_YEAR.sub("", d.title).casefold().strip() for d in (old, new)]
    return similarity(strip[0], strip[1]) >= SAME_TITLE


def _names(doc: Document) -> dict[str, Section]:
    return {_YEAR.sub("", s.heading).casefold().strip(): s for s in doc.sections}


def edition_summary(old: Document, new: Document) -> str:
    """Section-level differences between two editions, short enough for a notice."""
    before, after = _names(old), _names(new)
    kept = [k for k in after if k in before]
    added = [after[k].heading for k in after if k not in before]
    gone = [before[k].heading for k in before if k not in after]
    rewritten = sum(
        1 for k in kept if similarity(canonical(before[k].text), canonical(after[k].text)) < 0.5
    )
    parts = [f"{old.title} → {new.title}: {len(kept)} sections in both ({rewritten} rewritten)"]
    if added:
        parts.append(f"{len(added)} new ({', '.join(added[:8])}{', …' if len(added) > 8 else ''})")
    if gone:
        parts.append(f"{len(gone)} gone ({', '.join(gone[:8])}{', …' if len(gone) > 8 else ''})")
    return "; ".join(parts) + ". The history starts a new edition line; no section diff is sent."


def slots(doc: Document) -> dict[str, Section]:
    """Sections by structural position: 'level:n' is the n-th section at that heading level."""
    seen: dict[int, int] = {}
    out = {}
    for section in doc.sections:
        seen[section.level] = seen.get(section.level, 0) + 1
        out[f"{section.level}:{seen[section.level]}"] = section
    return out


def _at(history: list[SnapshotRecord], moment: datetime) -> SnapshotRecord | None:
    """The snapshot that was current at `moment`."""
    found = None
    for record in history:
        if record.taken_at > moment:
            break
        found = record
    return found


class _Texts:
    """Each snapshot's document and its sections' canonical text by slot, read once a run."""

    def __init__(self, store: SnapshotStore) -> None:
        self.store = store
        self.docs: dict[tuple[str, str], tuple[Document, dict[str, str]]] = {}

    def load(self, watch_id: str, record: SnapshotRecord) -> tuple[Document, dict[str, str]]:
        key = (watch_id, record.content_hash)
        if key not in self.docs:
            doc = self.store.document(watch_id, record.content_hash)
            self.docs[key] = doc, {slot: canonical(s.text) for slot, s in slots(doc).items()}
        return self.docs[key]


def _pairs(config: Config) -> Iterator[tuple[Watch, Watch]]:
    """(edition that changed, edition that should follow), every ordered pair in each group."""
    groups: dict[str, list[Watch]] = {}
    for watch in config.watches:
        if watch.edition_of is not None:
            groups.setdefault(watch.edition_of, [config.watch(watch.edition_of)]).append(watch)
    for members in groups.values():
        for lead in members:
            for follower in members:
                if follower.id != lead.id:
                    yield lead, follower


def _label(watch: Watch, doc: Document) -> str:
    return watch.lang or doc.lang or watch.id


def lag_notices(config: Config, store: SnapshotStore, now: datetime) -> list[ChangeEvent]:
    """Lag notices due now. Only read here: the caller records them in the outbox, where
    their deterministic ids keep a lag looked at again a single event."""
    lag = timedelta(days=config.editions.lag_days)
    found: list[ChangeEvent] = []
    load = _Texts(store).load
    window = lag * 2 + timedelta(days=HORIZON_DAYS)
    for lead, follower in _pairs(config):
        lead_history, follow_history = store.history(lead.id), store.history(follower.id)
        if not follow_history:
            continue
        now_doc, now_text = load(follower.id, follow_history[-1])
        for old, new in itertools.pairwise(lead_history):
            if new.edition != old.edition or not lag <= now - new.taken_at <= window:
                continue
            then = _at(follow_history, new.taken_at)
            if then is None:
                continue
            then_text = load(follower.id, then)[1]
            # The follower's text a lag before: if it changed since, the lead was following.
            earlier = _at(follow_history, new.taken_at - lag) or follow_history[0]
            earlier_text = load(follower.id, earlier)[1]
            before_text = load(lead.id, old)[1]
            lead_doc, after_text = load(lead.id, new)
            lead_sections = slots(lead_doc)
            for slot, text in after_text.items():
                if slot not in before_text or before_text[slot] == text or slot not in now_text:
                    continue  # unchanged in the lead, or no such section in the follower
                followed = now_text[slot] != then_text.get(slot)
                led = earlier_text.get(slot) != then_text.get(slot)
                if followed or led:
                    continue
                title = follower.title or now_doc.title
                message = (
                    f"the {_label(lead, lead_doc)} edition changed "
                    f"'{lead_sections[slot].heading}' on {new.taken_at:%Y-%m-%d}; "
                    f"the matching section of the {_label(follower, now_doc)} edition "
                    f"('{slots(now_doc)[slot].heading}') has not changed in the "
                    f"{config.editions.lag_days:g} days since"
                )
                event_id = f"lag-{lead.id}-{new.id}-{slot.replace(':', '-')}"
                found.append(lag_notice(follower, event_id, title, now, message))
    return found
