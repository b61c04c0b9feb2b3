"""A small sales org for routing scenarios, built through the services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fenpei.bootstrap import Fenpei
from fenpei.domain.users import SYSTEM
from fenpei.services import org, rules
from fenpei.services.categories import add_value


@dataclass
class World:
    east: int
    west: int
    alice: int  # East, senior
    bob: int  # East, junior
    carol: int  # West
    dan: int  # West, retail expert
    eve: int  # East, inactive


def build_world(app: Fenpei) -> World:
    now = app.now()
    with app.uow() as uow:
        for region in ("East", "West"):
            add_value(uow=uow, key="region", code=region, label=None, actor=SYSTEM, now=now)
        east = org.create_team(uow=uow, name="East team", actor=SYSTEM, now=now, region="East")
        west = org.create_team(uow=uow, name="West team", actor=SYSTEM, now=now, region="West")

        def rep(name: str, team: int | None, **fields: Any) -> int:
            created = org.create_rep(
                uow=uow, fields={"name": name, "team_id": team, **fields}, actor=SYSTEM, now=now
            )
            assert created.id is not None
            return created.id

        world = World(
            east=east.id or 0,
            west=west.id or 0,
            alice=rep("Alice", east.id, seniority=90, tags=["senior"]),
            bob=rep("Bob", east.id, seniority=10),
            carol=rep("Carol", west.id),
            dan=rep("Dan", west.id, skills={"industries": ["retail"]}),
            eve=rep("Eve", east.id, active=False),
        )
        rules.ensure_default_rule(uow=uow, actor=SYSTEM, now=now)
        uow.commit()
    return world


def add_rule(app: Fenpei, **fields: Any) -> int:
    with app.uow() as uow:
        rule = rules.create_rule(
            uow=uow, fields={"priority": 100, **fields}, actor=SYSTEM, now=app.now()
        )
        uow.commit()
    assert rule.id is not None
    return rule.id
