"""The byte-level interface a snapshot backend implements: read, atomic write, list, lock.

Everything above it (SnapshotStore) is backend-agnostic, so a remote backend such as fsspec
only has to provide these few operations.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol

from filelock import FileLock, Timeout


class LockTimeout(RuntimeError):
    """Another process holds the watch; the message says which lock and what to do."""


class Blobs(Protocol):
    def read(self, path: str) -> bytes | None: ...

    def write(self, path: str, data: bytes) -> None:
        """Atomically: a reader sees the old bytes or the new bytes, never a mix."""

    def exists(self, path: str) -> bool: ...

    def delete(self, path: str) -> None:
        """Remove `path` if it exists."""

    def list(self, prefix: str) -> list[str]:
        """Names (not paths) directly under `prefix`, sorted."""

    def lock(self, name: str, timeout: float) -> AbstractContextManager[None]: ...

    def sweep_temp(self, prefix: str, older_than: float) -> int:
        """Remove temp files a killed writer left under `prefix`; returns how many."""

    def describe(self, path: str) -> str:
        """Where `path` lives, for messages."""


class LocalBlobs:
    """Files under a directory; writes go temp file → fsync → rename → fsync directory."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, path: str) -> Path:
        full = (self.root / path).resolve()
        if self.root.resolve() not in full.parents and full != self.root.resolve():
            raise ValueError(f"refusing a path outside the store: {path!r}")
        return full

    def describe(self, path: str) -> str:
        return str(self.root / path)

    def read(self, path: str) -> bytes | None:
        try:
            return self._path(path).read_bytes()
        except FileNotFoundError:
            return None

    def exists(self, path: str) -> bool:
        return self._path(path).exists()

    def delete(self, path: str) -> None:
        self._path(path).unlink(missing_ok=True)

    def list(self, prefix: str) -> list[str]:
        folder = self._path(prefix)
        try:
            return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
        except FileNotFoundError:
            return []

    def write(self, path: str, data: bytes) -> None:
        target = self._path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            _before_rename(tmp, target)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(target.parent)

    def sweep_temp(self, prefix: str, older_than: float) -> int:
        removed = 0
        cutoff = time.time() - older_than
        for leftover in self._path(prefix).rglob(".*.tmp"):
            try:
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink()
                    removed += 1
            except FileNotFoundError:
                continue  # its writer finished or another sweep got there first
        return removed

    @contextmanager
    def lock(self, name: str, timeout: float) -> Iterator[None]:
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with FileLock(str(path), timeout=timeout):
                yield
        except Timeout:
            raise LockTimeout(
                f"{path} is held by another rightswatch run; wait for it to finish or, if no run "
                "is active, delete the lock file"
            ) from None


def _before_rename(tmp: str, target: Path) -> None:
    """Test seam: crash tests interrupt here, between the temp write and the rename."""


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
