"""The holdout on SQLite and PostgreSQL: each routed customer's assignment keeps the arm its
decision drew, and the report's grouped query counts each customer once per rule, in the
arm first drawn for it (a later re-routing does not move it), by its stage now, within a
manager's teams."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from random import Random

import sqlalchemy as sa

from fenpei.adapters.db import tables
from fenpei.bootstrap import Fenpei
from fenpei.domain.assignments import Assignment, AssignMethod
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services.customers import update_customer
from fenpei.services.holdout.report import holdout_report
from fenpei.services.intake import create_and_route
from tests.integration._routing_world import add_rule, build_world


def _arms(app: Fenpei) -> dict[int, str | None]:
    a = tables.assignments.c
    with app.engine.connect() as connection:
        rows = connection.execute(sa.select(a.customer_id, a.arm).order_by(a.id)).all()
    return {customer_id: arm for customer_id, arm in rows}


def test_the_arm_is_stored_with_the_assignment_and_reported_per_arm(app: Fenpei) -> None:
    world = build_world(app)
    rule_id = add_rule(
        app, name="Smart East", conditions={},
        target={"kind": "reps", "rep_ids": [world.alice, world.bob]}, strategy="least_loaded",
        holdout={"share": 0.5, "strategy": "round_robin"},
    )  # fmt: skip
    rng, made = Random(5), []
    for n in range(16):
        with app.uow() as uow:
            customer, decision = create_and_route(
                uow=uow, rulebook=app.rulebook, actor=SYSTEM, now=app.now(), rng=rng,
                fields={"name": f"Lead {n}", "expected_value": "200"},
            )  # fmt: skip
            uow.commit()
        assert customer.id is not None and decision is not None
        made.append((customer.id, decision.arm))

    stored = _arms(app)
    assert [stored[c] for c, _ in made] == [arm for _, arm in made]
    assert set(stored.values()) == {"smart", "holdout"}

    won = [c for c, arm in made if arm == "holdout"][:2]
    with app.uow() as uow:
        for customer_id in won:
            update_customer(
                uow=uow, customer_id=customer_id, fields={"stage": "won"}, actor=SYSTEM,
                now=app.now(),
            )  # fmt: skip
        uow.commit()
    with app.uow() as uow:
        report = holdout_report(uow=uow, actor=SYSTEM)

    (experiment,) = report.experiments
    counts = Counter(arm for _, arm in made)
    assert experiment.rule_id == rule_id
    assert experiment.smart.customers == counts["smart"]
    assert experiment.holdout.customers == counts["holdout"]
    assert (experiment.holdout.won, experiment.holdout.won_value) == (2, Decimal(400))
    assert experiment.smart.won == 0 and experiment.smart.open == counts["smart"]

    # Re-routed later by the same rule in the other arm: it stays where it was first drawn.
    moved = next(c for c, arm in made if arm == "holdout")
    with app.uow() as uow:
        uow.assignments.add(
            Assignment(customer_id=moved, method=AssignMethod.rule, at=app.now(), rule_id=rule_id,
                       to_rep_id=world.alice, arm="smart")
        )  # fmt: skip
        uow.commit()
    with app.uow() as uow:
        again = holdout_report(uow=uow, actor=SYSTEM).experiments[0]
        stranger = holdout_report(uow=uow, actor=Actor("m", role=Role.manager, user_id=999))
    assert (again.smart.customers, again.holdout.customers) == (counts["smart"], counts["holdout"])
    assert stranger.experiments[0].smart.customers == stranger.experiments[0].holdout.customers == 0
