"""`fenpei holdout report` on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from random import Random

import pytest

from fenpei.bootstrap import bootstrap
from fenpei.config import Settings
from fenpei.domain.users import SYSTEM
from fenpei.services import org, rules
from fenpei.services.customers import update_customer
from fenpei.services.intake import create_and_route
from tests.e2e.test_cli import cli_env, run

__all__ = ["cli_env"]  # the fixture, used by name


@pytest.fixture(autouse=True)
def _migrated(cli_env: str) -> None:
    assert run("db", "upgrade")[0] == 0


def test_the_report_shows_each_arm_and_the_difference(cli_env: str) -> None:
    assert run("holdout", "report") == (0, "no rule runs a holdout\n")
    app = bootstrap(Settings(database_url=cli_env))
    now = app.now()
    with app.uow() as uow:
        reps = [
            org.create_rep(uow=uow, fields={"name": name}, actor=SYSTEM, now=now).id
            for name in ("Wang 王", "Li 李")
        ]
        rules.create_rule(
            uow=uow,
            fields={"name": "Smart 智能", "target": {"kind": "reps", "rep_ids": reps},
                    "strategy": "least_loaded",
                    "holdout": {"share": 0.5, "strategy": "round_robin"}},
            actor=SYSTEM, now=now,
        )  # fmt: skip
        uow.commit()
    rng = Random(2)
    for n in range(10):
        with app.uow() as uow:
            customer, _ = create_and_route(
                uow=uow, rulebook=app.rulebook, fields={"name": f"Lead {n}"}, actor=SYSTEM,
                now=now, rng=rng,
            )  # fmt: skip
            update_customer(
                uow=uow, customer_id=customer.id or 0, actor=SYSTEM, now=now,
                fields={"stage": "won" if n % 2 else "lost"},
            )  # fmt: skip
            uow.commit()
    app.close()

    code, table = run("holdout", "report")
    as_json = run("holdout", "report", "--json")
    refused = run("holdout", "report", "--since", "yesterday")

    assert code == 0, table
    assert "Smart 智能" in table and "least_loaded" in table and "round_robin" in table
    assert "smart − holdout" in table and "95% CI" in table
    report = json.loads(as_json[1])
    (experiment,) = report["experiments"]
    total = experiment["smart"]["customers"] + experiment["holdout"]["customers"]
    assert total == 10 and experiment["smart"]["won"] + experiment["holdout"]["won"] == 5
    assert refused[0] != 0 and "--since" in refused[1] and "YYYY-MM-DD" in refused[1]
