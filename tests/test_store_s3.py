"""The snapshot store on S3 (a real moto server on loopback): same behaviour as on disk."""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest

from rightswatch.store import RemoteStoreError, StoreError, WatchState, open_store
from tests.peers import S3, S3_ENV
from tests.test_store import T0, info, page


@pytest.fixture
def s3_env(s3: S3, monkeypatch: pytest.MonkeyPatch) -> S3:
    for key, value in S3_ENV.items():
        monkeypatch.setenv(key, value)
    return s3


def _thread_lock() -> object:
    held = threading.Lock()

    @contextmanager
    def lock(name: str, timeout: float) -> Iterator[None]:
        assert held.acquire(timeout=timeout)
        try:
            yield
        finally:
            held.release()

    return lock


def test_history_documents_raw_pages_and_state_live_in_the_bucket(s3_env: S3) -> None:
    url = s3_env.bucket("store-basic") + "/team/snapshots"
    store = open_store(url, options={"endpoint_url": s3_env.endpoint}, lock=_thread_lock())  # type: ignore[arg-type]
    raw, base = page("base")
    with store.lock("kz"):
        first = store.record("kz", base, info(raw, T0), raw)
        assert store.record("kz", base, info(raw, T0 + timedelta(days=1)), raw) == first
        raw2, edited = page("torture_number")
        second = store.record("kz", edited, info(raw2, T0 + timedelta(days=2)), raw2)
        store.save_state(WatchState(watch_id="kz", last_check=T0, last_good=second.id))

    keys = s3_env.keys("store-basic", "team/snapshots/")
    docs = [k for k in keys if "/docs/" in k]
    assert len(docs) == 2
    assert f"team/snapshots/kz/snapshots/{first.id}.json" in keys
    assert [r.id for r in store.history("kz")] == [first.id, second.id]
    assert store.resolve("kz", "latest~1") == first
    assert store.document("kz", second.content_hash) == edited
    assert store.state("kz").last_good == second.id
    assert store.watch_ids() == ["kz"]
    # The raw evidence in the bucket hashes to the SHA-256 the snapshot records.
    sha = first.fetch.raw_sha256
    body = s3_env.get("store-basic", f"team/snapshots/kz/raw/{sha}.html.gz")
    assert hashlib.sha256(gzip.decompress(body)).hexdigest() == sha
    with pytest.raises(StoreError, match=r"s3://store-basic/team/snapshots/kz/docs/0+\.json\.gz"):
        store.document("kz", "0" * 64)


def test_a_second_writer_sees_what_the_first_just_wrote(s3_env: S3) -> None:
    url = s3_env.bucket("store-two") + "/snapshots"
    options = {"endpoint_url": s3_env.endpoint}
    one = open_store(url, options=options, lock=_thread_lock())  # type: ignore[arg-type]
    # Another worker: a filesystem object of its own, so one's writes cannot clear its cache.
    two = open_store(url, options={**options, "skip_instance_cache": True}, lock=_thread_lock())  # type: ignore[arg-type]
    raw, base = page("base")
    assert two.history("kz") == []
    first = one.record("kz", base, info(raw, T0), raw)
    assert two.history("kz") == [first]  # the folder is listed now...
    raw2, edited = page("torture_number")
    second = one.record("kz", edited, info(raw2, T0 + timedelta(hours=1)), raw2)
    assert two.history("kz") == [first, second]  # ...so a cached listing would miss this
    assert two.record("kz", edited, info(raw2, T0 + timedelta(hours=2)), raw2) == second


def test_a_remote_store_refuses_to_lock_without_a_shared_lock(s3_env: S3) -> None:
    url = s3_env.bucket("store-nolock") + "/snapshots"
    store = open_store(url, options={"endpoint_url": s3_env.endpoint})
    with (
        pytest.raises(RemoteStoreError, match="Prefect global concurrency limits"),
        store.lock("kz"),
    ):
        pass


def test_an_unknown_filesystem_is_a_clear_error() -> None:
    with pytest.raises(RemoteStoreError, match="nosuchfs://x"):
        open_store("nosuchfs://x/y")
