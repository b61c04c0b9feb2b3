"""Generalising the engine to tasks changed nothing for customers: for random customers,
rule books and sales teams, today's engine decides exactly as the engine frozen at
commit a29a49e did (``tests._engine_a29a49e``) — the same outcome, rep, rule, trace,
candidates and scores, exclusions, reasons, strategy state, and the same sentence.

Both engines get the same plain inputs (JSON rules, domain customers and reps); each
builds its own model objects from them, so nothing of today's engine leaks into the
reference.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from random import Random
from types import ModuleType
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import tests._engine_a29a49e.capacity as old_capacity
import tests._engine_a29a49e.conditions as old_conditions
import tests._engine_a29a49e.explain as old_explain
import tests._engine_a29a49e.fields as old_fields
import tests._engine_a29a49e.model as old_model
import tests._engine_a29a49e.router as old_router
import tests._engine_a29a49e.rule_index as old_rule_index
from fenpei.domain.customers import Customer
from fenpei.domain.org import Leave, Rep
from fenpei.engine import capacity as new_capacity
from fenpei.engine import conditions as new_conditions
from fenpei.engine import explain as new_explain
from fenpei.engine import fields as new_fields
from fenpei.engine import model as new_model
from fenpei.engine import router as new_router
from fenpei.engine import rule_index as new_rule_index

NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # a Monday, 10:00 in Shanghai
REGIONS = ("East", "West", "North", None)
LEVELS = ("A", "B", "C", None)
INDUSTRIES = ("retail", "tech", None)
STRATEGIES = (
    "round_robin",
    "weighted_round_robin",
    "least_loaded",
    "random",
    "value_balanced",
    "best_match",
)


@dataclass(frozen=True)
class Engine:
    """One engine's modules, to build its inputs and run it."""

    capacity: ModuleType
    conditions: ModuleType
    explain: ModuleType
    fields: ModuleType
    model: ModuleType
    router: ModuleType
    rule_index: ModuleType


OLD = Engine(old_capacity, old_conditions, old_explain, old_fields, old_model, old_router,
             old_rule_index)  # fmt: skip
NEW = Engine(new_capacity, new_conditions, new_explain, new_fields, new_model, new_router,
             new_rule_index)  # fmt: skip


# --- what both engines are given --------------------------------------------------------------

