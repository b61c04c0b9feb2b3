"""`fenpei tokens` end to end, on SQLite and PostgreSQL: printed once, listed, revoked."""

from __future__ import annotations

import re

from fenpei.bootstrap import bootstrap
from fenpei.config import Settings
from fenpei.services import webhooks
from fenpei.services.tokens import authenticate_token
from tests.e2e.test_cli import cli_env as cli_env  # a fixture, shared
from tests.e2e.test_cli import run


def works(database_url: str, plaintext: str) -> bool:
    fenpei = bootstrap(Settings(database_url=database_url))
    try:
        with fenpei.uow(read_only=True) as uow:
            return authenticate_token(uow=uow, presented=plaintext, now=fenpei.now()) is not None
    finally:
        fenpei.close()


def test_token_is_printed_once_listed_without_secrets_and_revoked(cli_env: str) -> None:
    assert run("db", "upgrade")[0] == 0
    assert run("users", "create", "mia", "--role", "manager")[0] == 0

    code, output = run(
        "tokens", "create", "mia", "--name", "web form",
        "--scope", "leads:write", "--scope", "customers:read", "--expires-days", "30",
    )  # fmt: skip

    assert code == 0, output
    match = re.search(r"token:\s+(fp_([0-9a-f]{12})_\S+)", output)
    secret = re.search(r"webhook secret:\s+([0-9a-f]{64})", output)
    assert match and secret, output
    plaintext, prefix = match.groups()
    assert "will not be shown again" in output
    assert secret.group(1) == webhooks.webhook_secret(
        secret_key=Settings().secret_key, prefix=prefix
    )
    assert works(cli_env, plaintext)

    code, listed = run("tokens", "list", "--user", "mia")
    assert code == 0, listed
    (row,) = [line for line in listed.splitlines() if prefix in line]
    assert "web form" in row and "mia" in row and "leads:write customers:read" in row
    assert plaintext.split("_", 2)[2] not in listed and secret.group(1) not in listed
    token_id = row.split("│")[1].strip()

    code, output = run("tokens", "revoke", token_id)
    assert code == 0 and f"token {token_id} ({prefix}, web form) revoked" in output
    assert not works(cli_env, plaintext)
    (row,) = [line for line in run("tokens", "list")[1].splitlines() if prefix in line]
    cells = [cell.strip() for cell in row.split("│")[1:-1]]
    assert cells[0] == token_id and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", cells[-1]), row


def test_bad_scope_or_unknown_token_exits_1_naming_it(cli_env: str) -> None:
    assert run("db", "upgrade")[0] == 0
    assert run("users", "create", "mia", "--role", "manager")[0] == 0

    code, output = run("tokens", "create", "mia", "--name", "n", "--scope", "leads:wrte")
    assert code == 1 and "scopes[0]" in output and "unknown scope 'leads:wrte'" in output
    assert "Nothing was changed" in output
    assert "fp_" not in output
    assert "API tokens (0)" in run("tokens", "list")[1]

    assert run("tokens", "revoke", "999") == (1, "Error: token 999 not found\n")
    code, output = run("tokens", "create", "nobody", "--name", "n", "--scope", "*")
    assert code == 1 and "user 'nobody' not found" in output
