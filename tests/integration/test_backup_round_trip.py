"""Backup → restore on SQLite and PostgreSQL: a database with rows in every table and
attachment files, backed up, restored into an empty database, equal row for row; a
non-empty target refused untouched; a tampered archive refused or failing verification."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from fenpei.adapters.backup.archive import ArchiveRefused
from fenpei.adapters.backup.make import VerificationFailed, make_archive, restore_archive
from fenpei.adapters.backup.sqlite import TargetNotEmpty
from fenpei.bootstrap import Fenpei, bootstrap
from fenpei.config import Settings
from fenpei.domain.users import SYSTEM
from fenpei.services import org
from fenpei.services.backups.manifest import BackupKind, Manifest
from tests.conftest import create_pg_database, drop_pg_database
from tests.fakes import FixedClock
from tests.integration._backup_world import empty_tables, fill_every_table

MAX = 1024**3
FILES = {
    "customers/12/合同.pdf": b"%PDF-1.4 contract\n" + bytes(range(256)) * 40,
    "customers/12/photo.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 5000,
    "tasks/3/notes.txt": "回访记录\n".encode(),
}


def all_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, ``SELECT *`` in primary-key order, as values."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            inspector = sa.inspect(connection)
            found = {}
            for table in sorted(inspector.get_table_names()):
                key = inspector.get_pk_constraint(table)["constrained_columns"]
                order = ", ".join(f'"{c}"' for c in key) or "1"
                query = f'SELECT * FROM "{table}" ORDER BY {order}'
                found[table] = [tuple(r) for r in connection.exec_driver_sql(query)]
            return found
    finally:
        engine.dispose()


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def _with_files(app: Fenpei) -> Fenpei:
    for name, data in FILES.items():
        path = app.settings.files_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return app


@pytest.fixture
def filled(app: Fenpei, clock: FixedClock) -> Fenpei:
    """Rows in every table, and attachment files."""
    fill_every_table(app, clock)
    assert empty_tables(app) == []
    return _with_files(app)


@pytest.fixture
def with_files(app: Fenpei) -> Fenpei:
    """The migrated database (the default categories) and attachment files."""
    return _with_files(app)


@pytest.fixture
def empty_url(app: Fenpei, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A new, empty database of the same kind as ``app``'s."""
    if app.settings.is_sqlite:
        yield f"sqlite:///{tmp_path / 'restored' / 'fenpei.db'}"
        return
    admin = request.getfixturevalue("postgres_admin_url")
    url = create_pg_database(admin)
    try:
        yield url
    finally:
        drop_pg_database(admin, url)


def _backup(app: Fenpei, tmp_path: Path) -> Path:
    archive = tmp_path / "backup.tar.gz"
    make_archive(
        engine=app.engine,
        files_dir=app.settings.files_dir,
        dest=archive,
        kind=BackupKind.manual,
        now=app.now(),
    )
    return archive


def test_a_restore_into_an_empty_database_equals_the_original_row_for_row(
    filled: Fenpei, empty_url: str, tmp_path: Path
) -> None:
    """The must-show round trip; then a second restore into the (now full) copy is refused
    and changes nothing."""
    archive = _backup(filled, tmp_path)
    before = all_rows(filled.settings.database_url)
    files_before = files_of(filled.settings.files_dir)  # FILES and the world's attachments
    assert files_before.items() >= FILES.items() and len(files_before) > len(FILES)

    report = restore_archive(
        path=archive, database_url=empty_url, files_dir=tmp_path / "restored-files", max_bytes=MAX
    )

    after = all_rows(empty_url)
    assert sorted(after) == sorted(before)
    for table, rows in before.items():
        assert rows, f"{table} is empty: the round trip would prove nothing for it"
        assert after[table] == rows, table
    assert files_of(tmp_path / "restored-files") == files_before
    assert report.tables == len(before) and report.files == len(files_before)
    assert report.rows == sum(len(rows) for rows in before.values())
    # The restored database works on: its sequences continue past the restored ids.
    restored = bootstrap(Settings(database_url=empty_url))
    try:
        with restored.uow() as uow:
            team = org.create_team(uow=uow, name="恢复后新团队", actor=SYSTEM, now=filled.now())
            uow.commit()
        assert team.id is not None and team.id > max(r[0] for r in before["teams"])
    finally:
        restored.close()
    now_there = all_rows(empty_url)

    with pytest.raises(TargetNotEmpty, match="not empty"):
        restore_archive(
            path=archive, database_url=empty_url, files_dir=tmp_path / "again", max_bytes=MAX
        )

    assert all_rows(empty_url) == now_there
    assert not (tmp_path / "again").exists()


