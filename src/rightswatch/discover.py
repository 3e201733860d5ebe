"""Publication discovery: an index page (a report's country list) gaining or losing links.

An index watch keeps the set of matching links it last saw in `<id>/index.json`, with the
pages it discovered. A new link is reported as a new publication and gets its first snapshot
at once; with `auto_watch: true` it is then checked on every run with the index's settings.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urldefrag, urljoin

from bs4 import BeautifulSoup
from pydantic import BaseModel, ValidationError

from rightswatch.config import Config, Watch
from rightswatch.evaluate import Base, Failed, Rules, Suspect
from rightswatch.events import index_notice
from rightswatch.fetch import FetchError, Page
from rightswatch.health import healthy, unhealthy
from rightswatch.outbox import ChangeEvent
from rightswatch.result import WatchResult
from rightswatch.store import SnapshotStore, StoreError, WatchState

__all__ = [
    "Discovered",
    "IndexBaseline",
    "IndexOutcome",
    "IndexState",
    "IndexUpdate",
    "evaluate_index",
    "index_notices",
    "discovered_watches",
    "index_links",
    "load_index",
    "page_watch",
    "save_index",
    "select_watches",
]


class Discovered(BaseModel):
    id: str
    url: str
    text: str
    first_seen: datetime
    watched: bool


class IndexState(BaseModel):
    links: dict[str, str] = {}  # absolute URL -> link text, as last seen
    discovered: list[Discovered] = []

    def fingerprint(self) -> str:
        """Names the link set a change was found against, so a repeated check repeats ids."""
        raw = json.dumps(sorted(self.links), separators=(",", ":"))
        return hashlib.sha256(raw.encode()).hexdigest()[:10]


def index_links(html: str, base_url: str, pattern: str) -> dict[str, str]:
    """Links whose absolute URL matches `pattern`, in page order, with their visible text."""
    wanted = re.compile(pattern)
    found: dict[str, str] = {}
    for anchor in BeautifulSoup(html, "lxml").find_all("a", href=True):
        url = urldefrag(urljoin(base_url, str(anchor["href"]).strip()))[0]
        if not url.startswith(("http://", "https://")) or not wanted.search(url):
            continue
        text = " ".join(anchor.get_text(" ").split())
        if text or url not in found:
            found[url] = found.get(url) or text
    return found


def load_index(store: SnapshotStore, watch_id: str) -> IndexState | None:
    raw = store.indexes.read(watch_id)
    if raw is None:
        return None
    try:
        return IndexState.model_validate_json(raw)
    except ValidationError:
        raise StoreError(
            f"{store.indexes.describe(watch_id)} is unreadable; move it aside and the "
            "next run starts the index afresh (reporting no new publications that run)"
        ) from None


def save_index(store: SnapshotStore, watch_id: str, state: IndexState) -> None:
    store.indexes.write(watch_id, state.model_dump_json(indent=2).encode("utf-8"))


def page_id(index: Watch, url: str) -> str:
    """A readable, stable watch id for a discovered page: index, last path part, URL hash."""
    last = [p for p in url.split("?")[0].rstrip("/").split("/") if p][-1]
    slug = re.sub(r"[^a-z0-9]+", "-", last.lower()).strip("-")[:28].strip("-") or "page"
    digest = hashlib.sha256(url.encode()).hexdigest()[:6]
    return f"{index.id[:24].rstrip('-')}-{slug}-{digest}"


def page_watch(index: Watch, item: Discovered) -> Watch:
    """A discovered page, watched with its index's settings."""
    return index.model_copy(
        update={
            "id": item.id,
            "url": item.url,
            "title": None,
            "kind": "page",
            "link_pattern": None,
            "auto_watch": False,
            "edition_of": None,
        }
    )


def discovered_watches(config: Config, store: SnapshotStore) -> list[Watch]:
    """Pages that auto_watch indexes found, to be checked like configured watches."""
    configured = {w.id for w in config.watches}
    out = []
    for index in config.watches:
        if index.kind != "index" or not index.auto_watch:
            continue
        try:
            state = load_index(store, index.id)
        except StoreError:
            continue  # reported by the index's own check
        for item in state.discovered if state else []:
            if item.watched and item.id not in configured:
                out.append(page_watch(index, item))
                configured.add(item.id)
    return out


