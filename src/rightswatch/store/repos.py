"""Small repositories over the store's blobs for what is not a snapshot: change reports,
suspect pages, index files and shard results. Paths come from layout.py only."""

from __future__ import annotations

from datetime import datetime

from rightswatch.store import layout
from rightswatch.store.blobs import Blobs

__all__ = ["Indexes", "Reports", "Runs"]


class Reports:
    """Change reports (HTML) and suspect pages kept for inspection."""

    def __init__(self, blobs: Blobs) -> None:
        self.blobs = blobs

    def path(self, watch_id: str, taken_at: datetime, versus: str | None = None) -> str:
        """Where the report of the snapshot taken at `taken_at` goes, inside the store."""
        return layout.report(watch_id, taken_at, versus)

    def exists(self, path: str) -> bool:
        return self.blobs.exists(path)

    def write(self, path: str, html: str) -> str:
        self.blobs.write(path, html.encode("utf-8"))
        return path

    def keep_suspect(
        self, watch_id: str, body: bytes, sha256: str, now: datetime, ext: str = "html"
    ) -> str:
        path = layout.suspect(watch_id, now, sha256, ext)
        self.blobs.write(path, body)
        return path

    def describe(self, path: str) -> str:
        return self.blobs.describe(path)


class Indexes:
    """An index watch's `index.json` (its links and discoveries), as raw bytes."""

    def __init__(self, blobs: Blobs) -> None:
        self.blobs = blobs

    def read(self, watch_id: str) -> bytes | None:
        return self.blobs.read(layout.index(watch_id))

    def write(self, watch_id: str, data: bytes) -> None:
        self.blobs.write(layout.index(watch_id), data)

    def describe(self, watch_id: str) -> str:
        return self.blobs.describe(layout.index(watch_id))


class Runs:
    """Shard results a parent run collects (`.runs/`), removed once read."""

    def __init__(self, blobs: Blobs) -> None:
        self.blobs = blobs

    def write(self, run_key: str, shard_key: str, data: bytes) -> None:
        self.blobs.write(layout.shard(run_key, shard_key), data)

    def read(self, run_key: str, shard_key: str) -> bytes | None:
        return self.blobs.read(layout.shard(run_key, shard_key))

    def delete(self, run_key: str, shard_key: str) -> None:
        self.blobs.delete(layout.shard(run_key, shard_key))
