"""Every path that creates or changes a customer scores it, on SQLite and PostgreSQL:
create (API, web, CLI, webhook and intake all call ``create_customer``; intake before it
routes), update, stage change, follow-up, the synchronous import, the durable import job
(``fenpei import customers``) and the Maven import. Scores are read back with SQL.

The last test enumerates the paths from the source: every service that adds customers or
moves a stage must call the ``rescore`` hook, so a new path cannot forget it silently."""

from __future__ import annotations

import re
from pathlib import Path
from random import Random

import sqlalchemy as sa
from typer.testing import CliRunner

from fenpei.adapters.db import tables as t
from fenpei.adapters.files.tabular import parse_table
from fenpei.adapters.maven import read_maven
from fenpei.bootstrap import Fenpei
from fenpei.cli.main import app as cli
from fenpei.domain.scoring import ModelKind
from fenpei.domain.users import SYSTEM
from fenpei.services import org
from fenpei.services.assignments import assign
from fenpei.services.customer_import import import_customers
from fenpei.services.customers import create_customer, update_customer
from fenpei.services.follow_ups.records import record_follow_up
from fenpei.services.follow_ups.stages import change_stage
from fenpei.services.intake import create_and_route
from fenpei.services.maven_import import import_maven
from fenpei.services.rulebook import RuleBook
from fenpei.services.rules import create_rule, ensure_default_rule
from fenpei.services.scoring import models
from fenpei.services.scoring.rescore import rescore_stale
from tests.conftest import MAVEN_DIR
from tests.fakes import FixedClock

SERVICES = Path(__file__).resolve().parents[2] / "src" / "fenpei" / "services"
LINES = [
    {"label": "retail", "points": 50,
     "conditions": {"field": "industry", "op": "eq", "value": "retail"}},
    {"label": "qualified", "points": 20,
     "conditions": {"field": "stage", "op": "in", "value": ["contacted", "qualified"]}},
    {"label": "won", "points": 100, "conditions": {"field": "stage", "op": "eq", "value": "won"}},
]  # fmt: skip


def _activate_scoring(app: Fenpei, p: float = 0.25) -> None:
    with app.uow() as uow:
        now = app.now()
        card, _ = models.save_scorecard(uow=uow, actor=SYSTEM, name="card", lines=LINES, now=now)
        models.activate(uow=uow, actor=SYSTEM, model_id=card.id or 0, now=now)
        learned = models.add_version(
            uow=uow, actor=SYSTEM, kind=ModelKind.score, name="prior",
            params={"algorithm": "prior", "p": p}, now=now,
        )  # fmt: skip
        models.activate(uow=uow, actor=SYSTEM, model_id=learned.id or 0, now=now)
        uow.commit()


def _scores(app: Fenpei, where: sa.ColumnElement[bool]) -> list[tuple[object, ...]]:
    c = t.customers.c
    with app.engine.connect() as connection:
        rows = connection.execute(
            sa.select(c.score, c.win_probability, c.grade).where(where).order_by(c.id)
        )
        return [tuple(row) for row in rows]


def test_create_update_stage_and_follow_up_score_the_customer(app: Fenpei) -> None:
    _activate_scoring(app)
    with app.uow() as uow:
        rep = org.create_rep(uow=uow, fields={"name": "Rep"}, actor=SYSTEM, now=app.now())
        customer = create_customer(uow=uow, fields={"name": "甲", "industry": "bank"},
                                   actor=SYSTEM, now=app.now())  # fmt: skip
        uow.commit()
    cid = customer.id or 0
    where = t.customers.c.id == cid
    assert _scores(app, where) == [(0, 0.25, "D")]

    with app.uow() as uow:
        update_customer(uow=uow, customer_id=cid, fields={"industry": "retail"}, actor=SYSTEM,
                        now=app.now())  # fmt: skip
        uow.commit()
    assert _scores(app, where) == [(50, 0.25, "C")]

    with app.uow() as uow:
        assign(uow=uow, customer_id=cid, rep_id=rep.id or 0, actor=SYSTEM, now=app.now())
        record_follow_up(uow=uow, customer_id=cid, actor=SYSTEM, kind="phone", at=app.now(),
                         content="电话沟通", now=app.now())  # fmt: skip
        uow.commit()
    assert _scores(app, where) == [(70, 0.25, "B")]  # a follow-up makes it contacted

    with app.uow() as uow:
        change_stage(uow=uow, customer_id=cid, to="won", reason=None, actor=SYSTEM,
                     now=app.now())  # fmt: skip
        uow.commit()
    assert _scores(app, where) == [(150, 0.25, "A")]