def test_a_restore_into_a_database_that_is_not_empty_is_refused_and_changes_nothing(
    with_files: Fenpei, tmp_path: Path
) -> None:
    filled = with_files
    archive = _backup(filled, tmp_path)
    files_dir = filled.settings.files_dir
    before, files_before = all_rows(filled.settings.database_url), files_of(files_dir)

    with pytest.raises(TargetNotEmpty, match="not empty"):
        restore_archive(
            path=archive,
            database_url=filled.settings.database_url,
            files_dir=tmp_path / "new-files",
            max_bytes=MAX,
        )
    with pytest.raises(TargetNotEmpty, match="files folder"):  # the files folder is checked too
        restore_archive(
            path=archive,
            database_url=f"sqlite:///{tmp_path / 'other.db'}"
            if filled.settings.is_sqlite
            else filled.settings.database_url,
            files_dir=files_dir,
            max_bytes=MAX,
        )

    assert all_rows(filled.settings.database_url) == before
    assert files_of(files_dir) == files_before
    assert not (tmp_path / "new-files").exists() and not (tmp_path / "other.db").exists()


def _still_empty(url: str) -> None:
    if url.startswith("sqlite"):
        assert not Path(sa.make_url(url).database or "").exists()
    else:
        assert all_rows(url) == {}


def rewrite(archive: Path, dest: Path, change: dict[str, bytes]) -> None:
    """A copy of ``archive`` with some members' contents replaced (the manifest too)."""
    with tarfile.open(archive, "r:gz") as source, tarfile.open(dest, "w:gz") as target:
        for member in source.getmembers():
            handle = source.extractfile(member)
            data = handle.read() if handle is not None else b""
            data = change.get(member.name, data)
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))


def manifest_of(archive: Path) -> dict[str, Any]:
    with tarfile.open(archive, "r:gz") as tar:
        handle = tar.extractfile("manifest.json")
        assert handle is not None
        data: dict[str, Any] = json.loads(handle.read())
        return data


def test_a_changed_snapshot_is_refused_before_anything_is_touched(
    with_files: Fenpei, empty_url: str, tmp_path: Path
) -> None:
    filled = with_files
    archive = _backup(filled, tmp_path)
    stored = manifest_of(archive)["database"]
    with tarfile.open(archive, "r:gz") as tar:
        handle = tar.extractfile(stored["path"])
        assert handle is not None
        snapshot = bytearray(handle.read())
    snapshot[len(snapshot) // 2] ^= 0xFF
    tampered = tmp_path / "tampered.tar.gz"
    rewrite(archive, tampered, {stored["path"]: bytes(snapshot)})

    with pytest.raises(ArchiveRefused, match="sha256 differs"):
        restore_archive(
            path=tampered, database_url=empty_url, files_dir=tmp_path / "files", max_bytes=MAX
        )

    _still_empty(empty_url)
    assert not (tmp_path / "files").exists()


def test_a_manifest_whose_checksums_do_not_match_the_data_fails_verification(
    with_files: Fenpei, empty_url: str, tmp_path: Path
) -> None:
    filled = with_files
    archive = _backup(filled, tmp_path)
    manifest = manifest_of(archive)
    manifest["tables"]["categories"]["sha256"] = "0" * 64
    manifest["tables"]["teams"]["rows"] += 1
    tampered = tmp_path / "tampered.tar.gz"
    rewrite(archive, tampered, {"manifest.json": json.dumps(manifest).encode()})

    with pytest.raises(VerificationFailed) as failed:
        restore_archive(
            path=tampered, database_url=empty_url, files_dir=tmp_path / "files", max_bytes=MAX
        )

    assert failed.value.problems == [
        f"table categories: checksum differs ({manifest['tables']['categories']['rows']} rows)",
        f"table teams: {manifest['tables']['teams']['rows'] - 1} rows, the backup says "
        f"{manifest['tables']['teams']['rows']}",
    ]
    assert not (tmp_path / "files").exists()  # the files wait for a verified database


def test_a_row_changed_inside_a_sqlite_snapshot_fails_verification(
    with_files: Fenpei, tmp_path: Path
) -> None:
    filled = with_files
    if not filled.settings.is_sqlite:
        pytest.skip("edits the SQLite snapshot file itself")
    archive = _backup(filled, tmp_path)
    manifest = Manifest.from_json(json.dumps(manifest_of(archive)))
    unpacked = tmp_path / "unpacked"
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(unpacked, filter="data")
    snapshot = unpacked / manifest.database.path
    engine = sa.create_engine(f"sqlite:///{snapshot}")
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE categories SET name = 'forged' WHERE id = 1")
    engine.dispose()
    data = snapshot.read_bytes()
    changed = json.loads(manifest.to_json())
    changed["database"]["size"] = len(data)
    changed["database"]["sha256"] = __import__("hashlib").sha256(data).hexdigest()
    tampered = tmp_path / "tampered.tar.gz"
    rewrite(
        archive,
        tampered,
        {manifest.database.path: data, "manifest.json": json.dumps(changed).encode()},
    )
    target = tmp_path / "restored.db"

    with pytest.raises(VerificationFailed, match="table categories: checksum differs"):
        restore_archive(
            path=tampered,
            database_url=f"sqlite:///{target}",
            files_dir=tmp_path / "files",
            max_bytes=MAX,
        )

    assert not target.exists()  # the unverified copy is not left behind
