"""The `fenpei` command line end to end, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from fenpei.bootstrap import bootstrap
from fenpei.cli._common import console
from fenpei.cli.main import app
from fenpei.config import Settings
from fenpei.services.users import authenticate

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

    code, output = run(
        "customers", "list", "--region", "East", "--stage", "won", "--per-page", "3", "--lang", "en"
    )
    assert code == 0 and "of 1,171" in output

    code, output = run("customers", "show", "maven:1C1I7A6R")
    assert code == 0 and "Moses Frase" in output and "GTX Plus Basic" in output

    code, output = run("assign", "maven:1C1I7A6R", "Anna Snelling")
    assert (
        code == 1 and "reason: a reason is required" in output and "Nothing was changed" in output
    )

    code, output = run(
        "assign", "maven:1C1I7A6R", "Anna Snelling", "--reason", "cover", "--lang", "en"
    )
    assert code == 0 and "→ Anna Snelling (transfer)" in output

    code, output = run("history", "maven:1C1I7A6R", "--lang", "en")
    assert code == 0
    lines = [line for line in output.splitlines() if "import" in line or "transfer" in line]
    assert "Moses Frase" in lines[0] and "Anna Snelling" in lines[1] and "cover" in lines[1]


def test_unknown_customer_or_rep_exits_1_with_a_clear_message(cli_env: str) -> None:
    run("db", "upgrade")
    assert run("history", "maven:NOPE") == (1, "Error: customer 'maven:NOPE' not found\n")
    assert run("customers", "list", "--owner", "Nobody") == (1, "Error: rep 'Nobody' not found\n")


def test_users_get_one_time_passwords_that_work_and_can_be_reset(cli_env: str) -> None:
    run("db", "upgrade")
    code, output = run("users", "create", "mia", "--role", "manager", "--name", "Mia")
    assert code == 0, output
    first = output.rsplit("one-time password: ", 1)[1].strip()
    code, output = run("users", "reset-password", "mia")
    assert code == 0, output
    second = output.rsplit("for mia: ", 1)[1].strip()
    assert run("users", "reset-password", "nobody") == (1, "Error: user 'nobody' not found\n")

    app = bootstrap(Settings(database_url=cli_env))
    with app.uow(read_only=True) as uow:
        assert authenticate(uow=uow, hasher=app.hasher, username="mia", password=first) is None
        user = authenticate(uow=uow, hasher=app.hasher, username="mia", password=second)
    app.close()
    assert user is not None and user.role.value == "manager" and user.must_change_password


def test_a_deactivated_user_can_no_longer_log_in_and_their_sessions_end(cli_env: str) -> None:
    run("db", "upgrade")
    code, output = run("users", "create", "mia", "--role", "manager")
    password = output.rsplit("one-time password: ", 1)[1].strip()
    app = bootstrap(Settings(database_url=cli_env))
    with app.uow(read_only=True) as uow:
        before = uow.users.by_username("mia")
        assert before is not None and before.active
        version = before.session_version
    code, output = run("users", "deactivate", "mia")
    assert code == 0 and "mia deactivated" in output
    with app.uow(read_only=True) as uow:
        assert authenticate(uow=uow, hasher=app.hasher, username="mia", password=password) is None
        after = uow.users.by_username("mia")
        assert after is not None and not after.active and after.session_version > version
    app.close()
    assert run("users", "deactivate", "nobody") == (1, "Error: user 'nobody' not found\n")
