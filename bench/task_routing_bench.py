"""Routing a task against routing a customer, in the engine alone: one team of 500 reps,
one least-loaded rule, the same decisions made for customers and for tasks (whose reps
carry a task load). Printed as time per decision and the task/customer ratio, so the
generalisation's cost (the item's getters, the weighted load) shows as a number near 1.

`python -m bench --only tasks`
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from random import Random

from fenpei.domain.customers import Customer
from fenpei.domain.org import Rep
from fenpei.domain.tasks import Task, TaskPriority
from fenpei.engine.capacity import Usage, WeightedLoad
from fenpei.engine.conditions import compile_conditions, parse_conditions
from fenpei.engine.fields import FieldSpec, field_catalog
from fenpei.engine.items import TaskItem
from fenpei.engine.model import RepState, RoutingRule, Target, TargetKind
from fenpei.engine.router import CompiledRule, RoutingContext, route
from fenpei.engine.task_fields import task_field_catalog

REPS = 500
DECISIONS = 2_000
NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


def _rule(conditions: dict[str, object], catalog: Mapping[str, FieldSpec]) -> CompiledRule:
    team = Target(TargetKind.team, team_id=1)
    made = RoutingRule(
        id=1, name="Team", priority=10, conditions=conditions, target=team, strategy="least_loaded"
    )
    return CompiledRule(made, compile_conditions(parse_conditions(conditions, catalog)))


def _time(items: list[object], ctx: RoutingContext) -> float:
    rng = Random(1)
    start = time.perf_counter()
    for item in items:
        route(item, ctx, now=NOW, rng=rng)  # type: ignore[arg-type]
    return (time.perf_counter() - start) / len(items)


def run() -> None:
    draw = Random(7)
    reps = [Rep(name=f"Rep {i}", id=i, team_id=1, max_open=50, task_capacity=Decimal(40))
            for i in range(1, REPS + 1)]  # fmt: skip
    loads = [draw.randint(0, 49) for _ in reps]
    customer_states = {r.id or 0: RepState(r, Usage(n)) for r, n in zip(reps, loads, strict=True)}
    task_states = {
        r.id or 0: RepState(r, Usage(0), weighted=WeightedLoad(Decimal(n) / 2, Decimal(40)))
        for r, n in zip(reps, loads, strict=True)
    }
    region = {"field": "region", "op": "eq", "value": "East"}
    urgent = {"all": [region, {"field": "task.priority", "op": "in", "value": ["urgent", "high"]}]}
    customers: list[object] = [Customer(name=f"C{i}", region="East") for i in range(DECISIONS)]
    tasks: list[object] = [
        TaskItem(Task(title=f"T{i}", created_by="bench", created_at=NOW,
                      priority=TaskPriority.urgent), Customer(name=f"C{i}", region="East"))
        for i in range(DECISIONS)
    ]  # fmt: skip
    per_customer = _time(
        customers, RoutingContext([_rule(region, field_catalog())], customer_states)
    )
    per_task = _time(tasks, RoutingContext([_rule(urgent, task_field_catalog())], task_states))
    print(f"task routing, {REPS} reps, least loaded, {DECISIONS} decisions each (engine only)")
    print(f"  customer: {per_customer * 1e3:8.3f} ms/decision")
    print(f"  task:     {per_task * 1e3:8.3f} ms/decision")
    print(f"  task / customer: {per_task / per_customer:5.2f}x")


if __name__ == "__main__":
    run()
