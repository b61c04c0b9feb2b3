"""A backup archive is checked before anything is unpacked where it matters: the manifest
first and valid, no path leaving the folder, no links, no member the manifest does not
list, sizes bounded and each file's sha256 as the manifest says."""

from __future__ import annotations

import hashlib
import io
import tarfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fenpei.adapters.backup.archive import ArchiveRefused, read_manifest, unpack
from fenpei.services.backups.manifest import (
    BackupKind,
    DatabaseKind,
    Manifest,
    StoredFile,
    TableDigest,
)

DB = b"SQLite format 3\x00" + b"\x00" * 100


def stored(path: str, data: bytes) -> StoredFile:
    return StoredFile(path, len(data), hashlib.sha256(data).hexdigest())


def manifest(files: dict[str, bytes] | None = None) -> Manifest:
    return Manifest(
        fenpei_version="0.1.0",
        alembic_revision="20261207_scoring",
        database_kind=DatabaseKind.sqlite,
        created_at=datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
        kind=BackupKind.manual,
        tables={"customers": TableDigest(rows=0, sha256=hashlib.sha256().hexdigest())},
        database=stored("database/fenpei.sqlite3", DB),
        files=[stored(p, d) for p, d in (files or {}).items()],
    )


def archive(path: Path, members: list[tuple[str, bytes]], *, link: str | None = None) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if link is not None:
            info = tarfile.TarInfo(link)
            info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
            tar.addfile(info)
    return path


def good(tmp_path: Path, files: dict[str, bytes] | None = None) -> list[tuple[str, bytes]]:
    return [
        ("manifest.json", manifest(files).to_json().encode()),
        ("database/fenpei.sqlite3", DB),
        *((f"{p}", d) for p, d in (files or {}).items()),
    ]


def test_a_good_archive_unpacks_every_listed_file(tmp_path: Path) -> None:
    files = {"files/customers/1/合同.pdf": b"%PDF"}
    path = archive(tmp_path / "a.tar.gz", good(tmp_path, files))

    found = unpack(path, tmp_path / "out", max_bytes=10_000)

    assert found == read_manifest(path) and found.files == manifest(files).files
    assert (tmp_path / "out" / "files/customers/1/合同.pdf").read_bytes() == b"%PDF"


@pytest.mark.parametrize(
    ("members", "problem"),
    [
        ([("database/fenpei.sqlite3", DB)], "does not start with manifest.json"),
        ([("manifest.json", b"{not json")], "manifest.json is not valid"),
        ([("manifest.json", b'{"format": 9}')], "format 9 is not 1"),
    ],
)
def test_an_archive_without_a_valid_manifest_first_is_refused(
    tmp_path: Path, members: list[tuple[str, bytes]], problem: str
) -> None:
    path = archive(tmp_path / "a.tar.gz", members)

    with pytest.raises(ArchiveRefused, match=problem):
        unpack(path, tmp_path / "out", max_bytes=10_000)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", ["../evil.txt", "/etc/evil", "files/../../evil", "a\\..\\b"])
def test_a_path_that_would_leave_the_folder_is_refused(tmp_path: Path, name: str) -> None:
    files = {name: b"x"}
    path = archive(tmp_path / "a.tar.gz", good(tmp_path, files))

    with pytest.raises(ArchiveRefused, match="would leave the folder"):
        unpack(path, tmp_path / "out", max_bytes=10_000)
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "out").exists()


def test_a_link_or_an_unlisted_member_is_refused(tmp_path: Path) -> None:
    linked = archive(tmp_path / "l.tar.gz", good(tmp_path), link="files/passwd")
    extra = archive(tmp_path / "e.tar.gz", [*good(tmp_path), ("files/extra.txt", b"x")])

    with pytest.raises(ArchiveRefused, match="not a plain file"):
        unpack(linked, tmp_path / "out1", max_bytes=10_000)
    with pytest.raises(ArchiveRefused, match="not listed in the manifest"):
        unpack(extra, tmp_path / "out2", max_bytes=10_000)


def test_a_missing_file_a_wrong_size_or_a_wrong_sha256_is_refused(tmp_path: Path) -> None:
    files = {"files/a.txt": b"hello"}
    members = good(tmp_path, files)
    missing = archive(tmp_path / "m.tar.gz", members[:-1])
    resized = archive(tmp_path / "r.tar.gz", [*members[:-1], ("files/a.txt", b"hello!")])
    changed = archive(tmp_path / "c.tar.gz", [*members[:-1], ("files/a.txt", b"HELLO")])

    with pytest.raises(ArchiveRefused, match=r"lacks files/a\.txt"):
        unpack(missing, tmp_path / "o1", max_bytes=10_000)
    with pytest.raises(ArchiveRefused, match="6 bytes, the manifest says 5"):
        unpack(resized, tmp_path / "o2", max_bytes=10_000)
    with pytest.raises(ArchiveRefused, match="sha256 differs"):
        unpack(changed, tmp_path / "o3", max_bytes=10_000)


def test_an_archive_that_unpacks_beyond_the_bound_is_refused_before_unpacking(
    tmp_path: Path,
) -> None:
    files = {"files/big.bin": b"\x00" * 5000}
    path = archive(tmp_path / "a.tar.gz", good(tmp_path, files))

    with pytest.raises(ArchiveRefused, match="more than 1024 bytes"):
        unpack(path, tmp_path / "out", max_bytes=1024)
    assert not (tmp_path / "out").exists()


def test_a_file_that_is_not_gzip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.tar.gz"
    path.write_bytes(b"PK\x03\x04 a zip, say")

    with pytest.raises(ArchiveRefused, match=r"not a readable \.tar\.gz archive"):
        unpack(path, tmp_path / "out", max_bytes=10_000)


def test_a_manifest_listing_a_file_outside_files_is_refused(tmp_path: Path) -> None:
    path = archive(tmp_path / "a.tar.gz", good(tmp_path, {"database/other.db": b"x"}))

    with pytest.raises(ArchiveRefused, match="outside its folder"):
        unpack(path, tmp_path / "out", max_bytes=10_000)