leaf = st.one_of(
    st.builds(lambda v: {"field": "region", "op": "eq", "value": v}, st.sampled_from(REGIONS[:3])),
    st.builds(
        lambda vs: {"field": "level", "op": "in", "value": vs},
        st.lists(st.sampled_from(LEVELS[:3]), min_size=1, max_size=3, unique=True),
    ),
    st.builds(lambda v: {"field": "industry", "op": "ne", "value": v}, st.sampled_from(["retail"])),
    st.builds(lambda n: {"field": "employees", "op": "gte", "value": n}, st.integers(0, 500)),
    st.builds(lambda t: {"field": "tags", "op": "contains", "value": t}, st.sampled_from(["vip"])),
    st.builds(
        lambda d: {"field": "created_at", "op": "within_days", "value": d}, st.integers(1, 9)
    ),
    st.just({"field": "region", "op": "is_empty"}),
)
conditions = st.one_of(
    st.just({}),
    leaf,
    st.builds(lambda xs: {"all": xs}, st.lists(leaf, min_size=1, max_size=3)),
    st.builds(lambda xs: {"any": xs}, st.lists(leaf, min_size=1, max_size=3)),
    st.builds(lambda x: {"not": x}, leaf),
)
target = st.one_of(
    st.builds(
        lambda ids: {"kind": "reps", "rep_ids": ids},
        st.lists(st.integers(1, 7), min_size=1, max_size=4, unique=True),
    ),
    st.builds(
        lambda team, deep: {"kind": "team", "team_id": team, "include_subteams": deep},
        st.sampled_from([1, 2, 3]),
        st.booleans(),
    ),
    st.builds(
        lambda s: {"kind": "skill", "skill": s},
        st.sampled_from(["industries:retail", "senior", "regions:east"]),
    ),
    st.just({"kind": "pool", "pool": "public"}),
    st.just({"kind": "queue"}),
    st.just({"kind": "account_owner"}),
)
rule = st.fixed_dictionaries(
    {
        "conditions": conditions,
        "target": target,
        "strategy": st.sampled_from(STRATEGIES),
        "default_capacity": st.sampled_from([None, 3, 10]),
        "fallback": st.sampled_from(["next_rule", "team_pool", "queue"]),
        "required_skills": st.sampled_from([(), ("industries:retail",), ("senior",)]),
        "enabled": st.booleans(),
        "weekdays": st.sampled_from([None, frozenset(range(5)), frozenset({5, 6})]),
    }
)
limit = st.one_of(st.none(), st.integers(0, 5))
rep = st.fixed_dictionaries(
    {
        "team_id": st.sampled_from([None, 1, 2, 3]),
        "active": st.sampled_from([True, True, True, False]),
        "away": st.sampled_from([False, False, False, True]),
        "skills": st.sampled_from([{}, {"industries": ["retail"]}, {"regions": ["East"]}]),
        "tags": st.sampled_from([[], ["senior"]]),
        "seniority": st.integers(1, 100),
        "weight": st.integers(1, 5),
        "max_open": limit,
        "max_per_day": limit,
        "task_capacity": st.sampled_from([None, Decimal(0), Decimal("2.5")]),
        "hours": st.sampled_from(
            [{}, {"mon": [["09:00", "12:00"]]}, {"tue": [["00:00", "24:00"]]}]
        ),
        "open": st.integers(0, 6),
        "today": st.integers(0, 6),
        "open_value": st.integers(0, 10_000),
        "last_hours_ago": st.one_of(st.none(), st.integers(1, 100)),
        "on_leave": st.sampled_from([False, False, False, True]),
    }
)
customer = st.fixed_dictionaries(
    {
        "region": st.sampled_from(REGIONS),
        "level": st.sampled_from(LEVELS),
        "industry": st.sampled_from(INDUSTRIES),
        "employees": st.one_of(st.none(), st.integers(0, 1000)),
        "tags": st.sampled_from([[], ["vip"], ["vip", "new"]]),
        "days_old": st.integers(0, 12),
        "expected_value": st.one_of(st.none(), st.integers(0, 100_000)),
        "company_name": st.sampled_from([None, "Acme", "Globex"]),
    }
)
world = st.fixed_dictionaries(
    {
        "rules": st.lists(rule, min_size=1, max_size=5),
        "reps": st.lists(rep, min_size=1, max_size=7),
        "customer": customer,
        "cursor": st.integers(0, 8),
        "minutes": st.integers(0, 7 * 24 * 60),
        "seed": st.integers(0, 2**32),
        "indexed": st.booleans(),
        "account_owner": st.sampled_from([None, 1, 2, 9]),
    }
)


# --- one engine's decision --------------------------------------------------------------------


