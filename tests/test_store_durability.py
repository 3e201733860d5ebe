"""Where the store fsyncs: everything a watch's state names is on disk before the state is.

A check writes its document, evidence and history record without an fsync each; the watch's
commit (state.json) first fsyncs them and their folders, then itself. Recorded with a wrapper
around os.fsync that notes which path each descriptor belongs to.
"""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rightswatch.document import Document, Section
from rightswatch.store import FetchInfo, WatchState, open_store
from rightswatch.store import blobs as blobs_module


def _doc(text: str) -> Document:
    section = Section(key="summary", heading="Summary", level=2, paragraphs=[text])
    return Document(
        url="http://x.example/", final_url="http://x.example/", title="T", sections=[section]
    )


@pytest.fixture
def synced(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Paths in the order they were fsynced (a directory ends with '/')."""
    order: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        path = os.readlink(f"/proc/self/fd/{fd}")
        order.append(path + "/" if os.path.isdir(path) else path)
        real_fsync(fd)

    monkeypatch.setattr(blobs_module.os, "fsync", fsync)
    return order


def test_record_alone_fsyncs_nothing_and_the_commit_fsyncs_it_all_first(
    tmp_path: Path, synced: list[str]
) -> None:
    store = open_store(tmp_path)
    body = b"<html><body><p>page</p></body></html>"
    fetch = FetchInfo(
        fetched_at=datetime.now(UTC),
        status=200,
        final_url="http://x.example/",
        raw_sha256=hashlib.sha256(body).hexdigest(),
    )
    record = store.record("w1", _doc("First text."), fetch, body)
    assert synced == []  # atomic renames only, so far
    store.save_state(WatchState(watch_id="w1", last_good=record.id))
    root = str(tmp_path.resolve())
    written = {
        f"{root}/w1/raw/{fetch.raw_sha256}.html.gz",
        f"{root}/w1/docs/{record.content_hash}.json.gz",
        f"{root}/w1/snapshots/{record.id}.json",
    }
    folders = {f"{root}/w1/raw/", f"{root}/w1/docs/", f"{root}/w1/snapshots/"}
    state_at = next(i for i, p in enumerate(synced) if p.startswith(f"{root}/w1/.state.json."))
    before = set(synced[:state_at])
    assert written <= before
    assert folders <= before
    assert synced[state_at + 1 :] == [f"{root}/w1/"]  # ...then state, then the rename of it
    assert store.state("w1").last_good == record.id


def test_a_commit_fsyncs_only_its_own_watch(tmp_path: Path, synced: list[str]) -> None:
    store = open_store(tmp_path)
    for watch in ("a", "b"):
        fetch = FetchInfo(fetched_at=datetime.now(UTC), status=200, final_url="http://x.example/")
        store.record(watch, _doc(f"Text of {watch}."), fetch)
    store.save_state(WatchState(watch_id="a"))
    root = str(tmp_path.resolve())
    assert any(p.startswith(f"{root}/a/") for p in synced)
    assert not any(p.startswith(f"{root}/b/") for p in synced)
    synced.clear()
    store.save_state(WatchState(watch_id="a"))  # nothing new under a: the state file alone
    assert len(synced) == 2


def test_delivery_records_and_sent_markers_are_durable_at_once(
    tmp_path: Path, synced: list[str]
) -> None:
    blobs = open_store(tmp_path).blobs
    root = str(tmp_path.resolve())
    blobs.write("w1/outbox/e1.json", b"{}")  # an event: waits for its watch's commit
    assert synced == []
    blobs.write(".channels/slack/deliveries/k1.json", b"{}")  # a delivery's commit record
    assert any(p.startswith(f"{root}/.channels/slack/deliveries/.k1.json.") for p in synced)
    synced.clear()
    blobs.write("w1/outbox/e1.slack.sent", b"{}")  # the marker, after the event it marks
    event_at = synced.index(f"{root}/w1/outbox/e1.json")
    marker_at = next(i for i, p in enumerate(synced) if "/.e1.slack.sent." in p)
    assert event_at < marker_at
