"""A rule set for the Maven CRM data: by regional office and sector, as a sales-ops admin
would write it. Used by the demo and by tests on the real data."""

from __future__ import annotations

from datetime import datetime

from fenpei.domain.rules import Rule
from fenpei.domain.users import Actor
from fenpei.services.ports import UnitOfWork
from fenpei.services.rules import create_rule, ensure_default_rule

# Sectors a dedicated desk handles in each office; other sectors go to the office at large.
DESKS = {"technology": ("technology", "software", "telecommunications"),
         "medical": ("medical",), "retail": ("retail", "entertainment")}  # fmt: skip


def create_maven_rules(*, uow: UnitOfWork, actor: Actor, now: datetime) -> list[Rule]:
    """Per office: key accounts (level A) by best match, desks by sector in turn, then the
    office by least load; anything else falls to the default rule (public pool)."""
    offices = [t for t in uow.teams.all() if t.parent_id is None and t.region]
    created: list[Rule] = []
    priority = 10
    for office in sorted(offices, key=lambda t: t.name):
        region: dict[str, object] = {"field": "region", "op": "eq", "value": office.region}
        team = {"kind": "team", "team_id": office.id, "include_subteams": True}
        specs: list[tuple[str, dict[str, object], str]] = [
            (
                f"{office.region}: key accounts",
                {"all": [region, {"field": "level", "op": "eq", "value": "A"}]},
                "best_match",
            )
        ]
        specs += [
            (
                f"{office.region}: {desk} desk",
                {"all": [region, {"field": "industry", "op": "in", "value": list(sectors)}]},
                "round_robin",
            )
            for desk, sectors in DESKS.items()
        ]
        specs.append((f"{office.region}: everyone else", region, "least_loaded"))
        for name, conditions, strategy in specs:
            created.append(
                create_rule(
                    uow=uow,
                    fields={
                        "name": name,
                        "priority": priority,
                        "conditions": conditions,
                        "target": team,
                        "strategy": strategy,
                        "fallback": "next_rule",
                    },
                    actor=actor,
                    now=now,
                )
            )
            priority += 10
    ensure_default_rule(uow=uow, actor=actor, now=now)
    return created
