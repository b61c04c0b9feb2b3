"""Synthetic territories for the routing benchmarks: rule sets, sales orgs and customers.

Rules look like a real territory plan: hundreds of selective rules on province (or city)
and industry, some with a level or a company-size condition, a catch-all last. Customers
are drawn from the deeper half of the list, so their first match is usually deep.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from random import Random
from typing import Any

from fenpei.domain.customers import Customer
from fenpei.domain.org import Rep
from fenpei.engine.capacity import Usage
from fenpei.engine.conditions import compile_conditions, parse_conditions
from fenpei.engine.fields import FieldSpec
from fenpei.engine.model import RepState, RoutingRule, Target, TargetKind
from fenpei.engine.router import CompiledRule

PROVINCES = (
    "北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江",
    "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆",
    "四川", "贵州", "云南", "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆",
)  # fmt: skip
CITIES = {province: [f"{province}{n}市" for n in range(1, 7)] for province in PROVINCES}
INDUSTRIES = (
    "Retail", "Manufacturing", "Finance", "Healthcare", "Education", "Logistics",
    "Energy", "Internet", "Real estate", "Catering", "Agriculture", "Automotive",
)  # fmt: skip
LEVELS = ("A", "B", "C", "D")
SOURCES = ("website", "referral", "trade show", "cold call", "partner")
REPS_PER_TEAM = 10


def _segments(province: str, per_province: int, rng: Random) -> list[list[dict[str, Any]]]:
    """Disjoint territories in one province, as many as asked for (up to 48): industry
    groups for the province, or for each of its cities, halved by level if need be."""
    industries = list(INDUSTRIES)
    rng.shuffle(industries)
    groups = [industries[i : i + 3] for i in range(0, len(industries), 3)]
    by_city = per_province > 2 * len(groups)
    places = CITIES[province] if by_city else [province]
    field = "city" if by_city else "province"
    halves = per_province > len(places) * len(groups)
    segments: list[list[dict[str, Any]]] = []
    for place in places:
        for group in groups:
            base: list[dict[str, Any]] = [
                {"field": field, "op": "eq", "value": place},
                {"field": "industry", "op": "in", "value": group},
            ]
            if not halves:
                if rng.random() < 0.3:  # some ask for a company size too
                    size = rng.choice([50, 200, 1000])
                    base.append({"field": "employees", "op": "gte", "value": size})
                segments.append(base)
                continue
            for levels in (["A", "B"], ["C", "D"]):
                segments.append([*base, {"field": "level", "op": "in", "value": levels}])
    rng.shuffle(segments)
    return segments[:per_province]


def territory_trees(count: int, rng: Random) -> list[dict[str, Any]]:
    """``count`` condition trees: disjoint territory rules (province or city, industries,
    sometimes level or company size) in no particular order, then the catch-all ``{}``."""
    per_province = -(-(count - 1) // len(PROVINCES))
    segments = [_segments(p, per_province, rng) for p in PROVINCES]
    chosen = [s for round_ in zip(*segments, strict=True) for s in round_][: count - 1]
    rng.shuffle(chosen)
    return [*({"all": parts} for parts in chosen), {}]


def sales_org(reps: int) -> dict[int, RepState]:
    """``reps`` active reps in teams of ten (team ids from 1), roomy capacities."""
    states = {}
    for rep_id in range(1, reps + 1):
        rep = Rep(
            name=f"Rep {rep_id}",
            id=rep_id,
            team_id=1 + (rep_id - 1) // REPS_PER_TEAM,
            max_open=1_000_000,
            max_per_day=1_000_000,
        )
        states[rep_id] = RepState(rep=rep, usage=Usage(rep_id % 37, rep_id % 5))
    return states


def routing_rules(
    trees: Sequence[dict[str, Any]], teams: int, catalog: dict[str, FieldSpec]
) -> list[CompiledRule]:
    """Each tree as a round-robin rule for a team (spread over ``teams``)."""
    compiled = []
    for position, tree in enumerate(trees):
        last = position == len(trees) - 1
        rule = RoutingRule(
            id=position + 1,
            name="Default" if last else f"Territory {position + 1}",
            priority=(position + 1) * 10,
            conditions=tree,
            target=Target(TargetKind.team, team_id=1 + position % teams),
            strategy="least_loaded" if position % 3 == 0 else "round_robin",
            is_default=last,
        )
        compiled.append(CompiledRule(rule, compile_conditions(parse_conditions(tree, catalog))))
    return compiled


def _satisfying(tree: dict[str, Any], rng: Random) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for leaf in tree.get("all", []):
        value = leaf["value"]
        if leaf["op"] == "eq":
            fields[leaf["field"]] = value
        elif leaf["op"] == "in":
            fields[leaf["field"]] = rng.choice(value)
        else:  # employees gte N
            fields[leaf["field"]] = value + rng.randint(0, 3000)
    if "city" in fields:  # a city rule: the customer is in that city's province
        fields["province"] = fields["city"][: -len("1市")]
    elif "province" in fields:
        fields["city"] = rng.choice(CITIES[fields["province"]])
    return fields


def customers(trees: Sequence[dict[str, Any]], count: int, seed: int = 1) -> list[Customer]:
    """``count`` customers; nine in ten satisfy a rule from the deeper half of ``trees``
    (so the first match is usually deep), the rest are random."""
    rng = Random(seed)
    deep = trees[len(trees) // 2 : -1] or trees[:-1]
    created = datetime(2024, 5, 1, tzinfo=UTC)
    people = []
    for n in range(count):
        province = rng.choice(PROVINCES)
        fields: dict[str, Any] = {
            "province": province,
            "city": rng.choice(CITIES[province]),
            "industry": rng.choice(INDUSTRIES),
            "level": rng.choice(LEVELS),
            "employees": rng.choice([None, rng.randint(1, 5000)]),
        }
        if deep and rng.random() < 0.9:
            fields.update(_satisfying(rng.choice(deep), rng))
        people.append(
            Customer(
                name=f"客户 {n}",
                source=rng.choice(SOURCES),
                created_at=created + timedelta(minutes=n % 20_000),
                **fields,
            )
        )
    return people
