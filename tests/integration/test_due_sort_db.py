"""The database's "due" order is ``domain.due``'s: for customers of reps governed by two
pools with different terms (per-level days, protection, exemptions) and SLA clocks in
every state, the earliest due thing, as the domain finds it, never goes down the list."""

from __future__ import annotations

from datetime import datetime, timedelta
from random import Random

from fenpei.bootstrap import Fenpei
from fenpei.domain.customers import Stage
from fenpei.domain.due import DueKind, due_items
from fenpei.domain.pools import team_pool
from fenpei.domain.sla import ClockState, SlaClock
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services import assignments, org
from fenpei.services.customers import create_customer, list_customers
from fenpei.services.due import due_terms
from fenpei.services.pool.terms import set_terms
from fenpei.services.ports import CustomerQuery
from tests.fakes import FixedClock

ADMIN = Actor("root", Role.admin)
PUBLIC_TERMS = {
    "reclaim_enabled": True, "no_follow_up_days": 10, "not_won_days": 30, "protection_days": 14,
    "level_days": {"A": {"no_follow_up": 20, "stuck": 5}, "B": {"not_won": 7}},
}  # fmt: skip
TEAM_TERMS = {
    "reclaim_enabled": True, "stuck_days": 3, "exempt_won": False, "exempt_key_accounts": False,
    "level_days": {"C": {"no_follow_up": 2}},
}  # fmt: skip


def _maybe(rng: Random, start: datetime, *, chance: float = 0.6) -> datetime | None:
    if rng.random() > chance:
        return None
    return start + timedelta(minutes=rng.randrange(-40 * 24 * 60, 10 * 24 * 60))


def _world(app: Fenpei, now: datetime, rng: Random) -> list[int]:
    """Three reps (no team: public; a team with its own pool; a team without one), 90
    customers with random dates, stages, levels and key-account flags, and clocks."""
    with app.uow() as uow:
        own_pool = org.create_team(uow=uow, name="Own pool", actor=SYSTEM, now=now)
        no_pool = org.create_team(uow=uow, name="No pool", actor=SYSTEM, now=now)
        reps = [
            org.create_rep(uow=uow, fields={"name": name, **team}, actor=SYSTEM, now=now).id
            for name, team in (("Solo", {}), ("Owner", {"team_id": own_pool.id}),
                               ("Other", {"team_id": no_pool.id}))
        ]  # fmt: skip
        assert own_pool.id is not None
        set_terms(uow=uow, key="public", fields=PUBLIC_TERMS, actor=ADMIN, now=now)
        set_terms(uow=uow, key=team_pool(own_pool.id), fields=TEAM_TERMS, actor=ADMIN, now=now)
        uow.commit()
    rep_ids = [r for r in reps if r is not None]
    made: list[tuple[int, int]] = []
    with app.uow() as uow:
        for i in range(90):
            level = rng.choice(["A", "B", "C", None])
            fields = {"name": f"C{i:02d}", **({"level": level} if level else {})}
            customer = create_customer(uow=uow, fields=fields, actor=SYSTEM, now=now)
            assert customer.id is not None
            rep_id = rng.choice(rep_ids)
            assignments.assign(uow=uow, customer_id=customer.id, rep_id=rep_id, actor=SYSTEM,
                               now=now)  # fmt: skip
            made.append((customer.id, rep_id))
        uow.commit()
    with app.uow() as uow:
        for customer_id, rep_id in made:
            customer = uow.customers.get(customer_id)
            assert customer is not None
            customer.assigned_at = _maybe(rng, now, chance=0.95)
            customer.last_follow_up_at = _maybe(rng, now)
            customer.stage_changed_at = _maybe(rng, now)
            customer.next_follow_up_at = _maybe(rng, now, chance=0.3)
            customer.stage = rng.choice(list(Stage))
            customer.key_account = rng.random() < 0.2
            for _ in range(rng.randrange(3)):
                due = _maybe(rng, now, chance=1.0)
                assert due is not None
                state = rng.choice(list(ClockState))
                uow.sla.add_clock(
                    SlaClock(
                        customer_id=customer_id,
                        rep_id=rep_id if rng.random() < 0.9 else rep_ids[0],
                        started_at=due - timedelta(hours=2), due_at=due, state=state,
                        paused_at=now if rng.random() < 0.2 else None,
                        met_at=now if state is ClockState.met else None,
                    )
                )  # fmt: skip
        uow.commit()
    return rep_ids


def test_the_database_orders_by_the_earliest_due_thing_the_domain_finds(
    app: Fenpei, clock: FixedClock
) -> None:
    rng = Random(13)
    _world(app, clock.now(), rng)

    with app.uow(read_only=True) as uow:
        found, total = list_customers(
            uow=uow, query=CustomerQuery(sort="due", limit=500), actor=ADMIN
        )
        terms = due_terms(uow=uow)
        newest = uow.sla.latest_by_customer([c.id for c in found if c.id is not None])
        items = [due_items(c, newest.get(c.id or 0), terms) for c in found]

    firsts = [found_items[0].at if found_items else None for found_items in items]
    due = [at for at in firsts if at is not None]
    assert total == len(found) == 90
    assert firsts[: len(due)] == due and due == sorted(due)  # nothing due last
    kinds = {item.kind for found_items in items for item in found_items}
    assert kinds == set(DueKind) - {DueKind.next_contact}  # every kind of thing took part
    assert len(due) > 60
