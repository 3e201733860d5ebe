"""Publication discovery: an index page (a report's country list) gaining or losing links.

An index watch keeps the set of matching links it last saw in `<id>/index.json`, with the
pages it discovered. A new link is reported as a new publication and gets its first snapshot
at once; with `auto_watch: true` it is then checked on every run with the index's settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urldefrag, urljoin

from bs4 import BeautifulSoup

from rightswatch import links
from rightswatch.config import Watch
from rightswatch.evaluate import Base, Failed, Rules, Suspect
from rightswatch.events import index_notice
from rightswatch.fetch import FetchError, Page
from rightswatch.health import healthy, unhealthy
from rightswatch.outbox import ChangeEvent
from rightswatch.result import RefusedLink, WatchResult
from rightswatch.store import WatchState
from rightswatch.watchlist import (
    Discovered,
    IndexState,
    discovered_watches,
    load_index,
    page_id,
    page_watch,
    save_index,
    select_watches,
)

__all__ = [
    "Discovered",
    "IndexBaseline",
    "IndexOutcome",
    "IndexState",
    "IndexUpdate",
    "discovered_watches",
    "evaluate_index",
    "index_links",
    "index_notices",
    "load_index",
    "page_watch",
    "save_index",
    "select_watches",
]


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


@dataclass(frozen=True)
class IndexBaseline:
    """The first look at an index: everything listed is the baseline, not news."""

    title: str
    state: WatchState
    notices: tuple[ChangeEvent, ...]  # health, and links refused for the first time
    index: IndexState
    refused_links: tuple[RefusedLink, ...] = ()


@dataclass(frozen=True)
class IndexUpdate:
    """Links that appeared (each to get a first snapshot) or went since the last look."""

    title: str
    state: WatchState
    notices: tuple[ChangeEvent, ...]  # health, and links refused for the first time
    known: IndexState
    found: dict[str, str]
    news: tuple[Discovered, ...]  # every new link; those in `take` get a first snapshot
    gone: tuple[str, ...]
    take: frozenset[str] = frozenset()
    refused: dict[str, str] | None = None
    final_url: str | None = None
    refused_links: tuple[RefusedLink, ...] = ()


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
    listed = index_links(fetched.text, fetched.final_url, watch.link_pattern)
    found, refused = links.split_links(listed, links.index_hosts(watch, fetched.final_url))
    if known is not None and known.links and not found:
        error = (
            f"{watch.url}: suspect page: no followed link matches {watch.link_pattern!r} any "
            f"more (there were {len(known.links)}); the index is kept as it was"
        )
        new_state, notices = unhealthy(
            watch, state, now, "suspect", error, title, rules.run_id, rules.alert_after
        )
        return Suspect(title, new_state, notices, base, error, None)
    return _looked(watch, state, fetched, known, now, title, (listed, found, refused))


def _looked(
    watch: Watch,
    state: WatchState,
    fetched: Page,
    known: IndexState | None,
    now: datetime,
    title: str,
    seen: tuple[dict[str, str], dict[str, str], dict[str, str]],
) -> IndexBaseline | IndexUpdate:
    """A healthy look at an index: its links `seen` (listed, followed, refused) against what
    it listed before; a first look is the baseline."""
    listed, found, refused = seen
    stamp = (known or IndexState()).fingerprint()
    refusals = _refusal_notices(watch, now, title, stamp, refused, known, listed)
    new = [u for u in found if known is None or u not in known.links]
    take, over = links.cap_watched(
        new, len(known.discovered) if known else 0, watch.max_auto_watches
    )
    refused_links = (*_refused(refused), *_over_cap(watch, over))
    status = (
        "baseline" if known is None else "changed" if new or _gone(known, found) else "unchanged"
    )
    new_state, notices = healthy(watch, state, now, status, fetched.validators, title)
    notices = (*notices, *refusals)
    if known is None:
        items = [_item(watch, url, found[url], now) for url in take]
        index = IndexState(
            links=found, discovered=items, refused=refused, final_url=fetched.final_url
        )
        return IndexBaseline(title, new_state, notices, index, refused_links)
    news = tuple(_item(watch, u, found[u], now) for u in new)
    return IndexUpdate(
        title,
        new_state,
        notices,
        known,
        found,
        news,
        _gone(known, found),
        frozenset(take),
        refused,
        fetched.final_url,
        refused_links,
    )


def _gone(known: IndexState, found: dict[str, str]) -> tuple[str, ...]:
    return tuple(u for u in known.links if u not in found)


def _refusal_notices(
    watch: Watch,
    now: datetime,
    title: str,
    stamp: str,
    refused: dict[str, str],
    known: IndexState | None,
    listed: dict[str, str],
) -> tuple[ChangeEvent, ...]:
    """A notice for each link refused that was not refused last time (said once)."""
    before = known.refused if known else {}
    return tuple(
        index_notice(
            watch,
            "refused",
            now,
            (url, listed.get(url) or url),
            stamp,
            f"{url} is listed on {title} but was not fetched: {reason}",
        )
        for url, reason in refused.items()
        if url not in before
    )


def _refused(refused: dict[str, str]) -> list[RefusedLink]:
    return [RefusedLink(url=url, reason=reason) for url, reason in refused.items()]


def _over_cap(watch: Watch, over: list[str]) -> list[RefusedLink]:
    reason = f"reported, not watched: over max_auto_watches ({watch.max_auto_watches})"
    return [RefusedLink(url=url, reason=reason) for url in over]


def index_notices(
    watch: Watch, outcome: IndexUpdate, firsts: list[WatchResult], now: datetime
) -> tuple[list[ChangeEvent], IndexState, list[str]]:
    """The publication and withdrawn notices, the index to save and the new publications'
    names, once each taken link's first snapshot (`firsts`, in `news` order) was taken."""
    stamp = outcome.known.fingerprint()
    discovered = {d.id: d for d in outcome.known.discovered}
    notices, names, taken = [], [], iter(firsts)
    for item in outcome.news:
        first = next(taken) if item.url in outcome.take else None
        name, done = _publication(watch, item, first, outcome.found[item.url])
        message = f"{item.url} appeared on {outcome.title}; {done}"
        notices.append(index_notice(watch, "publication", now, (item.url, name), stamp, message))
        names.append(name)
        if first is not None:
            discovered[item.id] = item
    for url in outcome.gone:
        name = outcome.known.links[url] or url
        message = f"{url} is no longer listed on {outcome.title}; its snapshots are kept"
        notices.append(index_notice(watch, "withdrawn", now, (url, name), stamp, message))
    index = IndexState(
        links=outcome.found,
        discovered=list(discovered.values()),
        refused=outcome.refused or {},
        final_url=outcome.final_url,
    )
    return notices, index, names


def _publication(
    watch: Watch, item: Discovered, first: WatchResult | None, text: str
) -> tuple[str, str]:
    """A new link's name and what was done with it (its first snapshot, or why none)."""
    if first is None:
        cap = watch.max_auto_watches
        return (
            text or item.url,
            f"not watched: this index already added {cap} pages (max_auto_watches)",
        )
    ok = first.status not in ("error", "suspect")
    name = first.title if ok and first.title != item.id else (text or item.url)
    if not ok:
        return name, f"no first snapshot: {first.error}"
    follow = "; checked from now on" if watch.auto_watch else ""
    return name, f"first snapshot taken as {item.id}{follow}"


def _item(index: Watch, url: str, text: str, now: datetime) -> Discovered:
    return Discovered(
        id=page_id(index, url), url=url, text=text, first_seen=now, watched=index.auto_watch
    )
