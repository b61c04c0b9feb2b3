"""The routing engine on the real Maven CRM data: 1,000 new customers, rules by office and
sector; every decision explained, no capacity breached."""

from __future__ import annotations

from collections import Counter
from random import Random

import pytest
import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.adapters.maven import read_maven
from fenpei.bootstrap import Fenpei
from fenpei.domain.users import SYSTEM
from fenpei.engine.model import Outcome
from fenpei.services import org
from fenpei.services.intake import create_and_route
from fenpei.services.maven_import import import_maven
from fenpei.services.maven_rules import create_maven_rules
from tests.conftest import MAVEN_DIR

SECTORS = [
    "technology",
    "software",
    "medical",
    "retail",
    "finance",
    "marketing",
    "services",
    "telecommunications",
    "entertainment",
    "employment",
]
NEW_PER_REP = 40


@pytest.mark.slow
def test_a_thousand_new_customers_are_routed_by_office_and_sector(app: Fenpei) -> None:
    with app.uow() as uow:
        import_maven(uow=uow, data=read_maven(MAVEN_DIR), actor=SYSTEM, now=app.now())
        uow.commit()
    with app.uow() as uow:
        for rep in uow.reps.all():
            assert rep.id is not None
            open_now = uow.reps.usage(rep.id, now=app.now()).open_count
            org.update_rep(
                uow=uow,
                rep_id=rep.id,
                fields={"max_open": open_now + NEW_PER_REP},
                actor=SYSTEM,
                now=app.now(),
            )
        create_maven_rules(uow=uow, actor=SYSTEM, now=app.now())
        uow.commit()
        team_region = {team.id: team.region for team in uow.teams.all()}
        rep_region = {rep.id: team_region[rep.team_id] for rep in uow.reps.all()}
        limit = {rep.id: rep.max_open for rep in uow.reps.all()}

    rng = Random(2026)
    decisions = []
    for i in range(1000):
        fields = {
            "name": f"New lead {i}",
            "region": rng.choice(["Central", "East", "West"]),
            "industry": rng.choice(SECTORS),
            "level": rng.choice("AABBBCCCDD"),
        }
        with app.uow() as uow:
            _, decision = create_and_route(
                uow=uow, rulebook=app.rulebook, fields=fields, actor=SYSTEM, now=app.now(), rng=rng
            )
            uow.commit()
        assert decision is not None
        decisions.append((fields, decision))

    outcomes = Counter(d.outcome for _, d in decisions)
    assert outcomes[Outcome.assigned] == 1000  # 30 reps x 40 new slots is room for all
    for fields, decision in decisions:
        assert decision.rule_name and decision.rule_name.startswith(str(fields["region"]))
        assert rep_region[decision.rep_id] == fields["region"]
        assert decision.reason and decision.candidates  # explained, with every score
        if fields["level"] == "A":
            assert decision.strategy == "best_match"
    with app.engine.connect() as connection:
        held = dict(
            connection.execute(
                sa.select(t.customers.c.owner_id, sa.func.count())
                .where(t.customers.c.stage.in_(["new", "contacted", "qualified"]))
                .group_by(t.customers.c.owner_id)
            ).all()
        )
        explained = connection.scalar(
            sa.select(sa.func.count()).where(
                t.assignments.c.method == "rule", t.assignments.c.explanation.is_not(None)
            )
        )
    assert all(held[rep] <= limit[rep] for rep in held if rep is not None)
    assert explained == 1000
