"""Routing through the services on the fakes: what each outcome records, the capacity
re-check with its savepoint, dry runs, arrival in one transaction, and the queue.

The seeds' end-to-end scenarios run on real databases in ``tests/integration``; these
cover the paths a database cannot be made to take on demand (a rep filling up between
the read and the lock) and what is, and is not, written for each outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from random import Random
from typing import Any

import pytest

from fenpei.domain.assignments import AssignMethod
from fenpei.domain.custom_fields import CustomField, FieldKind
from fenpei.domain.customers import Customer
from fenpei.domain.errors import Conflict, NotFound, ValidationFailed
from fenpei.domain.rules import DEFAULT_RULE_NAME
from fenpei.domain.users import SYSTEM
from fenpei.engine.explain import explain
from fenpei.engine.model import Decision, Outcome
from fenpei.services import customers, org
from fenpei.services.intake import create_and_route
from fenpei.services.routing import MAX_ATTEMPTS, preview, route_customer
from fenpei.services.routing_batch import route_queued
from fenpei.services.rulebook import RuleBook
from fenpei.services.rules import create_rule, ensure_default_rule, update_rule
from tests.fakes import Commit, FakeUnitOfWork, FixedClock, Store, in_transaction
from tests.services._build import a_customer, a_rep, assigned

EAST = {"field": "region", "op": "eq", "value": "East"}
WEST = {"field": "region", "op": "eq", "value": "West"}


@dataclass
class Org:
    east: int
    west: int
    alice: int  # East
    bob: int  # East
    carol: int  # West, takes one open customer at most
    dan: int  # West, retail expert
    default_rule: int


@pytest.fixture
def rulebook() -> RuleBook:
    return RuleBook()


@pytest.fixture
def world(uow: FakeUnitOfWork, clock: FixedClock) -> Org:
    def build() -> Org:
        now = clock.now()
        east = org.create_team(uow=uow, name="East team", actor=SYSTEM, now=now)
        west = org.create_team(uow=uow, name="West team", actor=SYSTEM, now=now)

        def rep(name: str, team: int | None, **fields: Any) -> int:
            fields = {"name": name, "team_id": team, **fields}
            return org.create_rep(uow=uow, fields=fields, actor=SYSTEM, now=now).id or 0

        return Org(
            east=east.id or 0,
            west=west.id or 0,
            alice=rep("Alice", east.id),
            bob=rep("Bob", east.id),
            carol=rep("Carol", west.id, max_open=1),
            dan=rep("Dan", west.id, skills={"industries": ["retail"]}),
            default_rule=ensure_default_rule(uow=uow, actor=SYSTEM, now=now).id or 0,
        )

    return in_transaction(uow, build)


def add_rule(uow: FakeUnitOfWork, clock: FixedClock, **fields: Any) -> int:
    rule = in_transaction(
        uow,
        lambda: create_rule(
            uow=uow, fields={"name": "Rule", **fields}, actor=SYSTEM, now=clock.now()
        ),
    )
    return rule.id or 0


def routing(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, customer_id: int
) -> Decision:
    """Route in the caller's block, without committing."""
    return route_customer(
        uow=uow,
        rulebook=rulebook,
        customer_id=customer_id,
        actor=SYSTEM,
        now=clock.now(),
        rng=Random(7),
    )


def route(uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, customer_id: int) -> Decision:
    return in_transaction(uow, lambda: routing(uow, clock, rulebook, customer_id))


def actions(uow: FakeUnitOfWork, customer_id: int | None) -> list[str]:
    """The audit actions on a customer, oldest first."""
    found = uow.audit.find(object_type="customer", object_id=str(customer_id))
    return [e.action for e in reversed(found)]


def arrive(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, **fields: Any
) -> tuple[Customer, Decision]:
    customer, decision = in_transaction(
        uow,
        lambda: create_and_route(
            uow=uow,
            rulebook=rulebook,
            fields={"name": "Lead", **fields},
            actor=SYSTEM,
            now=clock.now(),
            rng=Random(7),
        ),
    )
    assert decision is not None
    return customer, decision


