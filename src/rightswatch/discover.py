"""Publication discovery: an index page (a report's country list) gaining or losing links.

An index watch keeps the set of matching links it last saw in `<id>/index.json`, with the
pages it discovered. A new link is reported as a new publication and gets its first snapshot
at once; with `auto_watch: true` it is then checked on every run with the index's settings.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urldefrag, urljoin

from bs4 import BeautifulSoup
from pydantic import BaseModel, ValidationError

from rightswatch.config import Config, Watch
from rightswatch.fetch import FetchError, Page
from rightswatch.outbox import ChangeEvent
from rightswatch.result import CheckContext, CheckInProgress, WatchResult, WatchStatus
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


def _key(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:12]


def check_index(
    watch: Watch, ctx: CheckContext, now: datetime, first_snapshot: Callable[[Watch], WatchResult]
) -> WatchResult:
    """Fetch the index, report links that appeared or went, snapshot each new publication.

    Outbox first, then index.json: a crash in between reports again (same ids), never loses."""
    state = ctx.store.state(watch.id)
    title = watch.title or state.title or watch.id
    result = WatchResult(id=watch.id, url=watch.url, title=title, status="unchanged")
    check = CheckInProgress(watch, ctx, state, now, result)
    try:
        page = ctx.fetcher.fetch(watch.url, None)
    except FetchError as exc:
        return check.unhealthy("error", str(exc), exc.retryable)
    assert isinstance(page, Page) and watch.link_pattern is not None  # no validators: no 304
    found = index_links(page.text, page.final_url, watch.link_pattern)
    known = load_index(ctx.store, watch.id)
    if known is None:  # the first look: everything listed is the baseline, not news
        items = [_item(watch, url, text, now) for url, text in found.items()]
        save_index(ctx.store, watch.id, IndexState(links=found, discovered=items))
        check.healthy("baseline", page.validators)
        return check.result.model_copy(update={"status": "baseline"})
    if known.links and not found:
        return check.unhealthy(
            "suspect",
            f"{watch.url}: suspect page: no link matches {watch.link_pattern!r} any more "
            f"(there were {len(known.links)}); the index is kept as it was",
        )
    stamp = known.fingerprint()
    discovered = {d.id: d for d in known.discovered}
    news = []
    for url in (u for u in found if u not in known.links):
        item = _item(watch, url, found[url], now)
        first = first_snapshot(page_watch(watch, item))
        ok = first.status not in ("error", "suspect")
        name = first.title if ok and first.title != item.id else (found[url] or url)
        taken = f"first snapshot taken as {item.id}" if ok else f"no first snapshot: {first.error}"
        follow = "; checked from now on" if ok and watch.auto_watch else ""
        news.append(name)
        discovered[item.id] = item
        ctx.outbox.add(
            _notice(
                watch,
                now,
                f"publication-{_key(url)}-{stamp}",
                "publication",
                url,
                f"new publication: {name}",
                f"{url} appeared on {title}; {taken}{follow}",
            )
        )
    gone = [u for u in known.links if u not in found]
    for url in gone:
        name = known.links[url] or url
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
    save_index(ctx.store, watch.id, IndexState(links=found, discovered=list(discovered.values())))
    status: WatchStatus = "changed" if news or gone else "unchanged"
    check.healthy(status, page.validators)
    return check.result.model_copy(update={"status": status, "publications": news})


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
