"""Routing, engine only (no database): one decision with fenpei's compiled rules and rule
index against (a) interpreting the JSON trees per customer, (b) the rule-engine library and
(c) an Odoo-style allocation; then one decision whose rule targets a team of up to 2,000
reps. Slow paths are timed on a sample and reported per customer. The batch path is in
``bulk_bench``."""

from __future__ import annotations

import gc
import json
import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from random import Random
from typing import Any, TypeVar

import rule_engine  # type: ignore[import-untyped]

from bench._rulesets import customers, routing_rules, sales_org, territory_trees
from fenpei.domain.customers import Customer
from fenpei.domain.org import Leave
from fenpei.engine.conditions import compile_conditions, parse_conditions
from fenpei.engine.eligibility import on_shift
from fenpei.engine.fields import field_catalog, fold
from fenpei.engine.model import Decision, RepState, Target, TargetKind
from fenpei.engine.router import CompiledRule, RoutingContext, decide, match, route
from fenpei.engine.rule_index import RuleIndex

NOW = datetime(2024, 5, 15, 4, 0, tzinfo=UTC)
CATALOG = field_catalog()
RULE_COUNTS = (10, 100, 1000)
REP_COUNTS = (10, 100, 1000)
OURS_SAMPLE = 1000  # decisions timed per cell on fenpei's path
SLOW_SAMPLE = 200  # customers timed on each slow baseline
ODOO_MONTHLY_QUOTA = 30_000  # assignment_max (leads per 30 days): never reached here
ALWAYS = compile_conditions(parse_conditions({}, CATALOG))
T = TypeVar("T")


def per_item(work: Callable[[T], object], items: Sequence[T], repeat: int = 3) -> float:
    """Seconds per item of ``work`` over ``items``: the best of ``repeat`` passes, with
    the garbage collector paused as ``timeit`` does (a million customers in memory make
    its full passes slow, and they would land on whichever path happens to run then)."""
    best = math.inf
    for _ in range(repeat):
        with paused_gc():
            started = time.perf_counter()
            for item in items:
                work(item)
            best = min(best, time.perf_counter() - started)
    return best / len(items)


@contextmanager
def paused_gc() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


# --- (a) a first version: interpret the JSON tree for every customer ---------------------


def naive_holds(tree: dict[str, Any], customer: Customer) -> bool:
    """Walk the dict as stored, folding text on both sides each time."""
    if not tree:
        return True
    if "all" in tree:
        return all(naive_holds(child, customer) for child in tree["all"])
    if "any" in tree:
        return any(naive_holds(child, customer) for child in tree["any"])
    if "not" in tree:
        return not naive_holds(tree["not"], customer)
    value, op, wanted = getattr(customer, tree["field"]), tree["op"], tree["value"]
    if value is None:
        return op in ("ne", "not_in", "is_empty")
    if op == "eq":
        return str(value).strip().lower() == str(wanted).strip().lower()
    if op == "in":
        return str(value).strip().lower() in [str(w).strip().lower() for w in wanted]
    if op == "gte":
        return bool(value >= wanted)
    raise ValueError(f"the naive baseline does not know {op!r}")


def naive_first(trees: Sequence[dict[str, Any]], customer: Customer) -> int | None:
    for position, tree in enumerate(trees):
        if naive_holds(tree, customer):
            return position
    return None


# --- (b) the rule-engine library -------------------------------------------------------


def rule_engine_text(tree: dict[str, Any]) -> str:
    """A condition tree as a rule-engine expression (text values folded, as the customer
    record handed to it is)."""
    if not tree:
        return "true"
    if "all" in tree or "any" in tree:
        joiner = " and " if "all" in tree else " or "
        return joiner.join(
            f"({rule_engine_text(child)})"
            for child in (tree["all"] if "all" in tree else tree["any"])
        )
    if "not" in tree:
        return f"not ({rule_engine_text(tree['not'])})"
    field, op, value = tree["field"], tree["op"], tree["value"]
    if op == "eq":
        return f"{field} == {json.dumps(fold(value), ensure_ascii=False)}"
    if op == "in":
        items = ", ".join(json.dumps(fold(v), ensure_ascii=False) for v in value)
        return f"{field} in [{items}]"
    if op == "gte":
        return f"{field} != null and {field} >= {value}"
    raise ValueError(f"no rule-engine form for {op!r}")


