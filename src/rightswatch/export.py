"""The change log as evidence: one row per section change between consecutive snapshots.

Rows are recomputed from the snapshot history, not read from the outbox, so the log is
complete (minor edits included, flagged) whatever was delivered. Each row carries the fetch
times and the SHA-256 of both raw pages, so a change can be cited and checked against the
archived HTML (`<watch>/raw/<sha256>.html.gz`).
"""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import IO, Any

from rightswatch.config import Watch
from rightswatch.diff import diff_documents, prepare
from rightswatch.document import Document
from rightswatch.store import SnapshotRecord, SnapshotStore

__all__ = ["COLUMNS", "change_rows", "write_csv", "write_jsonl"]

COLUMNS = [
    "watch",
    "url",
    "section",
    "old_section",
    "kind",
    "minor",
    "old_text",
    "new_text",
    "facts",
    "from_snapshot",
    "to_snapshot",
    "old_fetched_at",
    "new_fetched_at",
    "old_raw_sha256",
    "new_raw_sha256",
    "edition",
    "archive_url",  # the web archive's copy of the new side, once known (preserve.py)
]


def _text(doc: Document, index: int | None) -> str:
    return doc.sections[index].text if index is not None else ""


def _row(
    watch_id: str, url: str, old: SnapshotRecord, new: SnapshotRecord, **fields: Any
) -> dict[str, Any]:
    return {
        "watch": watch_id,
        "url": url,
        "from_snapshot": old.id,
        "to_snapshot": new.id,
        "old_fetched_at": old.fetch.fetched_at.isoformat(),
        "new_fetched_at": new.fetch.fetched_at.isoformat(),
        "old_raw_sha256": old.fetch.raw_sha256,
        "new_raw_sha256": new.fetch.raw_sha256,
        "edition": new.edition,
        **fields,
    }


def change_rows(
    store: SnapshotStore,
    watch_ids: Iterable[str],
    watches: dict[str, Watch],
    since: datetime | None = None,
) -> Iterator[dict[str, Any]]:
    """Rows in watch order, then time; `since` keeps changes whose newer snapshot is later."""
    for watch_id in watch_ids:
        yield from _watch_rows(store, watch_id, watches.get(watch_id), since)


def _watch_rows(
    store: SnapshotStore, watch_id: str, watch: Watch | None, since: datetime | None
) -> Iterator[dict[str, Any]]:
    last: tuple[str, Document] | None = None  # a pair's newer side is the next pair's older

    def document(record: SnapshotRecord) -> Document:
        """As the watch sees it, so the change indexes below match; each read once."""
        nonlocal last
        if last is None or last[0] != record.content_hash:
            doc = store.document(watch_id, record.content_hash)
            if watch is not None:
                doc = prepare(doc, watch.sections, watch.ignore)
            last = (record.content_hash, doc)
        return last[1]

    history = store.history(watch_id)
    for old, new in itertools.pairwise(history):
        if since is not None and new.taken_at < since:
            continue
        url = new.fetch.final_url or (watch.url if watch else "")
        archived = store.archive_url(watch_id, new)  # once per pair, not per row
        if new.edition != old.edition:  # a new edition line: one row, not a giant diff
            yield _edition_row(watch_id, url, old, new, archived)
            continue
        before, after = document(old), document(new)
        for change in diff_documents(before, after, watch.lang if watch else None).changes:
            yield _row(
                watch_id,
                url,
                old,
                new,
                section=change.heading,
                old_section=change.old_heading or "",
                kind=change.kind,
                minor=change.minor,
                old_text=_text(before, change.old_index),
                new_text=_text(after, change.new_index),
                facts=[f.model_dump(mode="json") for f in change.facts],
                archive_url=archived,
            )


def _edition_row(
    watch_id: str, url: str, old: SnapshotRecord, new: SnapshotRecord, archived: str | None
) -> dict[str, Any]:
    return _row(
        watch_id,
        url,
        old,
        new,
        section="",
        old_section="",
        kind="new-edition",
        minor=False,
        old_text=old.title,
        new_text=new.title,
        facts=[],
        archive_url=archived,
    )


def write_jsonl(rows: Iterable[dict[str, Any]], out: IO[str]) -> int:
    count = 0
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    return count


def write_csv(rows: Iterable[dict[str, Any]], out: IO[str]) -> int:
    """RFC 4180 CSV with a header; `facts` is a JSON array in its cell."""
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow({**row, "facts": json.dumps(row["facts"], ensure_ascii=False)})
        count += 1
    return count
