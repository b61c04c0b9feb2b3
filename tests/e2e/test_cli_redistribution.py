"""`fenpei pool redistribute` on SQLite and PostgreSQL: a dry run, then --apply."""

from __future__ import annotations

import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.bootstrap import bootstrap
from fenpei.config import Settings
from fenpei.domain.users import SYSTEM
from fenpei.services import org
from fenpei.services.customers import create_customer
from fenpei.services.rules import create_rule
from tests.e2e.test_cli import cli_env, run

__all__ = ["cli_env"]  # the fixture, used by name


def _seed(url: str) -> int:
    app = bootstrap(Settings(database_url=url))
    with app.uow() as uow:
        team = org.create_team(uow=uow, name="East", actor=SYSTEM, now=app.now())
        for name in ("Alice", "Bob"):
            org.create_rep(
                uow=uow,
                actor=SYSTEM,
                now=app.now(),
                fields={"name": name, "team_id": team.id, "max_open": 1},
            )
        rule = create_rule(
            uow=uow,
            actor=SYSTEM,
            now=app.now(),
            fields={
                "name": "East optimal",
                "strategy": "batch_optimal",
                "target": {"kind": "team", "team_id": team.id},
            },
        )
        for i in range(3):
            create_customer(uow=uow, fields={"name": f"C{i}"}, actor=SYSTEM, now=app.now())
        uow.commit()
    with app.engine.begin() as connection:
        connection.execute(sa.update(t.customers).values(pool="public"))
    app.close()
    assert rule.id is not None
    return rule.id


def _owned(url: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        found = connection.scalar(
            sa.select(sa.func.count()).where(t.customers.c.owner_id.is_not(None))
        )
    engine.dispose()
    return int(found or 0)


def test_a_pool_is_previewed_then_redistributed(cli_env: str) -> None:
    assert run("db", "upgrade")[0] == 0
    rule = _seed(cli_env)

    preview = run("pool", "redistribute", "public", "--rule", str(rule))
    before = _owned(cli_env)
    done = run("pool", "redistribute", "public", "--rule", str(rule), "--apply")
    unknown = run("pool", "redistribute", "public", "--rule", "999")

    assert preview[0] == 0 and "Alice" in preview[1] and "Bob" in preview[1]
    assert "2 of 3 would be given by rule 'East optimal', 1 stay in public" in preview[1]
    assert "dry run: nothing changed" in preview[1] and before == 0
    assert done[0] == 0 and "2 of 3 given" in done[1]
    assert _owned(cli_env) == 2
    assert unknown[0] == 1 and "rule_id" in unknown[1]