def stored(uow: FakeUnitOfWork, customer_id: int | None) -> Customer:
    assert customer_id is not None
    found = uow.customers.get(customer_id)
    assert found is not None
    return found


def deleted(uow: FakeUnitOfWork, clock: FixedClock, customer_id: int) -> None:
    in_transaction(
        uow,
        lambda: customers.delete_customer(
            uow=uow, customer_id=customer_id, actor=SYSTEM, now=clock.now()
        ),
    )


def held_by(rep_id: int | None, customer_id: int, clock: FixedClock) -> Commit:
    """Another transaction's commit: customer ``customer_id``, now held by ``rep_id`` (None:
    by the rep whose lock we were waiting for)."""

    def commit(store: Store, locked_id: int) -> None:
        customer = Customer(
            name=f"Taken meanwhile {customer_id}",
            id=customer_id,
            owner_id=locked_id if rep_id is None else rep_id,
            created_at=clock.now(),
            updated_at=clock.now(),
        )
        store.add(store.customers, customer)

    return commit


# What each outcome records --------------------------------------------------------------


def test_an_assignment_by_rule_records_the_rule_the_strategy_and_the_explanation(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    rule_id = add_rule(uow, clock, conditions=EAST, target={"kind": "team", "team_id": world.east})

    customer, decision = arrive(uow, clock, rulebook, region="East")

    assert decision.outcome is Outcome.assigned and decision.rep_id == world.alice
    [record] = uow.assignments.for_customer(customer.id or 0)
    assert (record.method, record.rule_id, record.strategy) == (
        AssignMethod.rule,
        rule_id,
        "round_robin",
    )
    assert (record.from_rep_id, record.to_rep_id, record.actor) == (None, world.alice, "system")
    assert record.reason == explain(decision)
    assert record.reason.startswith("Alice chosen: rule 'Rule' matched; round robin")
    assert record.explanation["text"] == explain(decision)
    assert record.explanation["outcome"] == "assigned"
    assert record.explanation["rule_id"] == rule_id
    assert [c["rep_name"] for c in record.explanation["candidates"]] == ["Alice", "Bob"]
    saved = stored(uow, customer.id)
    assert (saved.owner_id, saved.team_id, saved.assigned_at) == (
        world.alice,
        world.east,
        clock.now(),
    )
    assert (saved.pool, saved.queue_reason, saved.queued_at) == (None, None, None)
    assert uow.rules.states()[rule_id] == {"last_rep_id": world.alice, "last_rep_name": "Alice"}
    assert actions(uow, customer.id) == ["create", "assign.rule"]


def test_the_rules_cursor_carries_over_between_customers(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    add_rule(uow, clock, conditions=EAST, target={"kind": "team", "team_id": world.east})

    owners = [arrive(uow, clock, rulebook, region="East")[1].rep_id for _ in range(3)]

    assert owners == [world.alice, world.bob, world.alice]


def test_a_pool_outcome_parks_the_customer_and_records_a_move_to_nobody(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    customer, decision = arrive(uow, clock, rulebook, region="North")

    assert (decision.outcome, decision.pool, decision.rule_id) == (
        Outcome.pool,
        "public",
        world.default_rule,
    )
    saved = stored(uow, customer.id)
    assert (saved.owner_id, saved.pool, saved.queue_reason, saved.queued_at) == (
        None,
        "public",
        None,
        None,
    )
    [record] = uow.assignments.for_customer(customer.id or 0)
    assert (record.method, record.to_rep_id, record.rule_id, record.strategy) == (
        AssignMethod.rule,
        None,
        world.default_rule,
        None,
    )
    assert record.explanation["text"] == explain(decision)
    assert explain(decision) == f"rule '{DEFAULT_RULE_NAME}' sends it to pool public"
    assert actions(uow, customer.id) == ["create", "route.pool"]
    assert uow.rules.states()[world.default_rule] == {}


def test_a_queue_outcome_says_why_and_since_when_and_records_no_assignment(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    add_rule(
        uow,
        clock,
        conditions=WEST,
        target={"kind": "reps", "rep_ids": [world.carol]},
        fallback="queue",
    )
    arrive(uow, clock, rulebook, region="West")  # Carol is now full
    queued_at = clock.now()

    waiting, decision = arrive(uow, clock, rulebook, region="West")
    clock.advance(hours=2)
    again = route(uow, clock, rulebook, waiting.id or 0)

    assert decision.outcome is again.outcome is Outcome.queued
    saved = stored(uow, waiting.id)
    assert saved.owner_id is None and saved.pool is None
    assert saved.queue_reason == again.reason
    assert saved.queue_reason == (
        "rule 'Rule': nobody in the target is eligible; queued until someone frees up"
    )
    assert saved.queued_at == queued_at, "a retry keeps the time it was first queued"
    assert uow.assignments.for_customer(waiting.id or 0) == []
    assert actions(uow, waiting.id) == [
        "create",
        "route.queue",
    ]  # a retry for the same reason adds nothing


def test_a_customer_no_rule_can_place_is_queued(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook
) -> None:
    customer = a_customer(uow, clock)

    decision = route(uow, clock, rulebook, customer.id or 0)

    assert decision.outcome is Outcome.queued
    assert stored(uow, customer.id).queue_reason == "no rule could place the customer"


def test_an_owned_customer_is_refused_with_conflict_and_nothing_is_written(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    customer = a_customer(uow, clock, region="East")
    assert customer.id is not None
    rep = uow.reps.get(world.bob)
    assert rep is not None
    assigned(uow, clock, customer, rep)

    with uow:
        before = uow.dump()
        with pytest.raises(Conflict, match="already owned; transfer it instead"):
            routing(uow, clock, rulebook, customer.id)
        assert uow.dump() == before


def test_a_deleted_or_missing_customer_is_not_found(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    customer_id = a_customer(uow, clock).id or 0
    deleted(uow, clock, customer_id)

    for missing in (customer_id, 404):
        with uow, pytest.raises(NotFound):
            routing(uow, clock, rulebook, missing)


def test_locks_are_taken_customer_then_rule_state_then_rep(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    rule_id = add_rule(uow, clock, target={"kind": "reps", "rep_ids": [world.bob]})
    customer_id = a_customer(uow, clock).id or 0

    route(uow, clock, rulebook, customer_id)

    assert uow.locked[:3] == [
        ("customer", customer_id),
        ("routing_state", rule_id),
        ("rep", world.bob),
    ]


# The capacity re-check -------------------------------------------------------------------


def test_a_rep_filled_after_the_loads_were_read_is_undone_and_the_next_rep_chosen(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    rule_id = add_rule(uow, clock, conditions=WEST, target={"kind": "team", "team_id": world.west})
    customer_id = a_customer(uow, clock, region="West").id or 0
    # While we wait for Carol's lock, another transaction gives her a customer: her one slot.
    uow.meanwhile("rep", held_by(world.carol, 900, clock), row_id=world.carol)

    with uow:
        before = uow.dump()
        decision = routing(uow, clock, rulebook, customer_id)
        uow.commit()

    assert uow.savepoint_rollbacks == 1
    assert decision.rep_id == world.dan
    assert ("Carol", "at capacity: 1/1 open customers") in [
        (e.rep_name, e.reason) for e in decision.exclusions
    ]
    assert uow.locked == [
        ("customer", customer_id),
        ("routing_state", rule_id),
        ("rep", world.carol),  # full: back to the savepoint
        ("customer", customer_id),
        ("routing_state", rule_id),
        ("rep", world.dan),
    ]
    # Nothing of the first attempt is left: one record, one audit entry, Dan's cursor.
    [record] = uow.assignments.for_customer(customer_id)
    assert record.to_rep_id == world.dan
    assert stored(uow, customer_id).owner_id == world.dan
    assert uow.rules.states()[rule_id] == {"last_rep_id": world.dan, "last_rep_name": "Dan"}
    after = uow.dump()
    assert after["customers"][900]["owner_id"] == world.carol  # the other commit stands
    new_audit = set(after["audit_log"]) - set(before["audit_log"])
    assert [after["audit_log"][i]["action"] for i in sorted(new_audit)] == ["assign.rule"]
    assert set(after["assignments"]) - set(before["assignments"]) == {record.id}


def test_least_loaded_weighs_what_was_committed_while_it_waited_for_the_rule(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    bob = uow.reps.get(world.bob)
    assert bob is not None
    with uow:  # Bob works all day Monday: not a plainly available rep, fully checked
        bob.working_hours = {"mon": [["00:00", "24:00"]]}
        uow.commit()
    rule_id = add_rule(
        uow,
        clock,
        conditions=EAST,
        target={"kind": "team", "team_id": world.east},
        strategy="least_loaded",
    )
    customer_id = a_customer(uow, clock, region="East").id or 0
    # Both hold nothing when the loads are first read; while this decision waits for the
    # rule, another one commits and gives Alice a customer.
    uow.meanwhile("routing_state", held_by(world.alice, 900, clock), row_id=rule_id)

    with uow:
        decision = routing(uow, clock, rulebook, customer_id)
        uow.commit()

    assert decision.rep_id == world.bob
    assert stored(uow, customer_id).owner_id == world.bob


def test_a_rule_whose_reps_filled_while_it_waited_gives_way_to_the_next_rule(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    with uow:
        for rep_id in (world.alice, world.bob):
            rep = uow.reps.get(rep_id)
            assert rep is not None
            rep.max_open = 1
        uow.commit()
    rule_id = add_rule(
        uow,
        clock,
        conditions=EAST,
        target={"kind": "team", "team_id": world.east},
        strategy="least_loaded",
    )
    customer_id = a_customer(uow, clock, region="East").id or 0

    def both_filled(store: Store, locked_id: int) -> None:
        held_by(world.alice, 900, clock)(store, locked_id)
        held_by(world.bob, 901, clock)(store, locked_id)

    uow.meanwhile("routing_state", both_filled, row_id=rule_id)

    with uow:
        decision = routing(uow, clock, rulebook, customer_id)
        uow.commit()

    # Undone and tried again: the default rule now places it.
    assert uow.savepoint_rollbacks == 1
    assert decision.outcome is Outcome.pool and decision.rule_id != rule_id


def test_the_customer_created_in_the_same_transaction_survives_a_retry(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    add_rule(uow, clock, conditions=WEST, target={"kind": "team", "team_id": world.west})
    uow.meanwhile("rep", held_by(world.carol, 900, clock), row_id=world.carol)

    customer, decision = arrive(uow, clock, rulebook, name="New", region="West")

    assert uow.savepoint_rollbacks == 1 and decision.rep_id == world.dan
    assert customer.owner_id == world.dan, "the caller's object is the stored customer"
    assert stored(uow, customer.id).name == "New"


def test_reps_that_keep_filling_up_end_in_conflict_with_nothing_written(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook
) -> None:
    team = in_transaction(
        uow, lambda: org.create_team(uow=uow, name="Busy", actor=SYSTEM, now=clock.now())
    )
    for i in range(MAX_ATTEMPTS + 1):
        a_rep(uow, clock, f"Rep {i}", team_id=team.id, max_open=1)
    add_rule(uow, clock, target={"kind": "team", "team_id": team.id})
    customer_id = a_customer(uow, clock).id or 0
    for i in range(MAX_ATTEMPTS):
        uow.meanwhile("rep", held_by(None, 900 + i, clock))  # whoever we lock fills up first

    with uow:
        before = uow.dump()
        with pytest.raises(Conflict, match="reps kept filling up while routing; try again"):
            routing(uow, clock, rulebook, customer_id)
        after = uow.dump()

    assert uow.savepoint_rollbacks == MAX_ATTEMPTS
    assert sorted(set(after["customers"]) - set(before["customers"])) == [900, 901, 902, 903, 904]
    assert {k: v for k, v in after.items() if k != "customers"} == {
        k: v for k, v in before.items() if k != "customers"
    }
    assert after["customers"][customer_id] == before["customers"][customer_id]


# Dry runs and arrival ----------------------------------------------------------------


def test_preview_explains_without_writing_or_locking(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    add_rule(uow, clock, conditions=EAST, target={"kind": "team", "team_id": world.east})

    with uow:
        before = uow.dump()
        first, second = (
            preview(
                uow=uow,
                rulebook=rulebook,
                fields={"name": "X", "region": "East"},
                now=clock.now(),
                rng=Random(1),
            )
            for _ in range(2)
        )
        assert uow.dump() == before
        assert uow.locked == []

    assert first.rep_id == second.rep_id == world.alice  # the cursor did not move
    assert first.state_after == {"last_rep_id": world.alice, "last_rep_name": "Alice"}


def test_preview_refuses_bad_fields_by_name(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    with uow, pytest.raises(ValidationFailed) as caught:
        preview(
            uow=uow, rulebook=rulebook, fields={"email": "nope"}, now=clock.now(), rng=Random(1)
        )

    assert {e.field for e in caught.value.errors} == {"name", "email"}


def test_create_and_route_is_one_transaction_the_caller_commits(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    add_rule(uow, clock, conditions=EAST, target={"kind": "team", "team_id": world.east})
    commits = uow.commits

    with uow:
        customer, decision = create_and_route(
            uow=uow,
            rulebook=rulebook,
            fields={"name": "Lead", "region": "East"},
            actor=SYSTEM,
            now=clock.now(),
            rng=Random(1),
        )
        assert decision is not None and decision.rep_id == world.alice
        assert uow.commits == commits  # nothing committed inside

    assert uow.customers.get(customer.id or 0) is None, "uncommitted: all of it is gone"
    assert uow.assignments.for_customer(customer.id or 0) == []


def test_create_without_routing_leaves_the_customer_unowned_and_unqueued(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    customer, decision = in_transaction(
        uow,
        lambda: create_and_route(
            uow=uow,
            rulebook=rulebook,
            fields={"name": "Later"},
            actor=SYSTEM,
            now=clock.now(),
            rng=Random(1),
            route=False,
        ),
    )

    assert decision is None
    saved = stored(uow, customer.id)
    assert (saved.owner_id, saved.pool, saved.queued_at) == (None, None, None)


# What routing reads -------------------------------------------------------------------


def test_closed_and_deleted_customers_do_not_count_toward_load(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    add_rule(
        uow,
        clock,
        conditions=EAST,
        target={"kind": "team", "team_id": world.east},
        strategy="least_loaded",
    )
    alice, bob = uow.reps.get(world.alice), uow.reps.get(world.bob)
    assert alice is not None and bob is not None
    for stage in ("won", "lost", "new"):
        assigned(uow, clock, a_customer(uow, clock, stage=stage), alice)
    for _ in range(2):
        gone = a_customer(uow, clock)
        assigned(uow, clock, gone, bob)
        deleted(uow, clock, gone.id or 0)

    loads = uow.routing.loads(now=clock.now())
    _, decision = arrive(uow, clock, rulebook, region="East")

    assert (loads[world.alice].usage.open_count, loads[world.bob].usage.open_count) == (1, 0)
    assert loads[world.alice].usage.received_day == 3
    assert decision.rep_id == world.bob


def test_value_balancing_weighs_the_expected_value_of_open_customers(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    add_rule(
        uow,
        clock,
        conditions=EAST,
        target={"kind": "team", "team_id": world.east},
        strategy="value_balanced",
    )
    alice, bob = uow.reps.get(world.alice), uow.reps.get(world.bob)
    assert alice is not None and bob is not None
    assigned(uow, clock, a_customer(uow, clock, expected_value="50000"), alice)
    for _ in range(3):
        assigned(uow, clock, a_customer(uow, clock, expected_value="1000"), bob)

    _, decision = arrive(uow, clock, rulebook, region="East")

    assert uow.routing.loads(now=clock.now())[world.bob].open_value == Decimal("3000.00")
    assert decision.rep_id == world.bob


def test_a_rep_on_leave_is_excluded_until_the_leave_ends(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    add_rule(
        uow,
        clock,
        conditions=EAST,
        target={"kind": "reps", "rep_ids": [world.alice]},
        fallback="queue",
    )
    back = clock.now() + timedelta(hours=2)
    in_transaction(
        uow,
        lambda: org.add_leave(
            uow=uow,
            rep_id=world.alice,
            starts_at=clock.now(),
            ends_at=back,
            actor=SYSTEM,
            now=clock.now(),
        ),
    )

    waiting, during = arrive(uow, clock, rulebook, region="East")
    clock.at = back
    after = route(uow, clock, rulebook, waiting.id or 0)

    assert during.outcome is Outcome.queued
    assert during.exclusions[0].reason == "on leave until 2026-11-02 19:30"  # Shanghai time
    assert after.rep_id == world.alice


def test_an_account_owner_rule_gives_a_returning_company_to_its_owner(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    add_rule(uow, clock, target={"kind": "account_owner"})
    dan = uow.reps.get(world.dan)
    assert dan is not None
    known = a_customer(uow, clock, company_name="Acme Ltd", email="li@acme.com")
    assigned(uow, clock, known, dan)

    by_company = arrive(uow, clock, rulebook, company_name="ACME LTD ")[1]
    by_domain = arrive(uow, clock, rulebook, email="wang@Acme.com")[1]
    stranger = arrive(uow, clock, rulebook, company_name="Other", email="x@other.com")[1]

    assert by_company.rep_id == by_domain.rep_id == world.dan
    assert stranger.outcome is Outcome.pool
    assert stranger.trace[0].failed_condition == "no existing account matches"


def test_the_most_recent_owner_of_an_account_wins(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    add_rule(uow, clock, target={"kind": "account_owner", "match_on": ["phone"]})
    for rep_id in (world.alice, world.bob):
        rep = uow.reps.get(rep_id)
        assert rep is not None
        assigned(uow, clock, a_customer(uow, clock, phone="13800138000"), rep)
        clock.advance(minutes=1)

    decision = arrive(uow, clock, rulebook, phone="+86 138 0013 8000")[1]

    assert decision.rep_id == world.bob


@pytest.mark.parametrize(
    ("known", "arriving"),
    [
        pytest.param({"phone": "138-0013-8000"}, {"phone": "13800138000"}, id="phone"),
        pytest.param({"company_name": "Straße GmbH"}, {"company_name": "Straße GmbH"},
                     id="company"),
    ],
)  # fmt: skip
def test_an_account_is_recognised_whatever_the_formatting(
    uow: FakeUnitOfWork,
    clock: FixedClock,
    rulebook: RuleBook,
    world: Org,
    known: dict[str, str],
    arriving: dict[str, str],
) -> None:
    add_rule(uow, clock, target={"kind": "account_owner"})
    dan = uow.reps.get(world.dan)
    assert dan is not None
    assigned(uow, clock, a_customer(uow, clock, **known), dan)

    assert arrive(uow, clock, rulebook, **arriving)[1].rep_id == world.dan


def test_rules_the_index_skips_are_counted_in_the_stored_explanation(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    add_rule(
        uow,
        clock,
        name="West",
        priority=1,
        conditions=WEST,
        target={"kind": "reps", "rep_ids": [world.dan]},
    )
    add_rule(
        uow,
        clock,
        name="East",
        priority=2,
        conditions=EAST,
        target={"kind": "reps", "rep_ids": [world.bob]},
    )

    customer, decision = arrive(uow, clock, rulebook, region="East")

    assert decision.rules_skipped == 1
    [record] = uow.assignments.for_customer(customer.id or 0)
    assert record.explanation["rules_skipped"] == 1
    assert [t["rule_name"] for t in record.explanation["trace"]] == ["East"]


def test_the_rulebook_compiles_each_rule_version_once(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    rule_id = add_rule(uow, clock, conditions=EAST, target={"kind": "queue"})

    with uow:
        first = rulebook.compile(uow, uow.rules.active())
        again = rulebook.compile(uow, uow.rules.active())
    in_transaction(
        uow,
        lambda: update_rule(
            uow=uow, rule_id=rule_id, fields={"name": "East 2"}, actor=SYSTEM, now=clock.now()
        ),
    )
    with uow:
        changed = rulebook.compile(uow, uow.rules.active())
    in_transaction(
        uow,
        lambda: uow.custom_fields.add(CustomField(key="tier", label="Tier", kind=FieldKind.text)),
    )
    with uow:
        new_fields = rulebook.compile(uow, uow.rules.active())

    assert first[0] is again[0]
    assert changed[0] is not first[0] and changed[0].rule.name == "East 2"
    assert new_fields[0] is not changed[0]


# The queue ----------------------------------------------------------------------------


def queue_three_for_carol(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> tuple[Customer, list[Customer]]:
    add_rule(
        uow,
        clock,
        conditions=WEST,
        target={"kind": "reps", "rep_ids": [world.carol]},
        fallback="queue",
    )
    first, _ = arrive(uow, clock, rulebook, region="West")
    waiting = []
    for _ in range(3):
        clock.advance(minutes=1)
        waiting.append(arrive(uow, clock, rulebook, region="West")[0])
    first_id = first.id or 0
    in_transaction(
        uow,
        lambda: customers.update_customer(
            uow=uow, customer_id=first_id, fields={"stage": "won"}, actor=SYSTEM, now=clock.now()
        ),
    )
    return first, waiting


def test_the_queue_is_retried_oldest_first_in_one_batch_transaction(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    _, waiting = queue_three_for_carol(uow, clock, rulebook, world)
    assert uow.routing.queued_customer_ids(limit=10) == [c.id for c in waiting]
    commits = uow.commits
    seen: list[tuple[int, int]] = []

    outcomes = route_queued(
        uow_factory=lambda: uow,
        rulebook=rulebook,
        actor=SYSTEM,
        now=clock.now,
        rng=Random(1),
        progress=lambda done, total: seen.append((done, total)),
    )

    assert outcomes == {"assigned": 1, "pool": 0, "queued": 2}
    assert uow.commits == commits + 1  # one batch of three
    assert seen == [(3, 3)]
    assert [stored(uow, c.id).owner_id for c in waiting] == [world.carol, None, None]
    assert uow.routing.queued_customer_ids(limit=10) == [c.id for c in waiting[1:]]


def test_the_queue_limit_takes_the_oldest(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    _, waiting = queue_three_for_carol(uow, clock, rulebook, world)

    assert uow.routing.queued_customer_ids(limit=2) == [c.id for c in waiting[:2]]


def test_a_queued_customer_taken_meanwhile_is_skipped_and_the_rest_go_on(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    _, waiting = queue_three_for_carol(uow, clock, rulebook, world)
    taken = waiting[0].id or 0

    def taken_by_dan(store: Store, customer_id: int) -> None:
        store.customers.rows[customer_id].owner_id = world.dan

    uow.meanwhile("customer", taken_by_dan, row_id=taken)

    outcomes = route_queued(
        uow_factory=lambda: uow, rulebook=rulebook, actor=SYSTEM, now=clock.now, rng=Random(1)
    )

    assert outcomes == {"assigned": 1, "pool": 0, "queued": 1}
    assert [stored(uow, c.id).owner_id for c in waiting] == [world.dan, world.carol, None]


def test_progress_reaches_the_total_even_when_the_last_customer_is_skipped(
    uow: FakeUnitOfWork, clock: FixedClock, rulebook: RuleBook, world: Org
) -> None:
    _, waiting = queue_three_for_carol(uow, clock, rulebook, world)
    last = waiting[-1].id or 0
    seen: list[tuple[int, int]] = []

    def delete_last(store: Store, _: int) -> None:
        store.customers.rows[last].deleted_at = clock.now()

    # The queued ids are read first; the last one is deleted while the first is routed.
    uow.meanwhile("customer", delete_last, row_id=waiting[0].id or 0)
    route_queued(
        uow_factory=lambda: uow,
        rulebook=rulebook,
        actor=SYSTEM,
        now=clock.now,
        rng=Random(1),
        progress=lambda done, total: seen.append((done, total)),
    )

    assert seen[-1] == (3, 3)