def test_intake_routes_on_the_grade_written_before_routing(app: Fenpei) -> None:
    with app.uow() as uow:
        now = app.now()
        ensure_default_rule(uow=uow, actor=SYSTEM, now=now)
        vip = org.create_rep(uow=uow, fields={"name": "VIP"}, actor=SYSTEM, now=now)
        create_rule(uow=uow, actor=SYSTEM, now=now, fields={
            "name": "grade C+", "priority": 1,
            "conditions": {"field": "grade", "op": "in", "value": ["A", "B", "C"]},
            "target": {"kind": "reps", "rep_ids": [vip.id]},
        })  # fmt: skip
        uow.commit()
    _activate_scoring(app)

    with app.uow() as uow:
        customer, decision = create_and_route(
            uow=uow, rulebook=RuleBook(), fields={"name": "乙", "industry": "retail"},
            actor=SYSTEM, now=app.now(), rng=Random(3),
        )  # fmt: skip
        uow.commit()

    assert decision is not None and decision.rep_id == vip.id
    assert _scores(app, t.customers.c.id == customer.id) == [(50, 0.25, "C")]


def test_the_imports_score_every_row(app: Fenpei, tmp_path: Path) -> None:
    _activate_scoring(app)
    text = "name,industry\n丙,retail\n丁,bank\n"
    with app.uow() as uow:
        import_customers(
            uow=uow, table=parse_table("c.csv", text.encode()), actor=SYSTEM, now=app.now()
        )
        uow.commit()
    assert _scores(app, t.customers.c.name.in_(["丙", "丁"])) == [
        (50, 0.25, "C"), (0, 0.25, "D"),
    ]  # fmt: skip

    path = tmp_path / "leads.csv"
    path.write_text("name,industry\n戊,retail\n")
    url = app.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(
        cli, ["import", "customers", str(path)], env={"FENPEI_DATABASE_URL": url}
    )
    assert result.exit_code == 0, result.output
    assert _scores(app, t.customers.c.name == "戊") == [(50, 0.25, "C")]


def test_the_maven_import_scores_every_deal(app: Fenpei) -> None:
    _activate_scoring(app, p=0.6)
    with app.uow() as uow:
        import_maven(uow=uow, data=read_maven(MAVEN_DIR), actor=SYSTEM, now=app.now())
        uow.commit()
    c = t.customers.c
    with app.engine.connect() as connection:
        unscored = connection.scalar(
            sa.select(sa.func.count()).where(sa.or_(c.scored_at.is_(None), c.grade.is_(None)))
        )
        won = connection.execute(
            sa.select(sa.func.min(c.score), sa.func.max(c.win_probability)).where(c.stage == "won")
        ).one()
    assert unscored == 0
    assert tuple(won) == (100, 0.6)


def test_rescore_all_catches_up_in_batches_after_a_new_version(
    app: Fenpei, clock: FixedClock
) -> None:
    with app.uow() as uow:
        for i in range(12):
            create_customer(uow=uow, fields={"name": f"c{i}", "industry": "retail"},
                            actor=SYSTEM, now=app.now())  # fmt: skip
        uow.commit()
    clock.advance(minutes=1)
    _activate_scoring(app)
    done: list[tuple[int, int]] = []

    looked, changed = rescore_stale(
        uow_factory=app.uow, now=app.now, batch=5, progress=lambda d, n: done.append((d, n))
    )

    assert (looked, changed) == (12, 12)
    assert done == [(5, 12), (10, 12), (12, 12)]
    assert set(_scores(app, t.customers.c.deleted_at.is_(None))) == {(50, 0.25, "C")}
    assert rescore_stale(uow_factory=app.uow, now=app.now) == (0, 0)


# Calls that create customers or change what a scorecard reads, and the hook.
_WRITES = re.compile(r"customers\.add(_many)?\(|move_stage\(|setattr\(customer,")


def test_every_service_that_writes_customers_calls_the_rescore_hook() -> None:
    writers = {
        path.relative_to(SERVICES).as_posix()
        for path in SERVICES.rglob("*.py")
        if _WRITES.search(path.read_text(encoding="utf-8"))
    }
    hooked = {
        path.relative_to(SERVICES).as_posix()
        for path in SERVICES.rglob("*.py")
        if re.search(r"\brescore\(", path.read_text(encoding="utf-8"))
    }

    assert writers == {
        "customers.py", "customer_import.py", "import_jobs.py", "maven_import.py",
        "follow_ups/records.py", "follow_ups/stages.py",
    }, "a new path writes customers: call services.scoring.rescore.rescore there too"  # fmt: skip
    assert writers <= hooked, sorted(writers - hooked)
