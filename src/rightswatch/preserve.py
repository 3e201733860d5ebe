"""Preservation: ask a web archive (Save Page Now) to hold a copy of every baseline and change.

A check only queues a save (`enqueue`, one small file per snapshot); `run_saves` runs after
delivery, so an archive that is slow or down never holds a digest back. Each run submits at most
`archive.max_per_run` saves, oldest first, polls them for at most `archive.poll_timeout`
seconds in all, and leaves the rest (and any failure) queued for the next run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from markupsafe import escape

from rightswatch.config import ArchiveSettings, Config
from rightswatch.http import archive_session
from rightswatch.netpolicy import AddressPolicy, AddressRefused, own_hosts
from rightswatch.outbox import ChangeEvent, Outbox
from rightswatch.politeness import HostLimiter
from rightswatch.secrets import reveal
from rightswatch.store import ArchiveSave, SnapshotStore

__all__ = ["ArchiveError", "SaveReport", "Wayback", "enqueue", "run_saves", "with_archive_urls"]

REPORT_MARK = "<!--rightswatch:archive-->"


class ArchiveError(Exception):
    """The archive did not take or confirm a save; `outage` means stop asking this run."""

    def __init__(self, message: str, *, outage: bool = False) -> None:
        super().__init__(message)
        self.outage = outage


@dataclass
class Wayback:
    """The Wayback Machine's Save Page Now, CDX and capture endpoints, behind per-host limits."""

    settings: ArchiveSettings
    limiter: HostLimiter
    user_agent: str = "rightswatch"
    session: requests.Session = field(default_factory=requests.Session)

    @property
    def endpoint(self) -> str:
        return self.settings.endpoint

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": self.user_agent}
        s = self.settings
        if s.access_key is not None and s.secret_key is not None:
            headers["Authorization"] = f"LOW {reveal(s.access_key)}:{reveal(s.secret_key)}"
        return headers

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        host = urlsplit(url).hostname or ""
        try:
            with self.limiter.slot(host):
                resp = self.session.request(
                    method, url, headers=self._headers(), timeout=self.settings.timeout, **kwargs
                )
        except requests.RequestException as exc:
            raise ArchiveError(f"{url}: {type(exc).__name__}", outage=True) from None
        except AddressRefused as exc:  # a redirect to, or a name that resolves to, a private host
            raise ArchiveError(exc.message, outage=True) from None
        except OSError as exc:  # the endpoint's name does not resolve
            raise ArchiveError(f"{url}: {exc}", outage=True) from None
        if resp.status_code >= 500 or resp.status_code == 429:
            raise ArchiveError(f"{url}: HTTP {resp.status_code}", outage=True)
        return resp

    def _json(self, resp: requests.Response) -> dict[str, Any]:
        try:
            data = resp.json()
        except ValueError:
            data = None
        if resp.status_code != 200 or not isinstance(data, dict):
            raise ArchiveError(f"{resp.url}: HTTP {resp.status_code}, not a JSON answer")
        return data

    def submit(self, url: str) -> str:
        data = self._json(self.request("POST", f"{self.endpoint}/save", data={"url": url}))
        job = data.get("job_id")
        if not isinstance(job, str) or not job:
            raise ArchiveError(f"{self.endpoint}/save gave no job_id: {data.get('message', '')}")
        return job

    def status(self, job_id: str) -> str | None:
        """The archive URL once saved, None while pending; raises if the save failed."""
        data = self._json(self.request("GET", f"{self.endpoint}/save/status/{job_id}"))
        state = data.get("status")
        if state == "success":
            return f"{self.endpoint}/web/{data['timestamp']}/{data['original_url']}"
        if state == "error":
            raise ArchiveError(f"save failed: {data.get('message') or 'no reason given'}")
        return None


def wayback_for(config: Config, limiter: HostLimiter | None = None) -> Wayback:
    """The archive client; `limiter` shares the run's per-host limits (fetch.per_host_*)."""
    assert config.archive is not None
    f = config.fetch
    policy = AddressPolicy(
        allow_private=f.allow_private, trusted=own_hosts(config.archive.endpoint)
    )
    return Wayback(
        config.archive,
        limiter or HostLimiter(f.per_host_concurrency, f.per_host_delay),
        f.user_agent,
        archive_session(policy),
    )


