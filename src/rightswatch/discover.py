"""Publication discovery: an index page (a report's country list) gaining or losing links.

An index watch keeps the set of matching links it last saw in `<id>/index.json`, with the
pages it discovered. A new link is reported as a new publication and gets its first snapshot
at once; with `auto_watch: true` it is then checked on every run with the index's settings.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from urllib.parse import urldefrag, urljoin

from bs4 import BeautifulSoup
from pydantic import BaseModel, ValidationError

from rightswatch import links
from rightswatch.config import Config, Watch
from rightswatch.fetch import FetchError, Page
from rightswatch.outbox import ChangeEvent
from rightswatch.result import (
    CheckContext,
    CheckInProgress,
    RefusedLink,
    WatchResult,
    WatchStatus,
)
from rightswatch.store import SnapshotStore, StoreError

__all__ = [
    "Discovered",
    "IndexState",
    "check_index",
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
    links: dict[str, str] = {}  # absolute URL -> link text, as last seen (followed ones)
    discovered: list[Discovered] = []
    refused: dict[str, str] = {}  # absolute URL -> why it is not followed, as last seen
    final_url: str | None = None  # where the index was last served from (its links' host)

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


def _path(watch_id: str) -> str:
    return f"{watch_id}/index.json"


def load_index(store: SnapshotStore, watch_id: str) -> IndexState | None:
    raw = store.blobs.read(_path(watch_id))
    if raw is None:
        return None
    try:
        return IndexState.model_validate_json(raw)
    except ValidationError:
        raise StoreError(
            f"{store.blobs.describe(_path(watch_id))} is unreadable; move it aside and the "
            "next run starts the index afresh (reporting no new publications that run)"
        ) from None


def save_index(store: SnapshotStore, watch_id: str, state: IndexState) -> None:
    store.blobs.write(_path(watch_id), state.model_dump_json(indent=2).encode("utf-8"))


def page_id(index: Watch, url: str) -> str:
    """A readable, stable watch id for a discovered page, always a slug (links.page_id)."""
    return links.page_id(index.id, url)


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
        hosts = links.index_hosts(index, state.final_url if state else None)
        for item in state.discovered if state else []:
            if links.link_refusal(item.url, hosts) is not None:
                continue  # found before links were kept on their site; never fetched now
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


def _key(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:12]


def check_index(
    watch: Watch, ctx: CheckContext, now: datetime, first_snapshot: Callable[[Watch], WatchResult]
) -> WatchResult:
    """Fetch the index, report links that appeared or went, snapshot each new publication.

    Only links on the index's own host (or `link_hosts`) are followed; the others are named in
    the result and, once, in the digest. Outbox first, then index.json: a crash in between
    reports again (same ids), never loses."""
    state = ctx.store.state(watch.id)
    title = watch.title or state.title or watch.id
    result = WatchResult(id=watch.id, url=watch.url, title=title, status="unchanged")
    check = CheckInProgress(watch, ctx, state, now, result)
    try:
        page = ctx.fetcher.fetch(watch.url, None)
    except FetchError as exc:
        return check.unhealthy("error", str(exc), exc.retryable)
    assert isinstance(page, Page) and watch.link_pattern is not None  # no validators: no 304
    listed = index_links(page.text, page.final_url, watch.link_pattern)
    found, refused = links.split_links(listed, links.index_hosts(watch, page.final_url))
    known = load_index(ctx.store, watch.id)
    stamp = (known or IndexState()).fingerprint()
    before = known.refused if known else {}
    refusals = _report_refused(watch, ctx, now, title, stamp, refused, before, listed)
    if known is None:  # the first look: everything listed is the baseline, not news
        return _first_look(check, page, found, refused, refusals)
    if known.links and not found:
        suspect = check.unhealthy(
            "suspect",
            f"{watch.url}: suspect page: no followed link matches {watch.link_pattern!r} any "
            f"more (there were {len(known.links)}); the index is kept as it was",
        )
        return suspect.model_copy(update={"refused_links": refusals})
    discovered = {d.id: d for d in known.discovered}
    new = [u for u in found if u not in known.links]
    take, over = links.cap_watched(new, len(discovered), watch.max_auto_watches)
    news = [
        _publication(
            watch, ctx, now, title, stamp, _item(watch, url, found[url], now), take, first_snapshot
        )
        for url in new
    ]
    for url in take:  # snapshotted by _publication, watched from now on
        item = _item(watch, url, found[url], now)
        discovered[item.id] = item
    gone = _report_gone(watch, ctx, now, title, stamp, known.links, found)
    save_index(ctx.store, watch.id, _state(found, list(discovered.values()), refused, page))
    status: WatchStatus = "changed" if news or gone else "unchanged"
    check.healthy(status, page.validators)
    refusals += _over_cap(watch, over)
    update = {"status": status, "publications": news, "refused_links": refusals}
    return check.result.model_copy(update=update)


def _first_look(
    check: CheckInProgress,
    page: Page,
    found: dict[str, str],
    refused: dict[str, str],
    refusals: list[RefusedLink],
) -> WatchResult:
    watch = check.watch
    urls, over = links.cap_watched(list(found), 0, watch.max_auto_watches)
    items = [_item(watch, url, found[url], check.now) for url in urls]
    save_index(check.store, watch.id, _state(found, items, refused, page))
    check.healthy("baseline", page.validators)
    update = {"status": "baseline", "refused_links": refusals + _over_cap(watch, over)}
    return check.result.model_copy(update=update)


def _report_gone(
    watch: Watch,
    ctx: CheckContext,
    now: datetime,
    title: str,
    stamp: str,
    before: Mapping[str, str],
    found: Mapping[str, str],
) -> list[str]:
    """A notice for each link no longer listed; returns their URLs."""
    gone = [u for u in before if u not in found]
    for url in gone:
        name = before[url] or url
        ctx.outbox.add(
            _notice(
                watch,
                now,
                f"withdrawn-{_key(url)}-{stamp}",
                "withdrawn",
                url,
                f"publication removed from the index: {name}",
                f"{url} is no longer listed on {title}; its snapshots are kept",
            )
        )
    return gone


def _state(
    found: dict[str, str], items: list[Discovered], refused: dict[str, str], page: Page
) -> IndexState:
    return IndexState(links=found, discovered=items, refused=refused, final_url=page.final_url)


def _publication(
    watch: Watch,
    ctx: CheckContext,
    now: datetime,
    title: str,
    stamp: str,
    item: Discovered,
    take: list[str],
    first_snapshot: Callable[[Watch], WatchResult],
) -> str:
    """The notice of one new link, snapshotted at once when in `take`; returns its name."""
    taken = item.url in take
    first = first_snapshot(page_watch(watch, item)) if taken else None
    ok = first is not None and first.status not in ("error", "suspect")
    name = first.title if first is not None and ok and first.title != item.id else ""
    name = name or item.text or item.url
    if not taken:
        done = (
            f"not watched: this index already added {watch.max_auto_watches} pages "
            "(max_auto_watches)"
        )
    elif ok:
        done = f"first snapshot taken as {item.id}"
        done += "; checked from now on" if watch.auto_watch else ""
    else:
        done = f"no first snapshot: {first.error if first else ''}"
    ctx.outbox.add(
        _notice(
            watch,
            now,
            f"publication-{_key(item.url)}-{stamp}",
            "publication",
            item.url,
            f"new publication: {name}",
            f"{item.url} appeared on {title}; {done}",
        )
    )
    return name


def _report_refused(
    watch: Watch,
    ctx: CheckContext,
    now: datetime,
    title: str,
    stamp: str,
    refused: Mapping[str, str],
    before: Mapping[str, str],
    listed: Mapping[str, str],
) -> list[RefusedLink]:
    """Every refused link for the result; a notice for each one not refused last time."""
    for url, reason in refused.items():
        if url in before:
            continue
        ctx.outbox.add(
            _notice(
                watch,
                now,
                f"refused-{_key(url)}-{stamp}",
                "refused",
                url,
                f"link not followed: {listed.get(url) or url}",
                f"{url} is listed on {title} but was not fetched: {reason}",
            )
        )
    return [RefusedLink(url=url, reason=reason) for url, reason in refused.items()]


def _over_cap(watch: Watch, over: list[str]) -> list[RefusedLink]:
    reason = f"reported, not watched: over max_auto_watches ({watch.max_auto_watches})"
    return [RefusedLink(url=url, reason=reason) for url in over]


def _item(index: Watch, url: str, text: str, now: datetime) -> Discovered:
    return Discovered(
        id=page_id(index, url), url=url, text=text, first_seen=now, watched=index.auto_watch
    )


def _notice(
    index: Watch, now: datetime, event_id: str, kind: str, url: str, title: str, message: str
) -> ChangeEvent:
    return ChangeEvent.model_validate(
        {
            "id": event_id,
            "kind": kind,
            "watch_id": index.id,
            "url": url,
            "title": title,
            "detected_at": now,
            "message": message,
            "channels": list(index.channels),
        }
    )
