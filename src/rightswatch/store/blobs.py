"""The byte-level interface a snapshot backend implements: read, atomic write, list, lock.

Everything above it (SnapshotStore) is backend-agnostic, so a remote backend such as fsspec
only has to provide these few operations.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol

from filelock import FileLock, Timeout

# Commit points, fsynced at once (after what was written before them in the same folder): a
# watch's state and index state, a delivery's record and its per-event "sent" markers, so a
# power cut neither loses a change nor repeats a delivery. Everything else waits for them.
COMMIT_NAMES = ("state.json", "index.json")
COMMIT_SUFFIXES = (".sent",)
COMMIT_FOLDERS = (".channels",)


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
        """Remove temp files a killed writer left under `prefix` at least `older_than` seconds
        ago; returns how many younger ones it left (a live writer's, or not yet old enough)."""

    def describe(self, path: str) -> str:
        """Where `path` lives, for messages."""


class LocalBlobs:
    """Files under a directory; every write is temp file → rename, so a reader or a killed
    writer never sees a mix. Durability is ordered at the commit points: before a commit file
    (a watch's state.json, see COMMIT_NAMES) replaces the old one, every file written under the
    same watch folder since its last commit is fsynced with its directory, then the commit file
    itself. So after a power cut state never names a document, record or evidence file that is
    not on disk, and a check pays its fsyncs once, at its commit, not on every write.
    """

    def __init__(self, root: str | Path, *, commit_names: tuple[str, ...] = COMMIT_NAMES) -> None:
        self.root = Path(root)
        self._root = self.root.resolve()
        self._folders: dict[str, Path] = {}  # folder path → its resolved, checked location
        self.commit_names = commit_names
        self._pending: dict[str, set[Path]] = {}  # watch folder → renamed, not yet fsynced
        self._pending_lock = threading.Lock()

    def _path(self, path: str) -> Path:
        folder, _, name = path.rpartition("/")
        if name in ("", ".", "..") or path.startswith("/"):
            return self._resolved(path)
        try:
            return self._folder(folder) / name
        except ValueError:
            raise ValueError(f"refusing a path outside the store: {path!r}") from None

    def _folder(self, folder: str) -> Path:
        """A folder's checked location. Each is found once per store and reused, since every
        check touches the same few; a new one costs one lstat beneath its known parent rather
        than a walk of every component."""
        found = self._folders.get(folder)
        if found is not None:
            return found
        parent, _, name = folder.rpartition("/")
        if not folder:
            found = self._root
        elif name in (".", "..", "") or (base := self._folder(parent) / name).is_symlink():
            found = self._resolved(folder)
        else:
            found = base
        self._folders[folder] = found
        return found

    def _resolved(self, path: str) -> Path:
        full = (self.root / path).resolve()
        if self._root not in full.parents and full != self._root:
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
        folder = path.split("/", 1)[0]
        commit = (
            target.name in self.commit_names
            or target.name.endswith(COMMIT_SUFFIXES)
            or folder in COMMIT_FOLDERS
        )
        if commit:
            self.flush(folder)
        fd, tmp = _temp_beside(target)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                if commit:
                    handle.flush()
                    os.fsync(handle.fileno())
            _before_rename(tmp, target)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        if commit:
            _fsync_dir(target.parent)
        else:
            with self._pending_lock:
                self._pending.setdefault(folder, set()).add(target)

    def flush(self, folder: str | None = None) -> None:
        """fsync what was written under `folder` (every folder: None) since its last commit."""
        with self._pending_lock:
            if folder is None:
                files = {p for group in self._pending.values() for p in group}
                self._pending.clear()
            else:
                files = self._pending.pop(folder, set())
        for file in sorted(files):
            _fsync_path(file)
        for parent in sorted({file.parent for file in files}):
            _fsync_dir(parent)

    def sweep_temp(self, prefix: str, older_than: float) -> int:
        left = 0
        cutoff = time.time() - older_than
        # os.walk, not Path.rglob: it reads every file name of the watch's history.
        for folder, _dirs, names in os.walk(self._path(prefix)):
            for name in names:
                if not (name.startswith(".") and name.endswith(".tmp") and len(name) > 4):
                    continue
                leftover = os.path.join(folder, name)
                try:
                    if os.stat(leftover).st_mtime < cutoff:
                        os.unlink(leftover)
                    else:
                        left += 1
                except FileNotFoundError:
                    continue  # its writer finished or another sweep got there first
        return left

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


def _temp_beside(target: Path) -> tuple[int, str]:
    """A temp file in the target's folder, which is made only when missing: asking first
    would cost two system calls on every write."""
    prefix = f".{target.name}."
    try:
        return tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=target.parent)
    except FileNotFoundError:
        target.parent.mkdir(parents=True, exist_ok=True)
        return tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=target.parent)


def _before_rename(tmp: str, target: Path) -> None:
    """Test seam: crash tests interrupt here, between the temp write and the rename."""


def _fsync_path(file: Path) -> None:
    try:
        fd = os.open(file, os.O_RDONLY)
    except OSError:
        return  # replaced or deleted since: whatever is there now was synced by its writer
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
