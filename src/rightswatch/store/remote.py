"""Snapshots on any fsspec filesystem: s3://, gcs://, az://, memory://...

Object stores publish a whole object on PUT (S3 and its clones, GCS and Azure all do), so a
write is atomic without the temp-file-and-rename of the local store. What an object store
cannot do is lock, so locking across machines is handed in by the caller (`LockFactory`); the
Prefect layer passes global concurrency limits (see rightswatch.coordinate).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, suppress
from typing import Any

import fsspec
from fsspec.spec import AbstractFileSystem

__all__ = ["FsspecBlobs", "LockFactory", "RemoteStoreError"]

# (lock path such as "kz/.lock", timeout in seconds) -> a context manager holding that lock
LockFactory = Callable[[str, float], AbstractContextManager[None]]


class RemoteStoreError(RuntimeError):
    """The remote store cannot be opened or reached; the message names the URL and a fix."""


class FsspecBlobs:
    """The Blobs interface over an fsspec filesystem rooted at `url`."""

    def __init__(
        self, url: str, options: Mapping[str, Any] | None = None, *, lock: LockFactory | None
    ) -> None:
        self.url = url.rstrip("/")
        try:
            # Another worker may write at any time: never answer from a cached listing.
            fs, root = fsspec.core.url_to_fs(
                self.url, **{**dict(options or {}), "use_listings_cache": False}
            )
        except ImportError as exc:
            raise RemoteStoreError(
                f"snapshots: {url!r} needs a filesystem package that is not installed "
                f"({exc}); for s3:// run `pip install 'rightswatch[s3]'`"
            ) from None
        except (ValueError, TypeError) as exc:
            raise RemoteStoreError(
                f"snapshots: {url!r} with snapshot_options could not be opened: {exc}"
            ) from None
        if getattr(fs, "max_concurrency", 1) > 1:
            # s3fs sends a HEAD before every GET to decide on a ranged parallel read; the
            # store's objects are small, so one GET each (half the requests of a run).
            fs.max_concurrency = 1
        self.fs: AbstractFileSystem = fs
        self.root = root.rstrip("/")
        self._lock = lock

    def _full(self, path: str) -> str:
        parts = [p for p in path.split("/") if p]
        if any(p in (".", "..") for p in parts):
            raise ValueError(f"refusing a path outside the store: {path!r}")
        return "/".join([self.root, *parts]) if parts else self.root

    def describe(self, path: str) -> str:
        return f"{self.url}/{path}" if path else self.url

    def read(self, path: str) -> bytes | None:
        try:
            data: bytes = self.fs.cat_file(self._full(path))
        except FileNotFoundError:
            return None
        return data

    def write(self, path: str, data: bytes) -> None:
        # One PUT: readers see the old object or the new one, never a part of either.
        self.fs.pipe_file(self._full(path), data)

    def exists(self, path: str) -> bool:
        return bool(self.fs.exists(self._full(path)))

    def delete(self, path: str) -> None:
        with suppress(FileNotFoundError):
            self.fs.rm_file(self._full(path))

    def list(self, prefix: str) -> list[str]:
        try:
            entries = self.fs.ls(self._full(prefix), detail=False)
        except FileNotFoundError:
            return []
        names = {str(e).rstrip("/").rsplit("/", 1)[-1] for e in entries}
        return sorted(n for n in names if n and not n.startswith("."))

    def lock(self, name: str, timeout: float) -> AbstractContextManager[None]:
        if self._lock is None:
            raise RemoteStoreError(
                f"{self.describe(name)}: a remote snapshot store is locked through Prefect "
                "global concurrency limits; run this through `rightswatch check` or the "
                "rightswatch-monitor flow"
            )
        return self._lock(name, timeout)

    def sweep_temp(self, prefix: str, older_than: float) -> int:  # noqa: ARG002 - the Blobs interface
        return 0  # writes are single PUTs: a killed writer leaves nothing half-written