def select_watches(config: Config, ids: list[str] | None, store: SnapshotStore) -> list[Watch]:
    """The watches to check: configured ones, plus pages auto_watch indexes discovered; all of
    them unless `ids` names some. An unknown id is a ValueError naming the known ones."""
    everything = list(config.watches) + discovered_watches(config, store)
    if not ids:
        return everything
    known = {w.id for w in everything}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise ValueError(
            f"unknown watch id(s) {', '.join(unknown)}; configured: {', '.join(sorted(known))}"
        )
    return [w for w in everything if w.id in ids]


@dataclass(frozen=True)
class IndexBaseline:
    """The first look at an index: everything listed is the baseline, not news."""

    title: str
    state: WatchState
    notices: tuple[ChangeEvent, ...]
    index: IndexState


@dataclass(frozen=True)
class IndexUpdate:
    """Links that appeared (each to get a first snapshot) or went since the last look."""

    title: str
    state: WatchState
    notices: tuple[ChangeEvent, ...]
    known: IndexState
    found: dict[str, str]
    news: tuple[Discovered, ...]
    gone: tuple[str, ...]


IndexOutcome = IndexBaseline | IndexUpdate | Failed | Suspect


def evaluate_index(
    watch: Watch,
    state: WatchState,
    fetched: Page | FetchError,
    known: IndexState | None,
    rules: Rules,
    now: datetime,
) -> IndexOutcome:
    """Decide what one look at an index page found; pure, like evaluate()."""
    title = watch.title or state.title or watch.id
    base = Base(None, None)
    if isinstance(fetched, FetchError):
        error, retryable = str(fetched), fetched.retryable
        new_state, notices = unhealthy(
            watch, state, now, "error", error, title, rules.run_id, rules.alert_after
        )
        return Failed(title, new_state, notices, base, error, retryable)
    assert watch.link_pattern is not None
    found = index_links(fetched.text, fetched.final_url, watch.link_pattern)
    if known is not None and known.links and not found:
        error = (
            f"{watch.url}: suspect page: no link matches {watch.link_pattern!r} any more "
            f"(there were {len(known.links)}); the index is kept as it was"
        )
        new_state, notices = unhealthy(
            watch, state, now, "suspect", error, title, rules.run_id, rules.alert_after
        )
        return Suspect(title, new_state, notices, base, error, None)
    if known is None:
        items = [_item(watch, url, text, now) for url, text in found.items()]
        new_state, notices = healthy(watch, state, now, "baseline", fetched.validators, title)
        return IndexBaseline(title, new_state, notices, IndexState(links=found, discovered=items))
    news = tuple(_item(watch, u, found[u], now) for u in found if u not in known.links)
    gone = tuple(u for u in known.links if u not in found)
    status = "changed" if news or gone else "unchanged"
    new_state, notices = healthy(watch, state, now, status, fetched.validators, title)
    return IndexUpdate(title, new_state, notices, known, found, news, gone)


def index_notices(
    watch: Watch, outcome: IndexUpdate, firsts: list[WatchResult], now: datetime
) -> tuple[list[ChangeEvent], IndexState, list[str]]:
    """The publication and withdrawn notices, the index to save and the new publications'
    names, once each new link's first snapshot (`firsts`, in order) was taken."""
    stamp = outcome.known.fingerprint()
    discovered = {d.id: d for d in outcome.known.discovered}
    notices, names = [], []
    for item, first in zip(outcome.news, firsts, strict=True):
        text = outcome.found[item.url]
        ok = first.status not in ("error", "suspect")
        name = first.title if ok and first.title != item.id else (text or item.url)
        taken = f"first snapshot taken as {item.id}" if ok else f"no first snapshot: {first.error}"
        follow = "; checked from now on" if ok and watch.auto_watch else ""
        message = f"{item.url} appeared on {outcome.title}; {taken}{follow}"
        notices.append(index_notice(watch, "publication", now, (item.url, name), stamp, message))
        names.append(name)
        discovered[item.id] = item
    for url in outcome.gone:
        name = outcome.known.links[url] or url
        message = f"{url} is no longer listed on {outcome.title}; its snapshots are kept"
        notices.append(index_notice(watch, "withdrawn", now, (url, name), stamp, message))
    index = IndexState(links=outcome.found, discovered=list(discovered.values()))
    return notices, index, names


def _item(index: Watch, url: str, text: str, now: datetime) -> Discovered:
    return Discovered(
        id=page_id(index, url), url=url, text=text, first_seen=now, watched=index.auto_watch
    )
