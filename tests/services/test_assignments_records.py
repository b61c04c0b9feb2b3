"""What assignment by hand records and says: the explanation stored with each record,
whether a request was replayed, and the exact words and bounds of each refusal.

``test_assignments.py`` holds the outcomes (who owns what, capacity, transfers); these
pin what is written beside them and what a caller is told."""

from __future__ import annotations

from functools import partial
from random import Random
from typing import Any

import pytest

from fenpei.domain.customers import Customer
from fenpei.domain.errors import (
    CapacityExceeded,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from fenpei.domain.org import Rep
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services import org
from fenpei.services.assignments import (
    MAX_BULK_CUSTOMERS,
    MAX_SPREAD_REPS,
    assign,
    assign_once,
    bulk_assign,
    history,
)
from fenpei.services.intake import create_and_route
from fenpei.services.rulebook import RuleBook
from fenpei.services.rules import create_rule
from fenpei.services.users import create_user
from tests.fakes import FakeHasher, FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import a_customer, a_rep, assigned, message_for, refused

ALICE = Actor("alice", Role.admin)
REP_USER = Actor("lin", Role.rep, user_id=8, rep_id=1)


def once(
    uow: FakeUnitOfWork, clock: FixedClock, customer: Customer, rep: Rep, **options: Any
) -> tuple[Any, bool]:
    return assign_once(
        uow=uow,
        customer_id=customer.id or 0,
        rep_id=rep.id or 0,
        actor=options.pop("actor", ALICE),
        now=clock.now(),
        **options,
    )


def bulk(
    uow: FakeUnitOfWork,
    clock: FixedClock,
    customer_ids: list[int],
    rep_ids: list[int],
    *,
    actor: Actor = ALICE,
    **options: Any,
) -> list[Any]:
    return bulk_assign(
        uow=uow,
        customer_ids=customer_ids,
        rep_ids=rep_ids,
        actor=actor,
        now=clock.now(),
        **options,
    )


def ids(*rows: Customer | Rep) -> list[int]:
    return [row.id or 0 for row in rows]


# What is recorded ---------------------------------------------------------------------


def test_a_manual_assignment_explains_the_reps_usage_and_every_limit(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock, max_open=10, max_per_day=4, max_per_week=12, max_per_month=40)
    assigned(uow, clock, a_customer(uow, clock, "Earlier"), rep)
    customer = a_customer(uow, clock)

    record, replayed = in_transaction(uow, lambda: once(uow, clock, customer, rep))

    assert replayed is False
    assert record.explanation == {
        "kind": "manual",
        "chosen": "Wang Fang",
        "usage_before": {"open": 1, "day": 1, "week": 1, "month": 1},
        "capacity": {"open": 10, "day": 4, "week": 12, "month": 40},
        "override": None,
    }


def test_a_bulk_assignment_explains_each_choice_with_the_batch_it_was_part_of(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    wang = a_rep(uow, clock, max_open=5, max_per_day=3)
    zhao = a_rep(uow, clock, "Zhao Min")
    assigned(uow, clock, a_customer(uow, clock, "Earlier"), wang)
    customers = [a_customer(uow, clock, f"Customer {n}") for n in range(2)]

    first, second = in_transaction(
        uow, lambda: bulk(uow, clock, ids(*customers), ids(wang, zhao), reason="rebalance")
    )

    assert first.explanation == {
        "kind": "bulk",
        "chosen": "Wang Fang",
        "batch_size": 2,
        "spread_over": ["Wang Fang", "Zhao Min"],
        "usage_before": {"open": 1, "day": 1, "week": 1, "month": 1},
        "capacity": {"open": 5, "day": 3, "week": None, "month": None},
        "override": None,
        "transfer": False,
    }
    assert (second.explanation["chosen"], second.explanation["usage_before"]) == (
        "Zhao Min",
        {"open": 0, "day": 0, "week": 0, "month": 0},
    )


def test_an_assignment_by_rule_is_never_a_capacity_override(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock)
    in_transaction(
        uow,
        lambda: create_rule(
            uow=uow,
            fields={"name": "All", "target": {"kind": "reps", "rep_ids": [rep.id]}},
            actor=SYSTEM,
            now=clock.now(),
        ),
    )

    customer, _ = in_transaction(
        uow,
        lambda: create_and_route(
            uow=uow,
            rulebook=RuleBook(),
            fields={"name": "Lead"},
            actor=SYSTEM,
            now=clock.now(),
            rng=Random(1),
        ),
    )

    [record] = uow.assignments.for_customer(customer.id or 0)
    assert (record.to_rep_id, record.capacity_override) == (rep.id, False)


def test_assign_once_says_whether_the_request_was_replayed(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep, customer = a_rep(uow, clock), a_customer(uow, clock)

    first, replayed_first = in_transaction(
        uow, lambda: once(uow, clock, customer, rep, idempotency_key="req-1")
    )
    again, replayed_again = in_transaction(
        uow, lambda: once(uow, clock, customer, rep, idempotency_key="req-1")
    )

    assert (replayed_first, replayed_again) == (False, True)
    assert again.id == first.id


def test_the_bulk_load_read_covers_the_chosen_reps_only(
    uow: FakeUnitOfWork, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen = a_rep(uow, clock)
    a_rep(uow, clock, "Zhao Min")  # not chosen
    customer = a_customer(uow, clock)
    asked: list[Any] = []
    real = uow.routing.loads

    def spy(**kwargs: Any) -> Any:
        asked.append(kwargs.get("rep_ids"))
        return real(**kwargs)

    monkeypatch.setattr(uow.routing, "loads", spy)

    in_transaction(uow, lambda: bulk(uow, clock, ids(customer), ids(chosen)))

    assert asked == [[chosen.id]]


# What a caller is told ------------------------------------------------------------------


def test_only_admins_and_managers_may_assign_and_the_refusal_says_so(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep, customer = a_rep(uow, clock), a_customer(uow, clock)
    words = "only an admin or a manager may assign customers"

    alone = refused(uow, PermissionDenied, lambda: once(uow, clock, customer, rep, actor=REP_USER))
    many = refused(
        uow, PermissionDenied, lambda: bulk(uow, clock, ids(customer), ids(rep), actor=REP_USER)
    )

    assert str(alone) == str(many) == words


def test_an_idempotency_key_may_be_1_to_200_characters(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep, customer = a_rep(uow, clock), a_customer(uow, clock)

    for key in ("", "k" * 201):
        error = refused(
            uow,
            ValidationFailed,
            partial(once, uow, clock, customer, rep, idempotency_key=key),
        )
        assert message_for(error, "idempotency_key") == "must be 1 to 200 characters"
    record, _ = in_transaction(
        uow, lambda: once(uow, clock, customer, rep, idempotency_key="k" * 200)
    )
    assert record.idempotency_key == "k" * 200


def test_a_missing_customer_is_named_by_its_id(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    rep = a_rep(uow, clock)

    by_assign = refused(
        uow,
        NotFound,
        lambda: assign(uow=uow, customer_id=404, rep_id=rep.id or 0, actor=ALICE, now=clock.now()),
    )
    by_history = refused(uow, NotFound, lambda: history(uow=uow, customer_id=404, actor=ALICE))
    by_bulk = refused(uow, NotFound, lambda: bulk(uow, clock, [404], ids(rep)))

    assert str(by_assign) == str(by_history) == str(by_bulk) == "customer 404 not found"


def test_a_missing_rep_in_bulk_is_named_by_its_id(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    rep, customer = a_rep(uow, clock), a_customer(uow, clock)

    error = refused(uow, NotFound, lambda: bulk(uow, clock, ids(customer), [*ids(rep), 404]))

    assert str(error) == "rep 404 not found"


def test_giving_a_customer_to_its_owner_names_the_owner(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep, customer = a_rep(uow, clock), a_customer(uow, clock)
    assigned(uow, clock, customer, rep)

    alone = refused(uow, Conflict, lambda: once(uow, clock, customer, rep, reason="again"))
    many = refused(uow, Conflict, lambda: bulk(uow, clock, ids(customer), ids(rep), reason="again"))

    assert str(alone) == f"customer {customer.id} is already owned by Wang Fang"
    assert str(many) == f"customer {customer.id} is already owned by the only chosen rep"


def test_capacity_is_only_overridden_when_asked(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    rep = a_rep(uow, clock, max_open=1)
    assigned(uow, clock, a_customer(uow, clock, "Earlier"), rep)
    customer = a_customer(uow, clock)

    alone = refused(uow, CapacityExceeded, lambda: once(uow, clock, customer, rep))
    many = refused(uow, CapacityExceeded, lambda: bulk(uow, clock, ids(customer), ids(rep)))

    assert "1/1 open customers" in str(alone) and "1/1 open customers" in str(many)


def test_a_bulk_request_says_what_it_lacks(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    rep, customer = a_rep(uow, clock), a_customer(uow, clock)

    no_customers = refused(uow, ValidationFailed, lambda: bulk(uow, clock, [], ids(rep)))
    no_reps = refused(uow, ValidationFailed, lambda: bulk(uow, clock, ids(customer), []))

    assert message_for(no_customers, "customer_ids") == "choose at least one customer"
    assert message_for(no_reps, "rep_ids") == "choose at least one rep"


def test_a_bulk_request_takes_up_to_5000_customers_and_200_reps(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep, customer = a_rep(uow, clock), a_customer(uow, clock)
    unknown_customers = list(range(1000, 1000 + MAX_BULK_CUSTOMERS + 1))
    unknown_reps = list(range(1000, 1000 + MAX_SPREAD_REPS + 1))

    # At the bound, the request is looked at (and its unknown ids named); past it, refused.
    refused(uow, NotFound, lambda: bulk(uow, clock, unknown_customers[:-1], ids(rep)))
    refused(uow, NotFound, lambda: bulk(uow, clock, ids(customer), unknown_reps[:-1]))
    too_many_customers = refused(
        uow, ValidationFailed, lambda: bulk(uow, clock, unknown_customers, ids(rep))
    )
    too_many_reps = refused(
        uow, ValidationFailed, lambda: bulk(uow, clock, ids(customer), unknown_reps)
    )

    assert message_for(too_many_customers, "customer_ids") == (
        "chose 5001 customers; at most 5000 at once"
    )
    assert message_for(too_many_reps, "rep_ids") == "chose 201 reps; at most 200 at once"


def test_a_manager_bulk_assigns_within_their_teams_only(
    uow: FakeUnitOfWork, clock: FixedClock, hasher: FakeHasher
) -> None:
    user = in_transaction(
        uow,
        lambda: create_user(
            uow=uow,
            hasher=hasher,
            username="mia",
            password="long enough password",
            role=Role.manager,
            actor=SYSTEM,
            now=clock.now(),
        ),
    )
    mia = Actor("mia", Role.manager, user_id=user.id)
    east, west = (
        in_transaction(
            uow,
            partial(
                org.create_team,
                uow=uow,
                name=name,
                manager_user_id=manager,
                actor=SYSTEM,
                now=clock.now(),
            ),
        )
        for name, manager in (("East", user.id), ("West", None))
    )
    wang = a_rep(uow, clock, team_id=east.id)
    zhao = a_rep(uow, clock, "Zhao Min", team_id=east.id)
    chen = a_rep(uow, clock, "Chen Jing", team_id=west.id)
    ours, theirs = a_customer(uow, clock, "Ours"), a_customer(uow, clock, "Theirs")
    assigned(uow, clock, ours, wang)
    assigned(uow, clock, theirs, chen)

    outside_customer = refused(
        uow,
        NotFound,
        lambda: bulk(uow, clock, ids(ours, theirs), ids(zhao), actor=mia, reason="rebalance"),
    )
    outside_rep = refused(
        uow,
        NotFound,
        lambda: bulk(uow, clock, ids(ours), ids(zhao, chen), actor=mia, reason="rebalance"),
    )
    [record] = in_transaction(
        uow, lambda: bulk(uow, clock, ids(ours), ids(zhao), actor=mia, reason="rebalance")
    )

    assert str(outside_customer) == f"customer {theirs.id} not found"
    assert str(outside_rep) == f"rep {chen.id} not found"
    assert (record.from_rep_id, record.to_rep_id, record.actor) == (wang.id, zhao.id, "mia")
