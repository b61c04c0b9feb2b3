"""The backup archive: a ``.tar.gz`` whose first member is ``manifest.json``, then the
database snapshot under ``database/`` and the attachment files under ``files/``.

Reading one checks it before anything is restored: the manifest is present and valid,
every member is a plain file or folder whose path stays inside the archive, the sizes are
bounded, the members are exactly those the manifest lists, and each unpacks to the size
and sha256 the manifest gives."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tarfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from fenpei.services.backups.manifest import (
    MANIFEST_NAME,
    MAX_MANIFEST_BYTES,
    Manifest,
    ManifestError,
    StoredFile,
)

_CHUNK = 1024 * 1024
MAX_MEMBERS = 1_000_000


class ArchiveRefused(Exception):
    """The archive is not one fenpei can restore from safely; nothing was touched."""


def sha256_of(path: Path) -> str:
    hashed = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            hashed.update(chunk)
    return hashed.hexdigest()


def copy_hashed(source: Path, dest: Path) -> StoredFile:
    """Copy ``source`` to ``dest``, hashing what was copied (the file may change after)."""
    hashed, size = hashlib.sha256(), 0
    dest.parent.mkdir(parents=True, exist_ok=True)
    with source.open("rb") as reading, dest.open("wb") as writing:
        while chunk := reading.read(_CHUNK):
            hashed.update(chunk)
            size += len(chunk)
            writing.write(chunk)
    return StoredFile(path="", size=size, sha256=hashed.hexdigest())


def files_under(folder: Path) -> Iterator[tuple[Path, str]]:
    """Each regular file below ``folder`` with its path relative to it (posix), sorted;
    symbolic links are not followed."""
    if not folder.is_dir():
        return
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            path = Path(root) / name
            if path.is_file() and not path.is_symlink():
                yield path, path.relative_to(folder).as_posix()


def write(dest: Path, manifest: Manifest, staging: Path) -> None:
    """Write the archive to ``dest`` atomically: the manifest first, then each stored file
    from ``staging`` (where its manifest path points)."""
    partial = dest.with_name(f".{dest.name}.partial")
    try:
        with tarfile.open(partial, "w:gz", compresslevel=6, format=tarfile.PAX_FORMAT) as tar:
            data = manifest.to_json().encode()
            info = tarfile.TarInfo(MANIFEST_NAME)
            info.size, info.mtime, info.mode = (
                len(data),
                int(manifest.created_at.timestamp()),
                0o600,
            )
            tar.addfile(info, io.BytesIO(data))
            for stored in manifest.stored():
                tar.add(staging / stored.path, arcname=stored.path, recursive=False)
        os.replace(partial, dest)
    finally:
        partial.unlink(missing_ok=True)


def _safe_path(name: str) -> str:
    path = PurePosixPath(name)
    if (
        not name
        or "\\" in name
        or "\x00" in name
        or path.is_absolute()
        or any(part in ("..", "") for part in name.split("/"))
    ):
        raise ArchiveRefused(f"member {name!r}: its path would leave the folder it unpacks to")
    return str(path)


def read_manifest(path: Path) -> Manifest:
    """The manifest of the archive at ``path`` (its first member), without unpacking the rest."""
    try:
        with tarfile.open(path, "r:gz") as tar:
            first = tar.next()
            if first is None or first.name != MANIFEST_NAME or not first.isfile():
                raise ArchiveRefused("the archive does not start with manifest.json")
            if first.size > MAX_MANIFEST_BYTES:
                raise ArchiveRefused(f"manifest.json is {first.size} bytes: too big")
            handle = tar.extractfile(first)
            assert handle is not None
            return Manifest.from_json(handle.read())
    except ManifestError as exc:
        raise ArchiveRefused(str(exc)) from None
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ArchiveRefused(f"not a readable .tar.gz archive: {exc}") from None


def unpack(path: Path, into: Path, *, max_bytes: int) -> Manifest:
    """Check the archive at ``path`` and unpack its stored files into ``into`` (an empty
    folder), each checked against the manifest's size and sha256 (ArchiveRefused)."""
    manifest = read_manifest(path)
    expected = {f.path: f for f in manifest.stored()}
    if len(expected) != len(manifest.stored()):
        raise ArchiveRefused("the manifest lists a file twice")
    for name in expected:
        _safe_path(name)
    if not manifest.database.path.startswith("database/") or any(
        not f.path.startswith("files/") for f in manifest.files
    ):
        raise ArchiveRefused("the manifest puts the database or a file outside its folder")
    if sum(f.size for f in expected.values()) > max_bytes:
        raise ArchiveRefused(
            f"the archive unpacks to more than {max_bytes} bytes (FENPEI_BACKUP_MAX_RESTORE_BYTES)"
        )
    seen: set[str] = set()
    try:
        with tarfile.open(path, "r:gz") as tar:
            for count, member in enumerate(tar):
                if count > MAX_MEMBERS:
                    raise ArchiveRefused(f"more than {MAX_MEMBERS} members")
                name = _safe_path(member.name.rstrip("/") if member.isdir() else member.name)
                if member.isdir():
                    continue
                if not member.isfile():
                    raise ArchiveRefused(f"member {name!r} is not a plain file (a link or device)")
                if name == MANIFEST_NAME and count == 0:
                    continue
                want = expected.get(name)
                if want is None or name in seen:
                    raise ArchiveRefused(f"member {name!r} is not listed in the manifest")
                if member.size != want.size:
                    raise ArchiveRefused(
                        f"{name}: {member.size} bytes, the manifest says {want.size}"
                    )
                seen.add(name)
                _unpack_member(tar, member, into / name, want)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ArchiveRefused(f"not a readable .tar.gz archive: {exc}") from None
    missing = sorted(expected.keys() - seen)
    if missing:
        raise ArchiveRefused(f"the archive lacks {', '.join(missing[:5])}")
    return manifest


def _unpack_member(
    tar: tarfile.TarFile, member: tarfile.TarInfo, dest: Path, want: StoredFile
) -> None:
    source = tar.extractfile(member)
    assert source is not None
    dest.parent.mkdir(parents=True, exist_ok=True)
    hashed, size = hashlib.sha256(), 0
    with dest.open("wb") as writing:
        while chunk := source.read(_CHUNK):
            size += len(chunk)
            if size > want.size:
                raise ArchiveRefused(f"{want.path}: longer than the manifest says")
            hashed.update(chunk)
            writing.write(chunk)
    if hashed.hexdigest() != want.sha256:
        raise ArchiveRefused(f"{want.path}: sha256 differs from the manifest (changed or damaged)")


def place_files(staging: Path, files: list[StoredFile], folder: Path) -> None:
    """Copy the unpacked attachment files into ``folder`` (which must be empty or absent),
    checking each copy's sha256."""
    for stored in files:
        relative = PurePosixPath(stored.path).relative_to("files")
        dest = folder / relative
        copied = copy_hashed(staging / stored.path, dest)
        if copied.sha256 != stored.sha256:
            raise ArchiveRefused(f"{stored.path}: the copy in {folder} differs from the backup")


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
