"""`fenpei follow-ups add|list`: log a follow-up from the command line and read them back;
a bad value exits naming the field and changes nothing."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from fenpei.cli._common import console
from fenpei.cli.main import app

runner = CliRunner()


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("FENPEI_DATABASE_URL", database_url)
    monkeypatch.setattr(console, "width", 200)
    return database_url


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_a_follow_up_is_added_and_listed(cli_env: str) -> None:
    assert run("db", "upgrade")[0] == 0
    code, output = run("customers", "add", "name=上海星辰", "--no-route")
    assert code == 0, output

    code, output = run(
        "follow-ups", "add", "1", "--kind", "visit", "--content", "上门拜访", "--outcome",
        "要报价", "--next", "2099-01-02 10:00", "--lang", "en",
    )  # fmt: skip
    assert code == 0 and "Follow-up 1 logged for 上海星辰" in output, output
    bad_code, bad = run("follow-ups", "add", "1", "--kind", "telepathy", "--content", "x")
    code, listed = run("follow-ups", "list", "1")

    assert bad_code != 0 and "kind" in bad
    assert code == 0 and "上门拜访" in listed and "要报价" in listed and "记录人" in listed
    assert "telepathy" not in listed


def test_a_follow_up_is_corrected_but_never_its_time(cli_env: str) -> None:
    assert run("db", "upgrade")[0] == 0
    assert run("customers", "add", "name=上海星辰", "--no-route")[0] == 0
    assert run("follow-ups", "add", "1", "--content", "电话", "--next", "2099-01-02 10:00")[0] == 0

    code, output = run(
        "follow-ups", "correct", "1", "1", "--content", "电话，约了拜访", "--kind", "visit",
        "--clear-next", "--lang", "en",
    )  # fmt: skip
    bad_code, bad = run("follow-ups", "correct", "1", "1", "--content", "", "--kind", "telepathy")
    missing_code, missing = run("follow-ups", "correct", "1", "99", "--content", "x")
    _, listed = run("follow-ups", "list", "1")

    assert code == 0 and "Follow-up 1 of 上海星辰 corrected" in output, output
    assert bad_code != 0 and "content" in bad and "kind" in bad and "Traceback" not in bad
    assert missing_code != 0 and "99" in missing and "Traceback" not in missing
    assert "电话，约了拜访" in listed and "2099" not in listed and "telepathy" not in listed
