"""The pending index: delivery and the archive queue find their work without reading history."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rightswatch.outbox import ChangeEvent, Outbox
from rightswatch.preserve import queued
from rightswatch.store import ArchiveSave, LocalBlobs, SnapshotStore, layout

AT = datetime(2026, 1, 1, tzinfo=UTC)


class Counting(LocalBlobs):
    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.calls: Counter[str] = Counter()

    def read(self, path: str) -> bytes | None:
        self.calls["read"] += 1
        return super().read(path)

    def exists(self, path: str) -> bool:
        self.calls["exists"] += 1
        return super().exists(path)

    def list(self, prefix: str) -> list[str]:
        self.calls["list"] += 1
        return super().list(prefix)


def _event(watch: str, n: int, channels: list[str]) -> ChangeEvent:
    return ChangeEvent(
        id=f"change-{n:012d}-{n + 1:012d}",
        watch_id=watch,
        url=f"https://example.org/{watch}",
        title=watch,
        detected_at=AT + timedelta(hours=n),
        channels=channels,
    )


def _delivered_history(root: Path, watches: int, per_watch: int) -> None:
    box = Outbox(SnapshotStore(LocalBlobs(root)))
    for w in range(watches):
        events = [box.add(_event(f"w{w}", n, ["a", "b"])) for n in range(per_watch)]
        for channel in ("a", "b"):
            box.mark_sent(events, channel, "k")


def _lookups(root: Path) -> int:
    blobs = Counting(root)
    pending = Outbox(SnapshotStore(blobs)).by_channel()
    assert [e.id for e in pending["a"]] == ["change-000000000099-000000000100"]
    return sum(blobs.calls.values())


def test_finding_pending_work_costs_the_same_with_ten_times_the_delivered_history(
    tmp_path: Path,
) -> None:
    costs = []
    for history in (2, 20):
        root = tmp_path / f"h{history}"
        _delivered_history(root, 10, history)
        Outbox(SnapshotStore(LocalBlobs(root))).pending()  # the one-time index of a store
        Outbox(SnapshotStore(LocalBlobs(root))).add(_event("w0", 99, ["a"]))
        costs.append(_lookups(root))
    assert costs[0] == costs[1] <= 6  # .indexed, two channel listings, one event and its marker


def test_a_store_older_than_the_index_is_indexed_once_and_stale_entries_go(tmp_path: Path) -> None:
    blobs = LocalBlobs(tmp_path)
    old = _event("kz", 1, ["a"])  # written as an older release did: the event file only
    blobs.write(layout.event("kz", old.id), old.model_dump_json().encode())
    box = Outbox(SnapshotStore(blobs))
    assert [e.id for e in box.pending()] == [old.id]
    assert blobs.exists(layout.pending_indexed())
    assert blobs.exists(layout.pending_entry("a", "kz", old.id))
    blobs.write(layout.event_sent("kz", old.id, "a"), b"{}")  # a crash after the marker
    assert Outbox(SnapshotStore(blobs)).pending() == []
    assert not blobs.exists(layout.pending_entry("a", "kz", old.id))  # the stale entry went


def test_re_adding_an_event_a_crash_left_without_its_entry_restores_it(tmp_path: Path) -> None:
    blobs = LocalBlobs(tmp_path)
    box = Outbox(SnapshotStore(blobs))
    event = box.add(_event("kz", 1, ["a", "b"]))
    box.mark_sent([event], "a", "k")
    blobs.delete(layout.pending_entry("b", "kz", event.id))  # killed between event and entry
    Outbox(SnapshotStore(blobs)).add(_event("kz", 1, ["a", "b"]))  # the check runs again
    assert {n: [e.id for e in es] for n, es in box.by_channel().items()} == {"b": [event.id]}


def test_queued_archive_saves_are_read_from_one_index_folder(tmp_path: Path) -> None:
    blobs = Counting(tmp_path)
    store = SnapshotStore(blobs)
    legacy = ArchiveSave(watch_id="w1", snapshot="r1", url="https://example.org", queued_at=AT)
    blobs.write(layout.queued_save("w1", "r1"), legacy.model_dump_json().encode())  # pre-index
    for w in range(2, 6):
        store.put_archive_save(legacy.model_copy(update={"watch_id": f"w{w}"}))
    assert [s.watch_id for s in queued(store)] == ["w1", "w2", "w3", "w4", "w5"]
    done = legacy.model_copy(update={"watch_id": "w3", "archive_url": "https://web/x"})
    store.put_archive_save(done)
    blobs.calls.clear()
    assert [s.watch_id for s in queued(store)] == ["w1", "w2", "w4", "w5"]
    assert blobs.calls["list"] == 1  # one folder, not one per watch