def decide(engine: Engine, raw: dict[str, Any]) -> tuple[str, str]:
    """The decision of ``engine`` for the world ``raw``: its JSON and its sentence."""
    now = NOW + timedelta(minutes=raw["minutes"])
    m = engine.model
    catalog = engine.fields.field_catalog()
    compiled = []
    for position, spec in enumerate(raw["rules"]):
        measured = spec["strategy"] in ("least_loaded", "best_match")
        options = {"default_capacity": spec["default_capacity"]} if measured else {}
        options = {k: v for k, v in options.items() if v is not None}
        t = spec["target"]
        routing_rule = m.RoutingRule(
            id=position + 1,
            name=f"Rule {position + 1}",
            priority=(position + 1) * 10,
            conditions=spec["conditions"],
            target=m.Target(
                kind=m.TargetKind(t["kind"]),
                rep_ids=tuple(t.get("rep_ids", ())),
                team_id=t.get("team_id"),
                include_subteams=t.get("include_subteams", True),
                skill=t.get("skill"),
                pool=t.get("pool"),
            ),
            strategy=spec["strategy"],
            strategy_options=options,
            fallback=m.Fallback(spec["fallback"]),
            required_skills=spec["required_skills"],
            enabled=spec["enabled"],
            window=None
            if spec["weekdays"] is None
            else m.EffectiveWindow(weekdays=spec["weekdays"]),
        )
        predicate = engine.conditions.compile_conditions(
            engine.conditions.parse_conditions(spec["conditions"], catalog)
        )
        compiled.append(engine.router.CompiledRule(routing_rule, predicate))
    states = {}
    for position, r in enumerate(raw["reps"]):
        rep_id = position + 1
        last = r["last_hours_ago"]
        leaves = (
            (Leave(rep_id, now - timedelta(hours=1), now + timedelta(hours=1)),)
            if r["on_leave"]
            else ()
        )
        states[rep_id] = m.RepState(
            rep=Rep(
                name=f"Rep {rep_id}",
                id=rep_id,
                team_id=r["team_id"],
                active=r["active"],
                away=r["away"],
                skills=r["skills"],
                tags=r["tags"],
                seniority=r["seniority"],
                weight=r["weight"],
                max_open=r["max_open"],
                max_per_day=r["max_per_day"],
                task_capacity=r["task_capacity"],
                working_hours=r["hours"],
            ),
            usage=engine.capacity.Usage(r["open"], received_day=r["today"]),
            team_ids=(r["team_id"],) if r["team_id"] is not None else (),
            leaves=leaves,
            open_value=Decimal(r["open_value"]),
            last_assigned_at=None if last is None else now - timedelta(hours=last),
        )
    c = raw["customer"]
    lead = Customer(
        name="Lead", region=c["region"], level=c["level"], industry=c["industry"],
        employees=c["employees"], tags=list(c["tags"]), company_name=c["company_name"],
        created_at=now - timedelta(days=c["days_old"]),
        expected_value=None if c["expected_value"] is None else Decimal(c["expected_value"]),
    )  # fmt: skip
    owner = raw["account_owner"]
    accounts = engine.router.AccountIndex(by_company={"acme": owner} if owner is not None else {})
    # A round-robin cursor and weighted round-robin credits, both as stored.
    cursor = {
        "last_rep_id": raw["cursor"],
        "last_rep_name": f"Rep {raw['cursor']}",
        "current": {str(raw["cursor"]): 2},
    }
    ctx = engine.router.RoutingContext(
        rules=compiled,
        reps=states,
        sub_teams={1: [2], 2: [3]},
        accounts=accounts,
        states={rule_id: cursor for rule_id in range(1, len(compiled) + 1)},
        selector=engine.rule_index.RuleIndex(compiled, catalog) if raw["indexed"] else None,
    )
    decision = engine.router.route(lead, ctx, now=now, rng=Random(raw["seed"]))
    data = json.dumps(engine.explain.decision_json(decision), sort_keys=True, default=repr)
    return data, engine.explain.explain(decision)


@settings(max_examples=600, deadline=None, derandomize=True)
@given(world)
def test_customer_decisions_match_the_engine_before_tasks(raw: dict[str, Any]) -> None:
    assert decide(NEW, raw) == decide(OLD, raw)


def test_the_comparison_can_tell_two_engines_apart() -> None:
    """The same harness sees a difference when there is one: a rep over their task
    capacity, judged as a task's would be, is excluded by today's engine only."""
    raw = {
        "rules": [{"conditions": {}, "target": {"kind": "reps", "rep_ids": [1]},
                   "strategy": "round_robin", "default_capacity": None,
                   "fallback": "queue", "required_skills": (), "enabled": True,
                   "weekdays": None}],
        "reps": [{"team_id": None, "active": True, "away": False, "skills": {}, "tags": [],
                  "seniority": 1, "weight": 1, "max_open": None, "max_per_day": None,
                  "task_capacity": None, "hours": {}, "open": 0, "today": 0,
                  "open_value": 0, "last_hours_ago": None, "on_leave": False}],
        "customer": {"region": "East", "level": "A", "industry": None, "employees": None,
                     "tags": [], "days_old": 1, "expected_value": None, "company_name": None},
        "cursor": 0, "minutes": 0, "seed": 1, "indexed": False, "account_owner": None,
    }  # fmt: skip
    same = decide(NEW, raw)
    assert same == decide(OLD, raw)
    assert json.loads(same[0])["outcome"] == "assigned"

    weighed = _with_full_task_load(raw)
    assert json.loads(weighed[0])["outcome"] == "queued"
    assert weighed != same


def _with_full_task_load(raw: dict[str, Any]) -> tuple[str, str]:
    """Today's engine on ``raw`` with rep 1 carrying a full task load."""
    original = new_model.RepState

    def weighed(**fields: Any) -> Any:
        return original(**fields, weighted=new_capacity.WeightedLoad(Decimal(2), Decimal(2)))

    new_model.RepState = weighed  # type: ignore[misc,assignment]
    try:
        return decide(NEW, raw)
    finally:
        new_model.RepState = original  # type: ignore[misc]
