"""The `atom` channel: an Atom 1.0 feed file of the newest change events, newest first.

Each event is one entry whose id never changes (`urn:rightswatch:<watch-id>:<event-id>`), so
a feed reader shows it once however often the feed is rewritten. The file is written aside
and renamed, so a reader never sees half a feed; entries already in the file are kept (up to
`max_entries`), and a send that adds nothing new leaves the file byte for byte as it was.
"""

from __future__ import annotations

import os
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from markupsafe import escape

from rightswatch.config import AtomChannel as AtomConfig
from rightswatch.diff import SectionChange
from rightswatch.digest import Digest
from rightswatch.notify.base import DeliveryError
from rightswatch.outbox import ChangeEvent
from rightswatch.render.labels import change_label

__all__ = ["AtomChannel", "atomic_write", "entry_id", "event_entry", "feed_bytes", "write_feed"]

NS = "http://www.w3.org/2005/Atom"
_A = f"{{{NS}}}"
ET.register_namespace("", NS)


def entry_id(event: ChangeEvent) -> str:
    return f"urn:rightswatch:{event.watch_id}:{event.id}"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # RFC 3339, ordered


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> None:
    node = ET.SubElement(parent, _A + tag, attrs)
    if text is not None:
        node.text = text


def _change_html(change: SectionChange) -> str:
    lines = [f"<li><strong>{escape(change.heading)}</strong>: {escape(change_label(change))}"]
    quotes = []
    for s in change.sentences:
        if s.kind == "added":
            quotes.append(f"<li>Added: “<ins>{escape(s.new or '')}</ins>”</li>")
        elif s.kind == "removed":
            quotes.append(f"<li>Removed: “<del>{escape(s.old or '')}</del>”</li>")
        else:
            quotes.append(
                f"<li>Corrected: “<del>{escape(s.old or '')}</del>” → "
                f"“<ins>{escape(s.new or '')}</ins>”</li>"
            )
    if quotes:
        lines.append("<ul>" + "".join(quotes) + "</ul>")
    return "".join(lines) + "</li>"


def event_html(event: ChangeEvent, report: str | None) -> str:
    """The entry's content: changed sections and their sentences, page text escaped."""
    parts = []
    if event.message:
        parts.append(f"<p>{escape(event.message)}</p>")
    if event.changes:
        parts.append("<ul>" + "".join(_change_html(c) for c in event.changes) + "</ul>")
    if report:
        parts.append(f'<p><a href="{escape(report)}">Full report</a></p>')
    if event.archive_url:
        parts.append(f'<p><a href="{escape(event.archive_url)}">Archived copy</a></p>')
    return "".join(parts) or f"<p>{escape(event.kind)}</p>"


def event_entry(event: ChangeEvent, report: str | None) -> ET.Element:
    """One Atom entry for one event; `report` is the change report's URL, if published."""
    entry = ET.Element(_A + "entry")
    _sub(entry, "id", entry_id(event))
    sections = ", ".join(dict.fromkeys(c.heading for c in event.changes))
    what = f"{len(event.changes)} section(s) changed: {sections}" if event.changes else event.kind
    title = event.title if event.kind != "change" else f"{event.title}: {what}"
    _sub(entry, "title", title)
    _sub(entry, "updated", _stamp(event.detected_at))
    _sub(entry, "link", rel="alternate", type="text/html", href=event.url)
    if report:
        _sub(entry, "link", rel="related", type="text/html", href=report, title="Change report")
    if event.archive_url:
        _sub(entry, "link", rel="via", href=event.archive_url, title="Archived copy")
    _sub(entry, "content", event_html(event, report), type="html")
    return entry


def _updated(entry: ET.Element) -> str:
    return str(entry.findtext(_A + "updated") or "")


def _existing(path: Path) -> list[ET.Element]:
    if not path.is_file():
        return []
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:
        return []  # a damaged feed is rebuilt from the events at hand
    return list(root.iter(_A + "entry"))


def feed_bytes(
    feed_id: str, title: str, entries: Iterable[ET.Element], self_href: str | None = None
) -> bytes:
    ordered = sorted(entries, key=lambda e: (_updated(e), e.findtext(_A + "id") or ""))
    ordered.reverse()
    root = ET.Element(_A + "feed")
    _sub(root, "id", feed_id)
    _sub(root, "title", title)
    # The newest entry's time, not now: the same entries always give the same bytes.
    _sub(
        root, "updated", _updated(ordered[0]) if ordered else _stamp(datetime.fromtimestamp(0, UTC))
    )
    author = ET.SubElement(root, _A + "author")
    ET.SubElement(author, _A + "name").text = "rightswatch"
    _sub(root, "generator", "rightswatch")
    if self_href:
        _sub(root, "link", rel="self", href=self_href)
    root.extend(ordered)
    ET.indent(root)
    data: bytes = ET.tostring(root, xml_declaration=True, encoding="utf-8")
    return data


def write_feed(
    path: Path,
    feed_id: str,
    title: str,
    entries: list[ET.Element],
    max_entries: int,
    self_href: str | None = None,
) -> bool:
    """Merge `entries` into the feed at `path` (same id: the new one wins), keep the newest
    `max_entries`, write atomically. Returns whether the file changed."""
    fresh = {e.findtext(_A + "id"): e for e in entries}
    kept = [e for e in _existing(path) if e.findtext(_A + "id") not in fresh]
    merged = sorted([*fresh.values(), *kept], key=_updated, reverse=True)[:max_entries]
    return atomic_write(path, feed_bytes(feed_id, title, merged, self_href))


def atomic_write(path: Path, data: bytes) -> bool:
    """Write aside and rename, so readers never see half a file; an unchanged file is not
    touched. Returns whether the file changed."""
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
    return True


class AtomChannel:
    def __init__(self, name: str, config: AtomConfig) -> None:
        self.name = name
        self.config = config

    def send(self, digest: Digest, idempotency_key: str, skip_parts: int = 0) -> None:  # noqa: ARG002 - the Channel interface
        entries = [event_entry(e, digest.report_link(e)) for e in digest.events]
        try:
            write_feed(
                Path(self.config.path),
                f"urn:rightswatch:feed:{self.name}",
                self.config.title or f"rightswatch: {self.name}",
                entries,
                self.config.max_entries,
            )
        except OSError as exc:
            raise DeliveryError(
                f"channel {self.name!r}: cannot write the feed {self.config.path}: "
                f"{exc.strerror or exc}; check the path and its folder's permissions"
            ) from None