class RuleEngineRouter:
    """Each rule a ``rule_engine.Rule``, tried in order on a dict of the customer."""

    TEXT = ("province", "city", "industry", "level")

    def __init__(self, trees: Sequence[dict[str, Any]]) -> None:
        context = rule_engine.Context(default_value=None)
        self.rules = [rule_engine.Rule(rule_engine_text(tree), context=context) for tree in trees]

    def first(self, customer: Customer) -> int | None:
        record: dict[str, object] = {
            name: None if (v := getattr(customer, name)) is None else fold(v) for name in self.TEXT
        }
        record["employees"] = customer.employees
        for position, rule in enumerate(self.rules):
            if rule.matches(record):
                return position
        return None


# --- (c) Odoo-style allocation ---------------------------------------------------------


def odoo_domain(tree: dict[str, Any]) -> list[Any]:
    """A condition tree as an Odoo domain (prefix notation: '&', '|', '!')."""
    if not tree:
        return []
    if "all" in tree or "any" in tree:
        children = tree["all"] if "all" in tree else tree["any"]
        joiner = "&" if "all" in tree else "|"
        return [joiner] * (len(children) - 1) + [t for c in children for t in odoo_domain(c)]
    if "not" in tree:
        return ["!", *odoo_domain(tree["not"])]
    return [(tree["field"], {"eq": "=", "in": "in", "gte": ">="}[tree["op"]], tree["value"])]


def _domain_term(domain: list[Any], at: int, record: Customer) -> tuple[bool, int]:
    term = domain[at]
    if term == "!":
        held, after = _domain_term(domain, at + 1, record)
        return not held, after
    if term in ("&", "|"):
        left, after = _domain_term(domain, at + 1, record)
        right, after = _domain_term(domain, after, record)
        return (left and right) if term == "&" else (left or right), after
    field, op, value = term
    actual = getattr(record, field)
    if op == "=":
        return actual == value, at + 1
    if op == "in":
        return actual in value, at + 1
    return actual is not None and actual >= value, at + 1


def domain_holds(domain: list[Any], record: Customer) -> bool:
    at, held = 0, True
    while at < len(domain) and held:  # top-level terms are and-ed
        held, at = _domain_term(domain, at, record)
    return held


class OdooStyle:
    """Odoo CRM's lead assignment as its documentation describes it: teams in sequence,
    each with a domain the lead must satisfy; in the team, a member drawn with
    ``random.choices`` weighted by the leads they may still take today (assignment_max / 30
    minus today's)."""

    def __init__(
        self,
        trees: Sequence[dict[str, Any]],
        rules: Sequence[CompiledRule],
        reps: dict[int, RepState],
        rng: Random,
    ) -> None:
        self.domains = [odoo_domain(tree) for tree in trees]
        self.team_of = [compiled.rule.target.team_id for compiled in rules]
        self.members: dict[int | None, list[int]] = {}
        for state in reps.values():
            self.members.setdefault(state.rep.team_id, []).append(state.id)
        self.quota = math.ceil(ODOO_MONTHLY_QUOTA / 30)
        self.today = dict.fromkeys(reps, 0)
        self.rng = rng

    def assign(self, lead: Customer) -> int | None:
        for position, domain in enumerate(self.domains):
            if domain_holds(domain, lead):
                members = self.members.get(self.team_of[position], [])
                room = [(m, self.quota - self.today[m]) for m in members]
                room = [(m, left) for m, left in room if left > 0]
                if not room:
                    return None
                chosen = self.rng.choices([m for m, _ in room], weights=[w for _, w in room])[0]
                self.today[chosen] += 1
                return chosen
        return None


# --- shared: the candidate / strategy step for a rule found by a baseline ---------------


class CandidateStep:
    """``router``'s target, eligibility and strategy for a rule someone else found, so every
    baseline ends with the same work fenpei's decision does."""

    def __init__(self, ctx: RoutingContext) -> None:
        self.ctx = ctx
        self.solo = [
            RoutingContext(rules=(CompiledRule(c.rule, ALWAYS),), reps=ctx.reps) for c in ctx.rules
        ]

    def __call__(self, customer: Customer, position: int | None, rng: Random) -> Decision | None:
        if position is None:
            return None
        found = match(customer, self.solo[position], now=NOW)
        state = self.ctx.states.get(found.rule.id, {}) if found.rule else {}
        return decide(found, customer=customer, state=state, rng=rng)

    def after(
        self, finder: Callable[[Customer], int | None], rng: Random, customer: Customer
    ) -> Decision | None:
        """Find the rule with ``finder``, then take this step."""
        return self(customer, finder(customer), rng)


def route_once(ctx: RoutingContext, rng: Random, customer: Customer) -> Decision:
    return route(customer, ctx, now=NOW, rng=rng)


