"""The batch path, engine only: first matching rules and ``route_many`` for 100k and 1M
customers over 200 territory rules, against (a) interpreting the JSON trees per customer
and the engine's own per-customer path (rule index, then compiled predicates). Slow paths
are timed on a sample and reported per customer.

The first match is timed twice: from ``Customer`` objects (``first_matching_rules``) and
from an Arrow table of the same customers' columns (``first_matching_rules_in``), the
table built beforehand and not timed, as a database or file reader would hand it over."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import replace
from functools import partial
from random import Random

import pyarrow as pa  # type: ignore[import-untyped]

from bench._rulesets import customers, routing_rules, sales_org, territory_trees
from bench.routing_bench import (
    CATALOG,
    NOW,
    SLOW_SAMPLE,
    CandidateStep,
    _ratio,
    _us,
    indexed_first,
    naive_first,
    paused_gc,
    per_item,
)
from fenpei.domain.customers import Customer
from fenpei.engine.bulk import (
    first_matching_rules,
    first_matching_rules_in,
    iter_route_many,
    received,
)
from fenpei.engine.conditions import Leaf, Node, Not
from fenpei.engine.model import Outcome
from fenpei.engine.router import RoutingContext, route
from fenpei.engine.rule_index import RuleIndex

BULK_RULES, BULK_REPS = 200, 200
BULK_SIZES = (100_000, 1_000_000)
PER_CUSTOMER_SAMPLE = 2000  # customers routed one by one to extrapolate the engine's path


def _one_by_one(ctx: RoutingContext, people: Iterable[Customer]) -> None:
    """The engine's per-customer path: route, then apply the decision before the next."""
    reps, states, rng = dict(ctx.reps), dict(ctx.states), Random(1)
    current = replace(ctx, reps=reps, states=states)
    for customer in people:
        decision = route(customer, current, now=NOW, rng=rng)
        if decision.outcome is Outcome.assigned:
            assert decision.rep_id is not None and decision.rule_id is not None
            reps[decision.rep_id] = received(reps[decision.rep_id], customer, now=NOW)
            states[decision.rule_id] = decision.state_after


def _tested(node: Node) -> set[str]:
    if isinstance(node, Leaf):
        return {node.field}
    if isinstance(node, Not):
        return _tested(node.child)
    return set().union(*(_tested(child) for child in node.children))


def table_of(people: Sequence[Customer], fields: Iterable[str]) -> object:
    """The customers as an Arrow table: one column per field, as its getter reads it."""
    return pa.table({name: list(map(CATALOG[name].get, people)) for name in sorted(fields)})


def batch() -> None:
    trees = territory_trees(BULK_RULES, Random(BULK_RULES))
    rules = routing_rules(trees, BULK_REPS // 10, dict(CATALOG))
    ctx = RoutingContext(rules, sales_org(BULK_REPS), selector=RuleIndex(rules, CATALOG))
    started = time.perf_counter()
    people = customers(trees, max(BULK_SIZES), seed=5)
    made = time.perf_counter() - started
    print(
        f"\n== Batch path: {BULK_RULES} rules, {BULK_REPS} reps "
        f"({max(BULK_SIZES):,} synthetic customers made in {made:.1f} s, not timed below) =="
    )
    fields = {"source", "created_at"}.union(*(_tested(r.matches.node) for r in rules))
    started = time.perf_counter()
    table = table_of(people, fields)
    print(
        f"   Arrow table of {len(fields)} columns ({', '.join(sorted(fields))}) "
        f"made in {time.perf_counter() - started:.1f} s, not timed below"
    )
    sample, slow = people[:PER_CUSTOMER_SAMPLE], people[:SLOW_SAMPLE]
    step = CandidateStep(ctx)
    assert first_matching_rules(slow, rules, CATALOG, now=NOW) == [
        naive_first(trees, c) for c in slow
    ]
    naive_find = per_item(partial(naive_first, trees), slow)
    naive_route = per_item(partial(step.after, partial(naive_first, trees), Random(1)), slow)
    engine_find = per_item(partial(indexed_first, ctx), sample)
    engine_route = per_item(partial(_one_by_one, ctx), [sample]) / len(sample)
    print(
        f"   per customer, sampled: (a) JSON walk {_us(naive_find)} find, {_us(naive_route)} "
        f"with step ({SLOW_SAMPLE}); engine {_us(engine_find)} find, "
        f"{_us(engine_route)} route() ({PER_CUSTOMER_SAMPLE})"
    )
    print(
        f"   {'customers':>9} {'what':>24} | {'total':>8} {'per customer':>12} | "
        f"{'vs (a)':>8} | {'vs engine per customer':>22}"
    )
    for size in BULK_SIZES:
        part, columns = people[:size], table.slice(0, size)
        with paused_gc():
            started = time.perf_counter()
            from_objects = first_matching_rules(part, rules, CATALOG, now=NOW)
            found = (time.perf_counter() - started) / size
        with paused_gc():
            started = time.perf_counter()
            from_table = first_matching_rules_in(columns, rules, CATALOG, now=NOW)
            found_in = (time.perf_counter() - started) / size
        assert from_table == from_objects
        every = max(1, size // SLOW_SAMPLE)  # the naive walker agrees, on a spread sample
        assert from_table[::every] == [naive_first(trees, c) for c in part[::every]]
        outcomes = {o: 0 for o in Outcome}
        with paused_gc():
            started = time.perf_counter()
            for decision in iter_route_many(part, ctx, now=NOW, rng=Random(1)):
                outcomes[decision.outcome] += 1  # streamed, not kept: a million is ~GBs
            routed = (time.perf_counter() - started) / size
        for what, each, naive, engine in (
            ("first_matching_rules", found, naive_find, engine_find),
            ("first_matching_rules_in", found_in, naive_find, engine_find),
            ("route_many", routed, naive_route, engine_route),
        ):
            print(
                f"   {size:>9,} {what:>24} | {each * size:7.2f}s {_us(each)} | "
                f"{_ratio(naive, each)} | {_ratio(engine, each):>22}"
            )
        assigned = outcomes[Outcome.assigned] / size
        print(f"   {'':>9} {'':>24} | {assigned:.1%} assigned")


def run() -> None:
    batch()


if __name__ == "__main__":
    run()
