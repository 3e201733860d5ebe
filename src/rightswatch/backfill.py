"""Backfill: a watch's history before its first own snapshot, from a web archive's captures.

CDX lists the captures; each one's original bytes (`id_`) become a snapshot with the capture
time as its fetch time, the SHA-256 of those bytes and `archived_from` as the mark of where it
came from. Nothing goes to the outbox, so no channel hears of it. Captures already imported,
captures that do not answer 200 and suspect ones (block pages) are skipped; the last two are
listed, so a researcher knows which dates are missing and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import requests

from rightswatch.config import Config, Watch
from rightswatch.decode import decode_html
from rightswatch.editions import edition_label
from rightswatch.evaluate import read_page
from rightswatch.extract import ExtractError
from rightswatch.guard import assess
from rightswatch.page import Page, Validators
from rightswatch.preserve import ArchiveError, Wayback
from rightswatch.store import FetchInfo, SnapshotRecord, SnapshotStore

__all__ = ["BackfillReport", "Capture", "backfill", "list_captures"]


@dataclass(frozen=True)
class Capture:
    timestamp: str  # YYYYMMDDhhmmss, as the archive names it
    original: str
    status: str

    @property
    def at(self) -> datetime:
        return datetime.strptime(self.timestamp[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC)

    def url(self, endpoint: str) -> str:
        return f"{endpoint}/web/{self.timestamp}/{self.original}"


@dataclass
class BackfillReport:
    imported: list[SnapshotRecord] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (capture URL, why)
    known: int = 0  # captures imported by an earlier backfill
    newer: int = 0  # captures not older than the watch's first own snapshot


def list_captures(archive: Wayback, url: str, since: date | None = None) -> list[Capture]:
    params = {
        "url": url,
        "output": "json",
        "fl": "timestamp,original,statuscode,digest",
        "filter": "statuscode:200",
        "collapse": "digest",
    }
    if since is not None:
        params["from"] = since.strftime("%Y%m%d")
    resp = archive.request("GET", f"{archive.endpoint}/cdx/search/cdx", params=params)
    try:
        rows = resp.json() if resp.status_code == 200 and resp.content.strip() else []
    except ValueError:
        raise ArchiveError(f"{resp.url}: the CDX answer is not JSON") from None
    if not isinstance(rows, list) or not rows:
        return []
    header = [str(h) for h in rows[0]]
    out = []
    for row in rows[1:]:
        item = dict(zip(header, row, strict=False))
        if {"timestamp", "original"} <= item.keys():
            out.append(Capture(item["timestamp"], item["original"], item.get("statuscode", "")))
    return sorted(out, key=lambda c: c.timestamp)


def backfill(
    config: Config, store: SnapshotStore, watch: Watch, archive: Wayback, since: date | None = None
) -> BackfillReport:
    """Import the captures older than the watch's first own snapshot, oldest first."""
    report = BackfillReport()
    with store.lock(watch.id, timeout=config.fetch.timeout * 4 + 60):
        history = store.history(watch.id)
        own = [r for r in history if not r.fetch.archived_from]
        if not own:  # else the first check would diff against a capture and notify everyone
            raise ArchiveError(
                f"{watch.id} has no snapshot of its own yet; run `rightswatch check --watch "
                f"{watch.id}` first, then backfill what came before it"
            )
        first_own = own[0].taken_at
        known = {r.fetch.archived_from for r in history if r.fetch.archived_from}
        for capture in list_captures(archive, watch.url, since):
            where = capture.url(archive.endpoint)
            if capture.at >= first_own:
                report.newer += 1
            elif where in known:
                report.known += 1
            else:
                record = _import(config, store, watch, archive, capture, report)
                if record is not None:
                    report.imported.append(record)
    return report


def _import(
    config: Config,
    store: SnapshotStore,
    watch: Watch,
    archive: Wayback,
    capture: Capture,
    report: BackfillReport,
) -> SnapshotRecord | None:
    where = capture.url(archive.endpoint)
    if capture.status not in ("200", ""):
        report.skipped.append((where, f"the archive recorded HTTP {capture.status}"))
        return None
    raw_url = f"{archive.endpoint}/web/{capture.timestamp}id_/{capture.original}"
    resp = archive.request("GET", raw_url)
    if resp.status_code != 200:
        report.skipped.append((where, f"the capture answered HTTP {resp.status_code}"))
        return None
    page = _capture_page(capture, resp)
    try:
        doc = read_page(watch, page)
    except ExtractError as exc:
        report.skipped.append((where, f"could not be read: {exc}"))
        return None
    verdict = assess(doc, None, config.guard)  # the absolute checks: block and error pages
    if verdict is not None:
        report.skipped.append((where, f"suspect: {verdict.reason}"))
        return None
    fetch = FetchInfo(
        fetched_at=capture.at,
        status=200,
        final_url=capture.original,
        raw_sha256=page.sha256,
        encoding=page.encoding,
        archived_from=where,
    )
    previous = [r for r in store.history(watch.id) if r.taken_at < capture.at]
    if previous and previous[-1].content_hash == doc.content_hash():
        return None  # the same text as the capture before: nothing new to record
    return store.import_record(watch.id, doc, fetch, page.body, edition_label(doc))


def _capture_page(capture: Capture, resp: requests.Response) -> Page:
    """A capture's original bytes as the page they were: a PDF by its magic, else HTML."""
    body = resp.content
    if body.lstrip()[:5] == b"%PDF-":
        text, encoding, ctype = "", "binary", "application/pdf"
    else:
        declared = resp.encoding if "charset" in resp.headers.get("Content-Type", "") else None
        (text, encoding), ctype = decode_html(body, declared), "text/html"
    return Page(
        capture.original,
        capture.original,
        200,
        ctype,
        body,
        text,
        encoding,
        Validators(),
        capture.at,
        0.0,
    )
