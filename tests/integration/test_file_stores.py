"""The file store contract, run on both stores: local disk and S3-compatible object storage
(a real S3 server on 127.0.0.1). Streams in and out, replaces, deletes, lists by prefix,
refuses keys that would leave the store, and never leaves half a file behind."""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from fenpei.adapters.storage.local import LocalFileStore
from fenpei.adapters.storage.s3 import S3FileStore
from fenpei.bootstrap import build_file_store
from fenpei.config import Settings, StorageKind
from fenpei.domain.errors import ValidationFailed
from fenpei.services.files.ports import FileStore, StoredFileMissing
from tests.integration._s3_server import (
    ACCESS_KEY,
    REGION,
    SECRET_KEY,
    s3_server,
    s3_store,
)


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with s3_server() as endpoint:
        yield endpoint


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> FileStore:
    if request.param == "local":
        return LocalFileStore(tmp_path / "files")
    endpoint = request.getfixturevalue("s3_endpoint")
    return s3_store(endpoint, prefix=f"t-{tmp_path.name}")


def _big_chunks(count: int, size: int) -> Iterator[bytes]:
    for index in range(count):
        yield bytes([index % 251]) * size


def test_a_stored_file_reads_back_byte_for_byte(store: FileStore) -> None:
    # 7 MiB in 1 MiB chunks: more than one S3 multipart part.
    written = store.put("attachments/2026/12/a1", _big_chunks(7, 1024 * 1024), "application/pdf")
    read = hashlib.sha256()
    for chunk in store.open("attachments/2026/12/a1"):
        read.update(chunk)
    expected = hashlib.sha256(b"".join(_big_chunks(7, 1024 * 1024))).hexdigest()

    assert written == 7 * 1024 * 1024
    assert read.hexdigest() == expected
    assert store.exists("attachments/2026/12/a1")


@pytest.mark.filterwarnings(
    "error::ResourceWarning", "error::pytest.PytestUnraisableExceptionWarning"
)
@pytest.mark.parametrize("read", [0, 1], ids=["unread", "one chunk read"])
def test_a_download_dropped_before_its_end_closes_its_source(store: FileStore, read: int) -> None:
    """A client that gives up on a download (before its first byte, or in the middle)
    leaves no open file or connection behind."""
    store.put("attachments/2026/12/a2", _big_chunks(2, 300 * 1024), "application/pdf")
    chunks = store.open("attachments/2026/12/a2")
    for _ in range(read):
        next(chunks)
    source = chunks._source  # type: ignore[attr-defined]
    del chunks
    gc.collect()

    raw = getattr(source, "_raw_stream", source)  # S3: the connection under the body
    assert raw.closed


def test_put_replaces_delete_removes_and_keys_list_by_prefix(store: FileStore) -> None:
    store.put("attachments/a", [b"one"], "text/plain")
    store.put("attachments/a", [b"two", b"!"], "text/plain")
    store.put("attachments/b", [b"b"], "text/plain")
    store.put("other/c", [b"c"], "text/plain")

    assert b"".join(store.open("attachments/a")) == b"two!"
    assert sorted(store.keys("attachments/")) == ["attachments/a", "attachments/b"]
    assert sorted(store.keys()) == ["attachments/a", "attachments/b", "other/c"]
    store.delete("attachments/a")
    store.delete("attachments/a")  # twice: nothing happens
    assert not store.exists("attachments/a")
    with pytest.raises(StoredFileMissing):
        store.open("attachments/a")
    assert sorted(store.keys("attachments/")) == ["attachments/b"]


@pytest.mark.parametrize("key", ["../x", "a/../../x", "/etc/passwd", "a//b", "a/./b", "", "a\\b"])
def test_keys_that_would_leave_the_store_are_refused(store: FileStore, key: str) -> None:
    with pytest.raises(ValidationFailed):
        store.put(key, [b"x"], "text/plain")
    with pytest.raises(ValidationFailed):
        store.open(key)


def test_a_failed_write_leaves_nothing_behind(store: FileStore) -> None:
    def failing() -> Iterator[bytes]:
        yield b"x" * 1024
        raise OSError("the client went away")

    store.put("attachments/kept", [b"old"], "text/plain")
    with pytest.raises(OSError, match="went away"):
        store.put("attachments/kept", failing(), "text/plain")
    with pytest.raises(OSError, match="went away"):
        store.put("attachments/new", failing(), "text/plain")

    assert b"".join(store.open("attachments/kept")) == b"old"
    assert not store.exists("attachments/new")
    assert sorted(store.keys()) == ["attachments/kept"]


def test_the_local_store_keeps_files_under_its_folder(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path / "files")
    store.put("attachments/2026/12/abc", [b"data"], "text/plain")
    assert (tmp_path / "files" / "attachments" / "2026" / "12" / "abc").read_bytes() == b"data"
    assert [p.name for p in (tmp_path / "files" / "attachments" / "2026" / "12").iterdir()] == [
        "abc"
    ]


def test_the_settings_choose_the_store(s3_endpoint: str, tmp_path: Path) -> None:
    local = build_file_store(Settings(files_dir=tmp_path / "here"))
    s3 = build_file_store(
        Settings(
            storage=StorageKind.s3,
            s3_endpoint_url=s3_endpoint,
            s3_bucket="chosen",
            s3_region=REGION,
            s3_access_key_id=ACCESS_KEY,
            s3_secret_access_key=SECRET_KEY,
            s3_prefix="fenpei",
        )
    )
    assert isinstance(s3, S3FileStore)
    s3.ensure_bucket()
    s3.put("attachments/x", [b"via settings"], "text/plain")

    assert isinstance(local, LocalFileStore) and local.root == (tmp_path / "here").resolve()
    assert b"".join(s3.open("attachments/x")) == b"via settings"
    raw = s3.client.list_objects_v2(Bucket="chosen")["Contents"]
    assert [item["Key"] for item in raw] == ["fenpei/attachments/x"]
