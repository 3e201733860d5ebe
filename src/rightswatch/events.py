"""Every change event and notice a check puts in the outbox is built here, in one place.

Ids are deterministic, so a check repeated after a crash writes the same event, not a twin.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Literal

from rightswatch.config import Watch
from rightswatch.diff import SectionChange
from rightswatch.outbox import ChangeEvent

__all__ = [
    "change_event",
    "edition_event",
    "health_notice",
    "index_notice",
    "lag_notice",
]


def change_event(
    watch: Watch,
    title: str,
    now: datetime,
    snapshots: tuple[str | None, str],
    hashes: tuple[str, str],
    alerts: list[SectionChange],
    report: str,
) -> ChangeEvent:
    """Section changes between two snapshots; the edits stay in the snapshots, not the event."""
    return ChangeEvent(
        id=ChangeEvent.make_id("change", *hashes),
        watch_id=watch.id,
        url=watch.url,
        title=title,
        detected_at=now,
        from_snapshot=snapshots[0],
        report=report,
        to_snapshot=snapshots[1],
        changes=[c.model_copy(update={"edits": []}) for c in alerts],
        channels=list(watch.channels),
    )


def edition_event(
    watch: Watch,
    title: str,
    now: datetime,
    snapshots: tuple[str | None, str],
    hashes: tuple[str, str],
    summary: str,
) -> ChangeEvent:
    """One notice for a page that rolled over to a new edition, instead of a full diff."""
    return ChangeEvent(
        id=ChangeEvent.make_id("edition", *hashes),
        kind="edition",
        watch_id=watch.id,
        url=watch.url,
        title=f"new edition: {title}",
        detected_at=now,
        from_snapshot=snapshots[0],
        to_snapshot=snapshots[1],
        message=summary,
        channels=list(watch.channels),
    )


def health_notice(
    watch: Watch,
    kind: Literal["failing", "recovered"],
    title: str,
    now: datetime,
    since: datetime,
    message: str,
) -> ChangeEvent:
    """A failure streak's one "failing" notice, or its one "recovered" notice."""
    return ChangeEvent(
        id=f"{kind}-{since:%Y%m%dT%H%M%S%f}",
        kind=kind,
        watch_id=watch.id,
        url=watch.url,
        title=title,
        detected_at=now,
        message=message,
        channels=list(watch.health_channels or watch.channels),
    )


def index_notice(
    index: Watch,
    kind: Literal["publication", "withdrawn", "refused"],
    now: datetime,
    link: tuple[str, str],
    stamp: str,
    message: str,
) -> ChangeEvent:
    """A link (url, name) that appeared on or went from an index page; `stamp` names the link
    set it was found against."""
    url, name = link
    key = hashlib.sha256(url.encode()).hexdigest()[:12]
    title = {
        "publication": f"new publication: {name}",
        "withdrawn": f"publication removed from the index: {name}",
        "refused": f"link not followed: {name}",
    }[kind]
    return ChangeEvent(
        id=f"{kind}-{key}-{stamp}",
        kind=kind,
        watch_id=index.id,
        url=url,
        title=title,
        detected_at=now,
        message=message,
        channels=list(index.channels),
    )


def lag_notice(
    follower: Watch, event_id: str, title: str, now: datetime, message: str
) -> ChangeEvent:
    """A translation that did not follow its pair's change within the lag."""
    return ChangeEvent(
        id=event_id,
        kind="lag",
        watch_id=follower.id,
        url=follower.url,
        title=f"translation lag: {title}",
        detected_at=now,
        message=message,
        channels=list(follower.channels),
    )