def enqueue(store: SnapshotStore, watch_id: str, snapshot: str, url: str, at: datetime) -> None:
    """Queue a save of a snapshot once; queuing it again keeps the first entry."""
    if store.archive_save(watch_id, snapshot) is None:
        store.put_archive_save(
            ArchiveSave(watch_id=watch_id, snapshot=snapshot, url=url, queued_at=at)
        )


def queued(store: SnapshotStore) -> list[ArchiveSave]:
    """Saves not yet confirmed, oldest first."""
    items = store.all_queued_archive_saves()
    return sorted(items, key=lambda s: (s.queued_at, s.watch_id, s.snapshot))


@dataclass
class SaveReport:
    saved: list[ArchiveSave] = field(default_factory=list)
    failed: list[ArchiveSave] = field(default_factory=list)
    waiting: int = 0  # still queued: pending at the archive, or beyond max_per_run


def _failed(store: SnapshotStore, save: ArchiveSave, error: str, report: SaveReport) -> None:
    save = save.model_copy(
        update={"job_id": None, "attempts": save.attempts + 1, "last_error": error}
    )
    store.put_archive_save(save)
    report.failed.append(save)


def run_saves(
    config: Config,
    store: SnapshotStore,
    archive: Wayback | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> SaveReport:
    """Submit and poll this run's share of the queue; never raises for an archive failure."""
    report = SaveReport()
    if config.archive is None:
        return report
    if archive is None:
        own = wayback_for(config)
        try:
            return run_saves(config, store, own, clock, sleep)
        finally:
            own.session.close()
    settings = config.archive
    todo = queued(store)
    batch, report.waiting = todo[: settings.max_per_run], len(todo[settings.max_per_run :])
    polling: list[ArchiveSave] = []
    for n, save in enumerate(batch):
        if save.job_id is None:
            try:
                save = save.model_copy(update={"job_id": archive.submit(save.url)})
            except ArchiveError as exc:
                _failed(store, save, str(exc), report)
                if exc.outage:  # the archive is down: ask again next run, not now
                    report.waiting += len(batch) - n - 1
                    break
                continue
            store.put_archive_save(save)
        polling.append(save)
    _poll(store, archive, polling, report, clock, sleep)
    return report


def _poll(
    store: SnapshotStore,
    archive: Wayback,
    polling: list[ArchiveSave],
    report: SaveReport,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> None:
    settings = archive.settings
    deadline = clock() + settings.poll_timeout
    while polling:
        still = []
        for save in polling:
            try:
                url = archive.status(save.job_id or "")
            except ArchiveError as exc:
                if exc.outage:
                    still.append(save)  # the job may well finish; poll it next run
                else:
                    _failed(store, save, str(exc), report)
                continue
            if url is None:
                still.append(save)
                continue
            done = save.model_copy(
                update={"archive_url": url, "saved_at": datetime.now(UTC), "last_error": None}
            )
            store.put_archive_save(done)
            link_reports(store, done)
            report.saved.append(done)
        polling = still
        if not polling or clock() >= deadline:
            break
        sleep(settings.poll_interval)
    report.waiting += len(polling)


def link_reports(store: SnapshotStore, save: ArchiveSave) -> None:
    """Put the archived copy's link into the HTML report of the change to this snapshot."""
    for event in Outbox(store).events(save.watch_id):
        if event.to_snapshot != save.snapshot or not event.report or not save.archive_url:
            continue
        html = store.report_bytes(event.report)
        if html is not None and REPORT_MARK.encode() in html:
            store.put_report_bytes(event.report, with_archive_link(html, save.archive_url))


def with_archive_link(html: bytes, archive_url: str) -> bytes:
    """A report with its archive mark replaced by a link to the archived copy (escaped)."""
    link = (
        f'<p class="archived">Archived copy of the new version: '
        f'<a href="{escape(archive_url)}">{escape(archive_url)}</a></p>'
    )
    return html.replace(REPORT_MARK.encode(), link.encode(), 1)


def with_archive_urls(store: SnapshotStore, events: list[ChangeEvent]) -> list[ChangeEvent]:
    """Events carrying the archive URL of their new side where a save already succeeded."""
    out = []
    for event in events:
        save = store.archive_save(event.watch_id, event.to_snapshot) if event.to_snapshot else None
        url = save.archive_url if save else None
        out.append(event.model_copy(update={"archive_url": url}) if url else event)
    return out
