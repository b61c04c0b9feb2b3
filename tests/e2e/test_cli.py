"""The `fenpei` command line end to end, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from fenpei.cli._common import console
from fenpei.cli.main import app

runner = CliRunner()


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("FENPEI_DATABASE_URL", database_url)
    monkeypatch.setattr(console, "width", 200)  # keep rich tables on one line per row
    return database_url


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_fresh_database_to_reassigned_customer_with_history(cli_env: str) -> None:
    assert run("db", "upgrade")[0] == 0
    code, output = run("import", "maven")
    assert code == 0, output
    created = {
        line.split()[1]: line.split()[3]
        for line in output.splitlines()
        if line.startswith("│ ") and line.split()[3].isdigit()
    }
    assert created == {
        "offices": "3",
        "teams": "7",
        "reps": "36",
        "companies": "85",
        "customers": "8800",
    }

    code, output = run("customers", "list", "--region", "East", "--stage", "won", "--per-page", "3")
    assert code == 0 and "of 1171" in output

    code, output = run("customers", "show", "maven:1C1I7A6R")
    assert code == 0 and "Moses Frase" in output and "GTX Plus Basic" in output

    code, output = run("assign", "maven:1C1I7A6R", "Anna Snelling")
    assert (
        code == 1 and "reason: a reason is required" in output and "Nothing was changed" in output
    )

    code, output = run("assign", "maven:1C1I7A6R", "Anna Snelling", "--reason", "cover")
    assert code == 0 and "→ Anna Snelling (transfer)" in output

    code, output = run("history", "maven:1C1I7A6R")
    assert code == 0
    lines = [line for line in output.splitlines() if "import" in line or "transfer" in line]
    assert "Moses Frase" in lines[0] and "Anna Snelling" in lines[1] and "cover" in lines[1]


def test_unknown_customer_or_rep_exits_1_with_a_clear_message(cli_env: str) -> None:
    run("db", "upgrade")
    assert run("history", "maven:NOPE") == (1, "Error: customer 'maven:NOPE' not found\n")
    assert run("customers", "list", "--owner", "Nobody") == (1, "Error: rep 'Nobody' not found\n")
