"""Routing tasks through the engine, on the fakes: task rules on task fields and on the
customer's, the customer's owner as target and as fallback, task capacity (weighted by
effort) apart from customer capacity, and what is recorded when a task stays unassigned."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from random import Random
from typing import Any

import pytest

from fenpei.domain.errors import CapacityExceeded, ValidationFailed
from fenpei.domain.rules import RuleSubject
from fenpei.domain.tasks import Task, TaskEventKind
from fenpei.domain.users import SYSTEM
from fenpei.services import org
from fenpei.services.rulebook import RuleBook
from fenpei.services.rules import create_rule, ensure_default_rule
from fenpei.services.tasks.intake import create_and_route
from fenpei.services.tasks.records import TaskInput, create_task, give_task
from fenpei.services.tasks.routing import route_task
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import a_customer, assigned, bad_fields

URGENT = {"field": "task.priority", "op": "eq", "value": "urgent"}


@dataclass
class World:
    east: int
    alice: int  # East, task capacity 2 hours
    bob: int  # East, no task capacity
    carol: int  # no team, task capacity 0


@pytest.fixture
def book() -> RuleBook:
    return RuleBook(RuleSubject.task)


@pytest.fixture
def world(uow: FakeUnitOfWork, clock: FixedClock) -> World:
    def build() -> World:
        now = clock.now()
        east = org.create_team(uow=uow, name="East team", actor=SYSTEM, now=now)

        def rep(name: str, team: int | None, **fields: Any) -> int:
            fields = {"name": name, "team_id": team, **fields}
            return org.create_rep(uow=uow, fields=fields, actor=SYSTEM, now=now).id or 0

        ensure_default_rule(uow=uow, actor=SYSTEM, now=now)
        return World(
            east=east.id or 0,
            alice=rep("Alice", east.id, task_capacity="2"),
            bob=rep("Bob", east.id),
            carol=rep("Carol", None, task_capacity=0),
        )

    return in_transaction(uow, build)


def task_rule(uow: FakeUnitOfWork, clock: FixedClock, **fields: Any) -> int:
    rule = in_transaction(
        uow,
        lambda: create_rule(
            uow=uow,
            fields={"name": "Task rule", "subject": "task", **fields},
            actor=SYSTEM,
            now=clock.now(),
        ),
    )
    return rule.id or 0


def new_task(
    uow: FakeUnitOfWork, clock: FixedClock, book: RuleBook, *, seed: int = 7, **fields: Any
) -> Task:
    """Create a task and route it, in one transaction."""

    def work() -> Task:
        task = create_task(
            uow=uow, actor=SYSTEM, data=TaskInput(**{"title": "Call back", **fields}),
            now=clock.now(),
        )  # fmt: skip
        return route_task(
            uow=uow, task=task, actor=SYSTEM, now=clock.now(), rulebook=book, rng=Random(seed)
        )

    return in_transaction(uow, work)


def test_a_task_rule_on_task_priority_routes_and_explains_by_task_field(
    uow: FakeUnitOfWork, clock: FixedClock, world: World, book: RuleBook
) -> None:
    task_rule(uow, clock, name="Urgent to Bob", priority=10, conditions=URGENT,
              target={"kind": "reps", "rep_ids": [world.bob]})  # fmt: skip
    task_rule(uow, clock, name="Rest to Alice", priority=20,
              target={"kind": "reps", "rep_ids": [world.alice]})  # fmt: skip

    urgent = new_task(uow, clock, book, priority="urgent")
    calm = new_task(uow, clock, book, priority="low")

    assert urgent.assignee_id == world.bob
    assert calm.assignee_id == world.alice
    assert calm.decision is not None
    assert calm.decision["rule_name"] == "Rest to Alice"
    skipped = calm.decision["trace"][0]
    assert skipped["result"] == "no_match"
    assert skipped["failed_condition"] == "task.priority = 'urgent' (was 'low')"
    assert "task.priority = 'urgent' (was 'low')" in calm.decision["text"]


def test_a_task_rule_tests_the_linked_customers_fields(
    uow: FakeUnitOfWork, clock: FixedClock, world: World, book: RuleBook
) -> None:
    task_rule(uow, clock, name="East customers", priority=10,
              conditions={"field": "region", "op": "eq", "value": "East"},
              target={"kind": "team", "team_id": world.east}, strategy="least_loaded")  # fmt: skip
    east = a_customer(uow, clock, "East Co", region="East")
    west = a_customer(uow, clock, "West Co", region="West")

    routed = new_task(uow, clock, book, customer_ids=[east.id])
    unrouted = new_task(uow, clock, book, customer_ids=[west.id])
    alone = new_task(uow, clock, book)

    assert routed.assignee_id in (world.alice, world.bob)
    assert unrouted.assignee_id is None
    assert alone.assignee_id is None
    assert alone.decision is not None
    assert alone.decision["trace"][0]["failed_condition"] == "region = 'East' (was empty)"


def test_the_customers_owner_is_a_target(
    uow: FakeUnitOfWork, clock: FixedClock, world: World, book: RuleBook
) -> None:
    task_rule(uow, clock, name="Owner", priority=10, target={"kind": "customer_owner"})
    customer = a_customer(uow, clock, "Owned Co")
    bob = uow.reps.get(world.bob)
    assert bob is not None
    assigned(uow, clock, customer, bob)

    task = new_task(uow, clock, book, customer_ids=[customer.id])

    assert task.assignee_id == world.bob
    assert task.decision is not None and task.decision["rule_name"] == "Owner"
    history = [e.kind for e in uow.tasks.history(task.id or 0)]
    assert TaskEventKind.assigned in history


def test_without_a_task_rule_the_owner_takes_it_and_customer_rules_are_not_used(
    uow: FakeUnitOfWork, clock: FixedClock, world: World, book: RuleBook
) -> None:
    # A customer rule catching everything must not route tasks.
    in_transaction(uow, lambda: create_rule(
        uow=uow, fields={"name": "All customers to Alice", "priority": 1,
                         "target": {"kind": "reps", "rep_ids": [world.alice]}},
        actor=SYSTEM, now=clock.now()))  # fmt: skip
    customer = a_customer(uow, clock, "Owned Co")
    bob = uow.reps.get(world.bob)
    assert bob is not None
    assigned(uow, clock, customer, bob)

    task = new_task(uow, clock, book, customer_ids=[customer.id])
    orphan = new_task(uow, clock, book)

    assert task.assignee_id == world.bob
    assert task.decision is not None and task.decision["reason_code"] == "customer_owner"
    assert orphan.assignee_id is None
    assert orphan.decision is not None and orphan.decision["reason_code"] == "task_no_owner"


def test_an_owner_without_task_room_leaves_the_task_unassigned_saying_why(
    uow: FakeUnitOfWork, clock: FixedClock, world: World, book: RuleBook
) -> None:
    customer = a_customer(uow, clock, "Carol's Co")
    carol = uow.reps.get(world.carol)
    assert carol is not None
    assigned(uow, clock, customer, carol)

    task = new_task(uow, clock, book, customer_ids=[customer.id])

    assert task.assignee_id is None
    assert task.decision is not None
    assert task.decision["reason_code"] == "task_owner_excluded"
    assert "Carol" in task.decision["text"]
    assert "at capacity: 0/0 open task weight (+1)" in task.decision["text"]


def test_task_capacity_counts_effort_and_is_never_exceeded(
    uow: FakeUnitOfWork, clock: FixedClock, world: World, book: RuleBook
) -> None:
    task_rule(uow, clock, name="Alice first", priority=10, fallback="next_rule",
              target={"kind": "reps", "rep_ids": [world.alice]})  # fmt: skip
    task_rule(uow, clock, name="Then Bob", priority=20,
              target={"kind": "reps", "rep_ids": [world.bob]})  # fmt: skip

    first = new_task(uow, clock, book, effort_hours="1.5")
    second = new_task(uow, clock, book, effort_hours="1")  # 2.5 > 2: not Alice
    third = new_task(uow, clock, book, effort_hours="0.5")  # 2.0 fits exactly

    assert [first.assignee_id, second.assignee_id, third.assignee_id] == [
        world.alice, world.bob, world.alice,
    ]  # fmt: skip
    weights = uow.tasks.open_weights([world.alice])
    assert weights[world.alice] == Decimal("2.00")
    assert second.decision is not None
    excluded = second.decision["exclusions"]
    assert excluded[0]["rep_name"] == "Alice"
    assert excluded[0]["reason"] == "at capacity: 1.5/2 open task weight (+1)"


def test_least_loaded_balances_task_weight_not_customers(
    uow: FakeUnitOfWork, clock: FixedClock, world: World, book: RuleBook
) -> None:
    # Alice holds many customers but no tasks; Bob holds one big task.
    alice = uow.reps.get(world.alice)
    assert alice is not None
    for n in range(3):
        assigned(uow, clock, a_customer(uow, clock, f"Customer {n}"), alice)
    in_transaction(uow, lambda: give_task(
        uow=uow, task=create_task(uow=uow, actor=SYSTEM, data=TaskInput(title="Big",
                                  effort_hours="5"), now=clock.now()),
        rep_id=world.bob, actor=SYSTEM, now=clock.now()))  # fmt: skip
    task_rule(uow, clock, name="East", priority=10, strategy="least_loaded",
              strategy_options={"default_capacity": 10},
              target={"kind": "team", "team_id": world.east})  # fmt: skip

    task = new_task(uow, clock, book, effort_hours="0.5")

    assert task.assignee_id == world.alice
    assert task.decision is not None
    assert task.decision["reason_params"]["open"] == 0
    assert task.decision["reason_params"]["capacity"] == 2


def test_a_team_pool_fallback_leaves_the_task_in_that_teams_queue(
    uow: FakeUnitOfWork, clock: FixedClock, world: World, book: RuleBook
) -> None:
    task_rule(uow, clock, name="Skilled", priority=10, required_skills=["languages:fr"],
              target={"kind": "team", "team_id": world.east}, fallback="team_pool")  # fmt: skip

    task = new_task(uow, clock, book)

    assert task.assignee_id is None
    assert task.team_id == world.east
    assert task.decision is not None and task.decision["outcome"] == "pool"


def test_giving_a_task_by_hand_respects_task_capacity(
    uow: FakeUnitOfWork, clock: FixedClock, world: World
) -> None:
    def give(hours: str) -> Task:
        task = create_task(
            uow=uow,
            actor=SYSTEM,
            data=TaskInput(title="By hand", effort_hours=hours),
            now=clock.now(),
        )
        return give_task(uow=uow, task=task, rep_id=world.alice, actor=SYSTEM, now=clock.now())

    in_transaction(uow, lambda: give("2"))

    with pytest.raises(CapacityExceeded) as refused:
        in_transaction(uow, lambda: give("0.25"))

    assert "2/2 open task weight (+0.25)" in str(refused.value)
    assert uow.tasks.open_weights([world.alice])[world.alice] == Decimal("2.00")


def test_an_escalation_routes_away_from_the_excluded_rep(
    uow: FakeUnitOfWork, clock: FixedClock, world: World, book: RuleBook
) -> None:
    task_rule(uow, clock, name="East", priority=10, strategy="round_robin",
              target={"kind": "team", "team_id": world.east})  # fmt: skip

    def work() -> Task:
        task = create_task(uow=uow, actor=SYSTEM, data=TaskInput(title="Escalated"),
                           now=clock.now())  # fmt: skip
        return route_task(uow=uow, task=task, actor=SYSTEM, now=clock.now(),
                          exclude_rep_ids=[world.alice], rulebook=book, rng=Random(1))  # fmt: skip

    for _ in range(3):
        assert in_transaction(uow, work).assignee_id == world.bob


def test_task_rules_reject_what_they_cannot_read_and_customer_rules_reject_task_fields(
    uow: FakeUnitOfWork, clock: FixedClock, world: World
) -> None:
    def make(**fields: Any) -> object:
        return create_rule(uow=uow, fields={"name": "R", **fields}, actor=SYSTEM, now=clock.now())

    with pytest.raises(ValidationFailed) as customer_rule:
        in_transaction(uow, lambda: make(conditions=URGENT, target={"kind": "customer_owner"}))
    with pytest.raises(ValidationFailed) as task_rule_:
        in_transaction(uow, lambda: make(
            subject="task", target={"kind": "team", "team_id": world.east},
            conditions={"field": "task.priority", "op": "eq", "value": "someday"}))  # fmt: skip
    with pytest.raises(ValidationFailed) as bad_subject:
        in_transaction(uow, lambda: make(subject="lead", target={"kind": "queue"}))

    assert bad_fields(customer_rule.value) == {"conditions.field", "target.kind"}
    assert bad_fields(task_rule_.value) == {"conditions.value"}
    assert bad_fields(bad_subject.value) == {"subject"}


def test_assignee_named_on_creation_is_checked_against_task_capacity(
    uow: FakeUnitOfWork, clock: FixedClock, world: World
) -> None:
    with pytest.raises(CapacityExceeded):
        in_transaction(uow, lambda: create_and_route(
            uow=uow, actor=SYSTEM, data=TaskInput(title="Too big", effort_hours="3"),
            now=clock.now(), assignee_id=world.alice))  # fmt: skip

    assert uow.tasks.open_weights([world.alice])[world.alice] == Decimal(0)
