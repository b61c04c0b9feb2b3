"""`fenpei worker`, `fenpei jobs …` and `fenpei deliveries …` against a real database."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from fenpei.adapters.db import tables
from fenpei.bootstrap import bootstrap
from fenpei.cli._output import console
from fenpei.cli.main import app
from fenpei.config import Settings
from fenpei.domain.users import SYSTEM
from fenpei.services.org import create_rep
from tests.integration._receivers import refusing_port

runner = CliRunner()


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("FENPEI_DATABASE_URL", database_url)
    monkeypatch.setattr(console, "width", 200)
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    return database_url


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_jobs_are_listed_run_by_hand_and_kept_in_the_history(cli_env: str) -> None:
    code, listing = run("jobs", "list")
    assert code == 0 and "retry-queue" in listing and "never" in listing

    code, ran = run("jobs", "run", "retry-queue")
    assert code == 0 and ran.startswith("retry-queue: done  0 assigned, 0 pool, 0 queued")

    code, history = run("jobs", "history")
    assert code == 0 and "retry-queue" in history and "done" in history
    assert run("jobs", "run", "no-such-job")[0] != 0


def test_a_worker_round_sends_and_a_dead_delivery_is_retried_by_hand(
    cli_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fenpei = bootstrap(Settings(database_url=cli_env))
    with fenpei.uow() as uow:
        create_rep(uow=uow, fields={"name": "Wang"}, actor=SYSTEM, now=fenpei.now())
        uow.commit()
    fenpei.close()
    assert run("customers", "add", "name=Acme")[0] == 0  # the default rule: to the pool
    assert run("assign", "1", "Wang")[0] == 0
    with refusing_port() as port:  # a robot that never answers: every attempt fails
        robots = [{"name": "east", "kind": "wecom", "url": f"http://127.0.0.1:{port}/x"}]
        monkeypatch.setenv("FENPEI_ROBOTS", json.dumps(robots))

        code, output = run("worker", "--once")
        assert code == 0 and "2 events, 0 delivered, 2 to retry, 0 dead" in output, output

        engine = sa.create_engine(cli_env)
        with engine.begin() as connection:  # as if the last attempt had failed
            connection.execute(sa.update(tables.deliveries).values(status="dead"))
        engine.dispose()
        code, listing = run("deliveries", "list", "--status", "dead")
        assert code == 0 and "0 pending, 0 sending, 0 delivered, 2 dead" in listing
        assert "wecom" in listing and "east" in listing
        assert run("deliveries", "retry", "1") == (0, "delivery 1: pending\n")
