"""Which watches a run checks: the configured ones, plus the pages that `auto_watch` indexes
discovered (read from each index's saved state). Apart from discover.py, which reads index
pages, because it is light: `rightswatch check` selects its watches and starts fetching them
before the parsers load.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from pydantic import BaseModel, ValidationError

from rightswatch import links
from rightswatch.config import Config, Watch
from rightswatch.store import SnapshotStore, StoreError

__all__ = [
    "Discovered",
    "IndexState",
    "discovered_watches",
    "load_index",
    "page_id",
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
    wanted = set(ids)
    return [w for w in everything if w.id in wanted]