def indexed_first(ctx: RoutingContext, customer: Customer) -> int | None:
    """fenpei's per-customer rule finding: the rule index, then compiled predicates."""
    assert isinstance(ctx.selector, RuleIndex)
    for compiled in ctx.selector.for_customer(customer):
        if compiled.matches(customer, NOW):
            return compiled.rule.id - 1  # bench rules have id = position + 1
    return None


def world(rule_count: int, rep_count: int) -> tuple[list[dict[str, Any]], RoutingContext]:
    trees = territory_trees(rule_count, Random(rule_count))
    teams = max(1, rep_count // 10)
    rules = routing_rules(trees, teams, dict(CATALOG))
    ctx = RoutingContext(rules, sales_org(rep_count), selector=RuleIndex(rules, CATALOG))
    return trees, ctx


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:9.1f} µs"


def _ratio(slow: float, fast: float) -> str:
    return f"{slow / fast:7.1f}x"


def single_decisions() -> None:
    print("\n== Routing: one decision (territory rules, first match usually deep) ==")
    print("   rule finding only, per customer (fenpei: rule index + compiled predicates)")
    print(
        f"   {'rules':>5} {'depth':>6} | {'fenpei':>12} | {'(a) JSON walk':>22} | "
        f"{'(b) rule-engine':>22}"
    )
    for rule_count in RULE_COUNTS:
        trees, ctx = world(rule_count, 10)
        people = customers(trees, OURS_SAMPLE, seed=rule_count)
        slow = people[:SLOW_SAMPLE]
        engine = RuleEngineRouter(trees)
        ours = [indexed_first(ctx, c) for c in people]
        assert (
            ours[:SLOW_SAMPLE]
            == [naive_first(trees, c) for c in slow]
            == [engine.first(c) for c in slow]
        ), "the baselines must find the same rules"
        depth = sum(p if p is not None else rule_count for p in ours) / len(ours) / rule_count
        fast = per_item(partial(indexed_first, ctx), people)
        naive = per_item(partial(naive_first, trees), slow)
        library = per_item(engine.first, slow)
        print(
            f"   {rule_count:>5} {depth:>5.0%} | {_us(fast)} | {_us(naive)} {_ratio(naive, fast)}"
            f" | {_us(library)} {_ratio(library, fast)}"
        )
    print("   whole decision, per customer: fenpei route() vs each finder + the same step")
    print(
        f"   {'rules':>5} {'reps':>5} | {'fenpei':>12} | {'(a) JSON walk':>22} | "
        f"{'(b) rule-engine':>22} | {'(c) Odoo-style':>12}"
    )
    for rule_count in RULE_COUNTS:
        for rep_count in REP_COUNTS:
            trees, ctx = world(rule_count, rep_count)
            people = customers(trees, OURS_SAMPLE, seed=rule_count)
            slow = people[:SLOW_SAMPLE]
            engine, step = RuleEngineRouter(trees), CandidateStep(ctx)
            odoo = OdooStyle(trees, ctx.rules, dict(ctx.reps), Random(3))
            rng = Random(1)
            fast = per_item(partial(route_once, ctx, rng), people)
            naive = per_item(partial(step.after, partial(naive_first, trees), rng), slow)
            library = per_item(partial(step.after, engine.first, rng), slow)
            odoo_time = per_item(odoo.assign, slow)
            print(
                f"   {rule_count:>5} {rep_count:>5} | {_us(fast)} | {_us(naive)} "
                f"{_ratio(naive, fast)} | {_us(library)} {_ratio(library, fast)} | "
                f"{_us(odoo_time)}"
            )


# --- big teams: one rule's target is a whole team of hundreds or thousands --------------

TEAM_SIZES = (10, 100, 1000, 2000)
SHAPED_SIZES = (1000,)
BIG_TEAM_RULES = 1000


def bare_round_robin(team: Sequence[RepState], last: int, now: datetime) -> int | None:
    """A bare plain-Python step: the same checks as fenpei's eligibility (active, away,
    leave, working hours, the four limits), then the next id after ``last``; no
    explanation, no scores, nothing kept."""
    eligible = []
    for state in team:
        rep, usage = state.rep, state.usage
        if not rep.active or rep.away:
            continue
        if state.leaves and any(leave.covers(now) for leave in state.leaves):
            continue
        if rep.working_hours and not on_shift(rep.working_hours, rep.time_zone, now):
            continue
        if (
            (rep.max_open is not None and usage.open_count >= rep.max_open)
            or (rep.max_per_day is not None and usage.received_day >= rep.max_per_day)
            or (rep.max_per_week is not None and usage.received_week >= rep.max_per_week)
            or (rep.max_per_month is not None and usage.received_month >= rep.max_per_month)
        ):
            continue
        eligible.append(state.id)
    return next((rep_id for rep_id in eligible if rep_id > last), eligible[0] if eligible else None)


