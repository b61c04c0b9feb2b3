"""The engine routes a task with the same rule language: ``task.*`` fields and the linked
customer's, the customer's owner as target, task capacity as a weighted load, and
explanations that name the task field that failed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from random import Random
from typing import Any

import pytest

from fenpei.domain.customers import Customer
from fenpei.domain.org import Rep
from fenpei.domain.tasks import Task, TaskPriority
from fenpei.engine.capacity import Usage, WeightedLoad
from fenpei.engine.conditions import compile_conditions, parse_conditions
from fenpei.engine.explain import explain
from fenpei.engine.items import TaskItem
from fenpei.engine.model import Outcome, RepState, RoutingRule, Target, TargetKind
from fenpei.engine.router import CompiledRule, RoutingContext, route
from fenpei.engine.task_fields import task_field_catalog

NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
CATALOG = task_field_catalog()


def rule(rule_id: int, conditions: dict[str, Any], target: Target, **fields: Any) -> CompiledRule:
    made = RoutingRule(id=rule_id, name=f"Rule {rule_id}", priority=rule_id,
                       conditions=conditions, target=target, **fields)  # fmt: skip
    return CompiledRule(made, compile_conditions(parse_conditions(conditions, CATALOG)))


def state(rep_id: int, used: str = "0", limit: str | None = None, adding: str = "1") -> RepState:
    return RepState(
        rep=Rep(name=f"Rep {rep_id}", id=rep_id, team_id=1, max_open=0),  # full of customers
        usage=Usage(50),
        weighted=WeightedLoad(Decimal(used), None if limit is None else Decimal(limit),
                              Decimal(adding)),
    )  # fmt: skip


def task(**fields: Any) -> Task:
    return Task(**{"title": "Call back", "created_by": "t", "created_at": NOW, **fields})


def ctx(rules: Sequence[CompiledRule], *reps: RepState) -> RoutingContext:
    return RoutingContext(rules=rules, reps={s.id: s for s in reps})


def test_task_fields_and_customer_fields_route_and_the_failure_names_the_task_field() -> None:
    rules = [
        rule(1, {"all": [{"field": "task.priority", "op": "eq", "value": "urgent"},
                         {"field": "region", "op": "eq", "value": "East"}]},
             Target(TargetKind.reps, rep_ids=(1,))),
        rule(2, {"field": "task.effort_hours", "op": "gte", "value": 4},
             Target(TargetKind.reps, rep_ids=(2,))),
    ]  # fmt: skip
    east = Customer(name="Lead", region="East")

    urgent = route(TaskItem(task(priority=TaskPriority.urgent), east), ctx(rules, state(1),
                   state(2)), now=NOW, rng=Random(1))  # fmt: skip
    big = route(TaskItem(task(effort_hours=Decimal(5)), east), ctx(rules, state(1), state(2)),
                now=NOW, rng=Random(1))  # fmt: skip
    neither = route(TaskItem(task(priority=TaskPriority.low)), ctx(rules, state(1), state(2)),
                    now=NOW, rng=Random(1))  # fmt: skip

    assert (urgent.rep_id, big.rep_id, neither.outcome) == (1, 2, Outcome.queued)
    assert big.trace[0].failed_condition == "task.priority = 'urgent' (was 'medium')"
    assert "task.priority = 'urgent' (was 'low')" in explain(neither)
    assert "task.effort_hours >= 4 (was empty)" in explain(neither)


def test_a_task_without_a_customer_has_every_customer_field_missing() -> None:
    rules = [rule(1, {"field": "tags", "op": "not_in", "value": ["vip"]},
                  Target(TargetKind.reps, rep_ids=(1,)))]  # fmt: skip
    found = route(TaskItem(task()), ctx(rules, state(1)), now=NOW, rng=Random(1))
    assert found.rep_id == 1  # not_in holds for a missing value, as for customers


@pytest.mark.parametrize(
    ("owner", "expected"),
    [(2, 2), (None, None), (9, None)],  # the owner; no owner; an owner who is not a rep here
)
def test_the_customers_owner_is_a_target(owner: int | None, expected: int | None) -> None:
    rules = [rule(1, {}, Target(TargetKind.customer_owner))]
    item = TaskItem(task(), Customer(name="Lead", owner_id=owner))

    found = route(item, ctx(rules, state(1), state(2)), now=NOW, rng=Random(1))

    assert found.rep_id == expected
    if expected is None:
        assert found.trace[0].result == "no_eligible_rep"


def test_task_capacity_excludes_a_rep_whose_open_task_weight_would_exceed_it() -> None:
    rules = [rule(1, {}, Target(TargetKind.team, team_id=1), strategy="least_loaded")]
    full = state(1, used="1.5", limit="2", adding="1")  # 2.5 > 2
    exact = state(2, used="1", limit="2", adding="1")  # 2 = 2: fits

    found = route(TaskItem(task()), ctx(rules, full, exact), now=NOW, rng=Random(1))

    assert found.rep_id == 2
    assert [(e.rep_id, e.reason) for e in found.exclusions] == [
        (1, "at capacity: 1.5/2 open task weight (+1)")
    ]
    assert found.reason_params["open"] == 1 and found.reason_params["capacity"] == 2


def test_least_loaded_weighs_task_hours_against_task_capacity() -> None:
    rules = [rule(1, {}, Target(TargetKind.team, team_id=1), strategy="least_loaded")]
    busy = state(1, used="6", limit="8")  # 75 %
    light = state(2, used="3", limit="3.5")  # 86 %: more hours free on the other

    found = route(TaskItem(task(effort_hours=Decimal("0.5"))), ctx(rules, busy, light),
                  now=NOW, rng=Random(1))  # fmt: skip

    assert found.rep_id == 1
    assert found.candidates[0].score == pytest.approx(0.25)
