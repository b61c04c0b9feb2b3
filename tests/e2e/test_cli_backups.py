"""`fenpei backup`, `fenpei backups list` and `fenpei restore` on SQLite and PostgreSQL: a
verified archive, its restore into an empty database, and clear refusals (exit 1, one
line saying why, nothing changed) for a full target and a file that is no backup."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fenpei.cli._common import console
from fenpei.cli.main import app
from tests.conftest import create_pg_database, drop_pg_database

runner = CliRunner()


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("FENPEI_DATABASE_URL", database_url)
    monkeypatch.setattr(console, "width", 200)
    return database_url


@pytest.fixture
def empty_url(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    admin = request.getfixturevalue("postgres_admin_url")
    url = create_pg_database(admin)
    try:
        yield url
    finally:
        drop_pg_database(admin, url)


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_backup_then_restore_into_an_empty_database_and_refusals(
    cli_env: str, empty_url: str, tmp_path: Path
) -> None:
    assert run("db", "upgrade")[0] == 0
    assert run("customers", "add", "name=上海星辰", "--no-route")[0] == 0
    kind = "sqlite" if cli_env.startswith("sqlite") else "postgresql"

    code, made = run("backup")
    assert code == 0 and f": {kind}, " in made and "; verified" in made, made
    code, listed = run("backups", "list")
    assert code == 0 and "manual" in listed and "yes" in listed, listed
    archive = tmp_path / "out.tar.gz"
    code, out = run("backup", "--out", str(archive))
    assert code == 0 and archive.exists(), out

    code, restored = run(
        "restore", str(archive), "--database-url", empty_url, "--files-dir", str(tmp_path / "f")
    )
    assert code == 0 and "every table verified" in restored, restored
    assert "note:" not in restored  # the same schema: nothing to upgrade
    assert "1 files" not in restored and "0 files" in restored

    code, again = run(
        "restore", str(archive), "--database-url", empty_url, "--files-dir", str(tmp_path / "g")
    )
    assert code == 1 and "is not empty" in again and "Traceback" not in again, again

    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not an archive")
    code, refused = run("restore", str(junk), "--database-url", f"sqlite:///{tmp_path / 'x.db'}")
    assert code == 2 and "ARCHIVE" in refused and "not a readable .tar.gz archive" in refused
    assert not (tmp_path / "x.db").exists()

    if kind == "postgresql":  # a PostgreSQL backup does not go into a SQLite file
        sqlite_url = f"sqlite:///{tmp_path / 'y.db'}"
        code, wrong = run("restore", str(archive), "--database-url", sqlite_url)
        assert code == 2 and "holds a postgresql database" in wrong, wrong