def _bare_step(team: Sequence[RepState], last: int, _: Customer) -> int | None:
    return bare_round_robin(team, last, NOW)


def _naive_decision(
    trees: Sequence[dict[str, Any]], team: Sequence[RepState], last: int, customer: Customer
) -> int | None:
    naive_first(trees, customer)
    return bare_round_robin(team, last, NOW)


OFFICE_HOURS = {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def _shaped(state: RepState) -> RepState:
    """A rep as real teams have them: office hours in Shanghai, or in New York (one in
    four: off shift at NOW); one in eleven at capacity; one in fifty on leave."""
    rep_id = state.id
    zone = "America/New_York" if rep_id % 4 == 3 else "Asia/Shanghai"
    rep = replace(state.rep, team_id=1, working_hours=OFFICE_HOURS, time_zone=zone, max_open=40)
    usage = replace(state.usage, open_count=40 if rep_id % 11 == 0 else rep_id % 37)
    leaves = (
        (Leave(rep_id=rep_id, starts_at=NOW - timedelta(days=1), ends_at=NOW + timedelta(days=2)),)
        if rep_id % 50 == 0
        else ()
    )
    return replace(state, rep=rep, usage=usage, leaves=leaves)


def big_team_world(
    size: int, *, shaped: bool = False
) -> tuple[list[dict[str, Any]], RoutingContext]:
    """1,000 territory rules, every one sending to the same team of ``size`` reps: reps
    only their load could exclude, or (``shaped``) reps with hours, leaves and full ones."""
    trees = territory_trees(BIG_TEAM_RULES, Random(BIG_TEAM_RULES))
    rules = [
        replace(
            c,
            rule=replace(c.rule, target=Target(TargetKind.team, team_id=1), strategy="round_robin"),
        )
        for c in routing_rules(trees, 1, dict(CATALOG))
    ]
    reps = {
        i: _shaped(s) if shaped else replace(s, rep=replace(s.rep, team_id=1))
        for i, s in sales_org(size).items()
    }
    return trees, RoutingContext(rules, reps, selector=RuleIndex(rules, CATALOG))


def big_teams() -> None:
    print(
        f"\n== One decision, {BIG_TEAM_RULES} rules, the matched rule's target a team of N reps"
        " (round robin) =="
    )
    print(
        f"   {'reps':>5} | {'fenpei route()':>14} | {'bare step':>12} {'fenpei/bare':>11} | "
        f"{'(a) JSON walk + bare step':>26} {'vs fenpei':>9}"
    )
    timings = {}
    shapes = [(size, False) for size in TEAM_SIZES] + [(size, True) for size in SHAPED_SIZES]
    for size, shaped in shapes:
        trees, ctx = big_team_world(size, shaped=shaped)
        people = customers(trees, 300, seed=1)  # the same customers for every size
        slow = people[:100]
        team = [ctx.reps[i] for i in sorted(ctx.reps)]
        rng = Random(1)
        decisions = [route(c, ctx, now=NOW, rng=rng) for c in people[:20]]
        assert [d.rep_id for d in decisions] == [
            bare_round_robin(team, 0, NOW) for _ in decisions
        ], "fenpei's first turn is the bare step's"
        ours = per_item(partial(route_once, ctx, rng), people)
        bare = per_item(partial(_bare_step, team, size // 2), people)
        naive = per_item(partial(_naive_decision, trees, team, size // 2), slow)
        if not shaped:
            timings[size] = ours
        label = f"{size}*" if shaped else str(size)
        print(
            f"   {label:>5} | {_us(ours):>14} | {_us(bare)} {ours / bare:10.1f}x | "
            f"{_us(naive):>26} {_ratio(naive, ours)}"
        )
    small, large = TEAM_SIZES[-2], TEAM_SIZES[-1]
    per_rep = (timings[large] - timings[small]) / (large - small)
    print(f"   cost per additional rep in the target ({small} -> {large}): {per_rep * 1e9:.0f} ns")
    print(
        "   * a shaped team: office hours in two time zones (a quarter off shift now), one in"
        " eleven at capacity, one in fifty on leave"
    )


def run() -> None:
    big_teams()
    single_decisions()


if __name__ == "__main__":
    run()
