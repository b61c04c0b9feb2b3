"""Moving customers between pools in bulk: managers and admins, pools they may see,
all or nothing, locked in id order, each move a record, an event and an audit entry."""

from __future__ import annotations

import pytest

from fenpei.domain.assignments import AssignMethod
from fenpei.domain.customers import Customer
from fenpei.domain.errors import NotFound, PermissionDenied, ValidationFailed
from fenpei.domain.org import Team
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services import org
from fenpei.services.pool.moves import move_to_pool
from fenpei.services.users import create_user
from tests.fakes import FakeHasher, FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import a_customer, a_rep, assigned, bad_fields, refused

ADMIN = Actor("root", Role.admin)


def _waiting(uow: FakeUnitOfWork, clock: FixedClock, pool: str, count: int) -> list[Customer]:
    made = [a_customer(uow, clock, f"Lead {n}") for n in range(count)]
    with uow:
        for customer in made:
            stored = uow.customers.get(customer.id or 0)
            assert stored is not None
            stored.pool = pool
        uow.commit()
    return made


def _manager_of(uow: FakeUnitOfWork, clock: FixedClock, name: str) -> tuple[Actor, Team]:
    user = in_transaction(
        uow,
        lambda: create_user(
            uow=uow, hasher=FakeHasher(), username=name, password="long enough password",
            role=Role.manager, actor=SYSTEM, now=clock.now(),
        ),
    )  # fmt: skip
    team = in_transaction(
        uow,
        lambda: org.create_team(
            uow=uow, name=f"{name}'s", actor=SYSTEM, now=clock.now(), manager_user_id=user.id
        ),
    )
    return Actor(name, Role.manager, user_id=user.id), team


def _where(uow: FakeUnitOfWork, customers: list[Customer]) -> list[str | None]:
    with uow:
        return [
            stored.pool if (stored := uow.customers.get(c.id or 0)) else None for c in customers
        ]


def test_a_manager_moves_from_the_public_pool_to_their_team_pool_with_records(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    manager, team = _manager_of(uow, clock, "mia")
    customers = _waiting(uow, clock, "public", 3)
    events = len(uow.dump()["outbox_events"])
    audits = len(uow.dump()["audit_log"])

    with uow:
        uow.locked.clear()
        records = move_to_pool(
            uow=uow, actor=manager, customer_ids=[c.id or 0 for c in reversed(customers)],
            to_pool=f"team:{team.id}", reason="华东跟进", now=clock.now(),
        )  # fmt: skip
        locked = list(uow.locked)
        uow.commit()

    assert _where(uow, customers) == [f"team:{team.id}"] * 3
    assert [("customer", c.id) for c in customers] == locked[:3]  # in id order
    assert [(r.method, r.from_rep_id, r.to_rep_id, r.reason) for r in records] == [
        (AssignMethod.move, None, None, "华东跟进")
    ] * 3
    assert records[0].explanation["from_pool"] == "public"
    assert len(uow.dump()["outbox_events"]) == events + 3
    assert len(uow.dump()["audit_log"]) == audits + 3


def test_one_refused_customer_is_named_and_nothing_moves(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock, "Wang")
    waiting = _waiting(uow, clock, "public", 1)
    owned = a_customer(uow, clock, "Owned")
    assigned(uow, clock, owned, rep)
    queued = a_customer(uow, clock, "Queued")
    ids = [waiting[0].id or 0, owned.id or 0, queued.id or 0, 9999]

    error = refused(
        uow,
        ValidationFailed,
        lambda: move_to_pool(
            uow=uow, actor=ADMIN, customer_ids=ids, to_pool="vip", reason=None, now=clock.now()
        ),
    )

    assert bad_fields(error) == {"customer_ids"}
    messages = [e.message for e in error.errors]
    assert messages == [
        f"customer {owned.id} has an owner: return it to a pool first",
        f"customer {queued.id} is not waiting in a pool",
        "customer 9999 is not waiting in a pool",
    ]


def test_a_customer_already_in_the_target_pool_is_refused(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    [customer] = _waiting(uow, clock, "public", 1)
    error = refused(
        uow,
        ValidationFailed,
        lambda: move_to_pool(
            uow=uow,
            actor=ADMIN,
            customer_ids=[customer.id or 0],
            to_pool="public",
            reason=None,
            now=clock.now(),
        ),
    )
    assert "already waits in" in error.errors[0].message


def test_a_manager_may_not_touch_a_pool_of_a_team_they_do_not_manage(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    manager, _ = _manager_of(uow, clock, "mia")
    _, other = _manager_of(uow, clock, "wes")
    theirs = _waiting(uow, clock, f"team:{other.id}", 1)
    public = _waiting(uow, clock, "public", 1)

    hidden = refused(
        uow,
        ValidationFailed,
        lambda: move_to_pool(
            uow=uow,
            actor=manager,
            customer_ids=[theirs[0].id or 0],
            to_pool="public",
            reason=None,
            now=clock.now(),
        ),
    )
    refused(
        uow,
        NotFound,
        lambda: move_to_pool(
            uow=uow,
            actor=manager,
            customer_ids=[public[0].id or 0],
            to_pool=f"team:{other.id}",
            reason=None,
            now=clock.now(),
        ),
    )
    assert "is not waiting in a pool" in hidden.errors[0].message


def test_reps_may_not_move(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    rep = a_rep(uow, clock, "Wang")
    [customer] = _waiting(uow, clock, "public", 1)
    refused(
        uow,
        PermissionDenied,
        lambda: move_to_pool(
            uow=uow,
            actor=Actor("Wang", Role.rep, rep_id=rep.id),
            customer_ids=[customer.id or 0],
            to_pool="vip",
            reason=None,
            now=clock.now(),
        ),
    )


@pytest.mark.parametrize(
    ("ids", "reason", "field"),
    [([], None, "customer_ids"), (list(range(1, 502)), None, "customer_ids"),
     ([1], "x" * 1001, "reason")],
)  # fmt: skip
def test_bad_input_names_the_field(
    uow: FakeUnitOfWork, clock: FixedClock, ids: list[int], reason: str | None, field: str
) -> None:
    error = refused(
        uow,
        ValidationFailed,
        lambda: move_to_pool(
            uow=uow, actor=ADMIN, customer_ids=ids, to_pool="vip", reason=reason, now=clock.now()
        ),
    )
    assert bad_fields(error) == {field}
