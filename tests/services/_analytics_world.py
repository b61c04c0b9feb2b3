"""One small company for the dashboard's tests, arranged on any unit of work (the fakes or
SQL), so the fake's figures and the SQL's can be compared on the same data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fenpei.domain.customers import Stage
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services import assignments, org, users
from fenpei.services.customers import create_customer
from fenpei.services.ports import PasswordHasher, UnitOfWork


@dataclass
class AnalyticsWorld:
    ids: dict[str, int] = field(default_factory=dict)
    manager: Actor | None = None


def seed_analytics_world(uow: UnitOfWork, hasher: PasswordHasher, now: datetime) -> AnalyticsWorld:
    """East (managed, with a sub-team) and West; customers created today and before, won,
    lost, waiting in the queue and in a pool. ``now`` is 2026-11-02 09:30 UTC in the tests:
    17:30 in Shanghai, so "today" there began at 16:00 UTC the day before."""
    world = AnalyticsWorld()
    yesterday = now - timedelta(days=1)
    with uow:
        manager = users.create_user(
            uow=uow, hasher=hasher, username="boss", password="long enough password",
            role=Role.manager, actor=SYSTEM, now=now,
        )  # fmt: skip
        east = org.create_team(uow=uow, name="East", actor=SYSTEM, now=now)
        east.manager_user_id = manager.id
        sub = org.create_team(uow=uow, name="East Sub", parent_id=east.id, actor=SYSTEM, now=now)
        west = org.create_team(uow=uow, name="West", actor=SYSTEM, now=now)
        reps = {
            name: org.create_rep(
                uow=uow, fields={"name": name, "team_id": team.id, **extra}, actor=SYSTEM, now=now
            )
            for name, team, extra in (
                ("Moses", east, {"max_open": 3}),
                ("Darcel", sub, {"max_open": 10}),
                ("Rosie", west, {}),
                ("Idle", west, {"active": False}),
            )
        }
        customers = {
            name: create_customer(uow=uow, fields={"name": name}, actor=SYSTEM, now=now)
            for name in (
                "c1",
                "c2",
                "c3",
                "old1",
                "won1",
                "won2",
                "lost1",
                "wonW",
                "q1",
                "q2",
                "p1",
            )
        }
        uow.commit()
    for customer, rep in (("c1", "Moses"), ("c2", "Rosie"), ("old1", "Moses")):
        with uow:
            assignments.assign(
                uow=uow, customer_id=customers[customer].id or 0, rep_id=reps[rep].id or 0,
                actor=SYSTEM, now=now - timedelta(minutes=5),
            )  # fmt: skip
            uow.commit()
    with uow:

        def set_(name: str, **values: object) -> None:
            customer = uow.customers.get(customers[name].id or 0)
            assert customer is not None
            for key, value in values.items():
                setattr(customer, key, value)

        set_("c3", team_id=east.id)
        set_("old1", created_at=yesterday - timedelta(hours=8))
        for name, rep, stage, closed in (
            ("won1", "Moses", Stage.won, now - timedelta(days=3)),
            ("won2", "Darcel", Stage.won, now - timedelta(days=40)),
            ("lost1", "Moses", Stage.lost, now - timedelta(days=2)),
            ("wonW", "Rosie", Stage.won, None),
        ):
            set_(name, owner_id=reps[rep].id, stage=stage, closed_at=closed,
                 created_at=now - timedelta(days=50))  # fmt: skip
        set_("q1", team_id=east.id, queue_reason="no eligible rep: all over capacity",
             queued_at=now - timedelta(hours=2), created_at=now - timedelta(days=3))  # fmt: skip
        set_("q2", team_id=sub.id, queue_reason="outside working hours",
             queued_at=now - timedelta(hours=30), created_at=now - timedelta(days=3))  # fmt: skip
        set_("p1", team_id=west.id, pool="West pool", created_at=now - timedelta(days=5))
        uow.commit()
    world.ids = {
        "east": east.id or 0, "sub": sub.id or 0, "west": west.id or 0,
        **{name: rep.id or 0 for name, rep in reps.items()},
        **{name: c.id or 0 for name, c in customers.items()},
    }  # fmt: skip
    world.manager = Actor("boss", Role.manager, user_id=manager.id)
    return world
