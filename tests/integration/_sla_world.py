"""What the SLA tests on SQLite and PostgreSQL share: a team manager to escalate to, a
policy, the job run twice at a moment, and what the database then holds (each clock of a
customer, the reminders sent)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from fenpei.adapters.db import tables
from fenpei.adapters.passwords import Argon2Hasher
from fenpei.bootstrap import Fenpei
from fenpei.domain.users import SYSTEM, Role
from fenpei.jobs.registry import sla_check
from fenpei.services import org, users
from fenpei.services.sla import policies
from tests.fakes import FixedClock
from tests.integration._routing_world import World

SHANGHAI = ZoneInfo("Asia/Shanghai")


def team_manager(app: Fenpei, world: World) -> int:
    """A manager user ("boss") for the East team: the one an escalation tells."""
    with app.uow() as uow:
        boss = users.create_user(
            uow=uow, hasher=Argon2Hasher(), username="boss", password="long enough password",
            role=Role.manager, actor=SYSTEM, now=app.now(),
        )  # fmt: skip
        org.update_team(uow=uow, team_id=world.east, fields={"manager_user_id": boss.id},
                        actor=SYSTEM, now=app.now())  # fmt: skip
        uow.commit()
    assert boss.id is not None
    return boss.id


def add_policy(app: Fenpei, **fields: object) -> None:
    """A catch-all policy: first contact within 120 business minutes unless ``fields`` say."""
    with app.uow() as uow:
        policies.create_policy(
            uow=uow,
            fields={"name": "First call", "first_contact_minutes": 120, **fields},
            actor=SYSTEM,
            now=app.now(),
        )
        uow.commit()


def run_twice(app: Fenpei, clock: FixedClock, at: datetime) -> list[str]:
    """The sla-check job's summaries of two runs at ``at`` (the second must do nothing)."""
    clock.at = at
    return [sla_check(app), sla_check(app)]


def clocks_of(app: Fenpei, customer_id: int) -> list[dict[str, object]]:
    """The customer's clocks, oldest first, as rows."""
    c = tables.sla_clocks.c
    with app.engine.connect() as connection:
        query = sa.select(tables.sla_clocks).where(c.customer_id == customer_id).order_by(c.id)
        return [dict(row) for row in connection.execute(query).mappings()]


def reminders(app: Fenpei) -> list[tuple[str, list[int], list[int]]]:
    """Each reminder event sent, in order: its kind, the reps and the users it tells."""
    e = tables.outbox_events.c
    with app.engine.connect() as connection:
        rows = connection.execute(
            sa.select(e.payload).where(e.type == "customer.reminder").order_by(e.id)
        )
        return [(p["kind"], p["rep_ids"], p["user_ids"]) for (p,) in rows]
