"""`fenpei files attach|list|get`: attach a real PDF from the command line, list it, save it
back byte for byte; a disguised file exits naming the problem and stores nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from fenpei.cli._common import console
from fenpei.cli.main import app
from tests.file_samples import WINDOWS_PROGRAM, minimal_pdf

runner = CliRunner()


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("FENPEI_DATABASE_URL", database_url)
    monkeypatch.setenv("FENPEI_FILES_DIR", str(tmp_path / "files"))
    monkeypatch.setattr(console, "width", 200)
    return tmp_path


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_a_file_is_attached_listed_and_saved_back(cli_env: Path) -> None:
    assert run("db", "upgrade")[0] == 0
    assert run("customers", "add", "name=上海星辰", "--no-route")[0] == 0
    source = cli_env / "合同.pdf"
    source.write_bytes(minimal_pdf("contract"))
    bad = cli_env / "invoice.pdf"
    bad.write_bytes(WINDOWS_PROGRAM)
    target = cli_env / "out.pdf"

    attached = run("files", "attach", "1", str(source), "--lang", "en")
    refused = run("files", "attach", "1", str(bad), "--lang", "en")
    listed = run("files", "list", "1", "--lang", "en")
    saved = run("files", "get", "1", "--output", str(target), "--lang", "en")
    again = run("files", "get", "1", "--output", str(target))

    assert attached[0] == 0 and "Attached #1 合同.pdf (application/pdf) to 上海星辰" in attached[1]
    assert refused[0] != 0 and "file" in refused[1] and "Windows program" in refused[1]
    assert listed[0] == 0 and "合同.pdf" in listed[1] and "invoice" not in listed[1]
    assert saved[0] == 0 and target.read_bytes() == source.read_bytes()
    assert again[0] == 2 and "--output" in again[1] and "--force" in again[1]
    assert len(list((cli_env / "files").rglob("*"))) == 4  # attachments/yyyy/mm/<one file>


def test_check_finds_missing_and_orphaned_files_and_purges_orphans(cli_env: Path) -> None:
    assert run("db", "upgrade")[0] == 0
    assert run("customers", "add", "name=上海星辰", "--no-route")[0] == 0
    source = cli_env / "a.pdf"
    source.write_bytes(minimal_pdf())
    assert run("files", "attach", "1", str(source))[0] == 0
    assert run("files", "attach", "1", str(source))[0] == 0
    stored = sorted(p for p in (cli_env / "files").rglob("*") if p.is_file())
    stored[0].unlink()  # a file lost from the store
    orphan = stored[1].parent / "0123abcd"
    orphan.write_bytes(b"left by a failed upload")

    found = run("files", "check", "--lang", "en")
    purged = run("files", "check", "--purge-orphans", "--lang", "en")

    assert found[0] == 1 and "Checked 2 attachments." in found[1]
    assert "its file is missing from the store" in found[1]
    assert "A stored file no attachment names: attachments/" in found[1]
    assert "0123abcd" in purged[1] and not orphan.exists()
