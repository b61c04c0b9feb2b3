"""Routing a batch with ``batch_optimal`` rules solved together (``engine.optimal``).

``route_optimal`` routes a batch as ``bulk.route_many`` does, except that the customers
whose deciding rule runs ``batch_optimal`` (and no holdout) are placed by one min-cost
flow per such rule, in priority order: as many as the eligible reps' room allows, then
the most expected wins (or won value). Those the flow cannot place (every eligible rep
full in the batch, or at the rule's ``max_per_rep``) fall back as their rule says: the
next rule, its pool, or the queue. Everyone else is then routed by ``route_many`` with
the loads the solved customers left behind. With no affinity model active there is
nothing to optimise: the whole batch goes through ``route_many``.

Room counts every customer as one more open customer and one more received today, this
week and this month (as ``bulk.received`` would for an open customer): a closed one
given in a batch is counted as if it were open, which errs on the safe side.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from random import Random
from typing import Any

import numpy as np

from fenpei.domain.customers import Customer
from fenpei.engine._batch_inputs import p_matrix, received_all, room
from fenpei.engine._bulk_scan import NO_RULE, Scanner
from fenpei.engine.bulk import received, route_many
from fenpei.engine.conditions import All, compile_conditions
from fenpei.engine.model import (
    TOP_CANDIDATES,
    Candidate,
    Decision,
    Fallback,
    Outcome,
    RepState,
    RoutingRule,
    RuleTrace,
    TargetKind,
)
from fenpei.engine.optimal import Problem, solve
from fenpei.engine.router import CompiledRule, Match, RoutingContext, match
from fenpei.engine.scoring.contract import Affinity
from fenpei.engine.strategies.batch_optimal import bounds
from fenpei.engine.strategies.predicted_conversion import customer_value

STRATEGY = "batch_optimal"
BATCH_FULL = "every eligible rep is full in this batch"
_ALWAYS = compile_conditions(All(()))


def optimises(ctx: RoutingContext) -> bool:
    """Whether ``route_optimal`` has anything to solve here: a model active and a rule
    running batch_optimal (else ``route_many`` decides the same, faster)."""
    return ctx.affinity is not None and any(
        compiled.rule.strategy == STRATEGY for compiled in ctx.rules
    )


_BATCHED_TARGETS = (TargetKind.reps, TargetKind.team, TargetKind.skill)


def _batched(rule: RoutingRule) -> bool:
    """Whether the rule's customers are solved together: it runs batch_optimal, with no
    holdout (a holdout draws each customer's arm: they are routed one by one), and its
    target is the same reps for every customer (not an account's owner)."""
    return (
        rule.strategy == STRATEGY and rule.holdout is None and rule.target.kind in _BATCHED_TARGETS
    )


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """A batch allocates tens of thousands of objects (decisions, their candidates and
    reasons), none of them in a reference cycle, and CPython's cyclic collector would walk
    them again and again as they pile up: a quarter of the batch's time (``make bench``).
    Reference counting still frees everything at once; the collector is back on, if it was
    on, when the batch is decided. Decisions do not depend on it: only the time does."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def route_optimal(
    customers: Sequence[Customer], ctx: RoutingContext, *, now: datetime, rng: Random
) -> list[Decision]:
    """Decide for every customer of the batch (see the module's notes), in their order.

    The first matching rule of every customer comes from the column scan (as in
    ``route_many``: a decision's trace lists the rule that matched, the rules above it are
    counted as skipped); a batched rule's target is screened once for all its customers."""
    if ctx.affinity is None or not customers:
        return route_many(customers, ctx, now=now, rng=rng)
    with _without_cycle_collection():
        return _route_optimal(customers, ctx, ctx.affinity, now=now, rng=rng)


def _route_optimal(
    customers: Sequence[Customer],
    ctx: RoutingContext,
    affinity: Affinity,
    *,
    now: datetime,
    rng: Random,
) -> list[Decision]:
    first = Scanner(customers, ctx.rules, now=now).first_match(
        np.arange(len(customers), dtype=np.intp)
    )
    groups: dict[int, list[int]] = {}
    for row, position in enumerate(first.tolist()):
        if position != NO_RULE and _batched(ctx.rules[position].rule):
            groups.setdefault(position, []).append(row)
    decisions: dict[int, Decision] = {}
    reps = dict(ctx.reps)
    left_out: list[tuple[int, Match]] = []
    for position in sorted(groups):
        rule = ctx.rules[position].rule
        rows = groups[position]
        alone = RoutingContext(
            rules=(CompiledRule(rule, _ALWAYS),), reps=reps, sub_teams=ctx.sub_teams
        )
        found = match(customers[rows[0]], alone, now=now)
        if found.final is not None:  # nobody eligible: as route_many judges it
            continue
        found = replace(found, rules_skipped=position)
        solved = _solve_rule(
            [customers[r] for r in rows],
            found,
            reps,
            affinity,
            dict(ctx.states.get(rule.id, {})),
        )
        given: dict[int, list[Customer]] = {}
        for row, decision in zip(rows, solved, strict=True):
            if decision is None:
                left_out.append((row, found))
                continue
            decisions[row] = decision
            assert decision.rep_id is not None
            given.setdefault(decision.rep_id, []).append(customers[row])
        for rep_id, taken in given.items():
            reps[rep_id] = received_all(reps[rep_id], taken, now=now)
    for row, decision in _fall_back(customers, left_out, ctx, reps, now, rng):
        decisions[row] = decision
    rest = [row for row in range(len(customers)) if row not in decisions]
    if rest:
        routed = route_many([customers[r] for r in rest], ctx.with_states(reps), now=now, rng=rng)
        decisions.update(zip(rest, routed, strict=True))
    return [decisions[row] for row in range(len(customers))]


def _solve_rule(
    customers: Sequence[Customer],
    found: Match,
    reps: Mapping[int, RepState],
    affinity: Affinity,
    state: dict[str, object],
) -> list[Decision | None]:
    """One rule's customers (all with the same eligible reps) placed by the flow; None
    for those it could not place."""
    rule = found.rule
    assert rule is not None
    rep_ids = [s.id for s in found.eligible]
    k, r = len(customers), len(rep_ids)
    p = p_matrix(affinity, customers, rep_ids)
    values = (
        np.array([customer_value(c, rule.strategy_options) for c in customers])
        if rule.strategy_options.get("weigh_value") is True
        else np.ones(k)
    )
    tails = np.repeat(np.arange(k, dtype=np.int64), r)
    heads = np.tile(np.arange(r, dtype=np.int64), k)
    low, high = bounds(rule.strategy_options)
    rooms = np.array([room(reps[i], k) for i in rep_ids], dtype=np.int64)
    solution = solve(
        Problem(
            customers=k,
            reps=r,
            arc_customer=tails,
            arc_rep=heads,
            weight=(p * values[:, None]).ravel(),
            room=rooms,
            min_per_rep=low,
            max_per_rep=high,
        )
    )
    # Best first, equal p by rep id (columns are in id order; a stable sort keeps it).
    order = np.argsort(-p, axis=1, kind="stable")[:, :TOP_CANDIDATES]
    top = np.round(np.take_along_axis(p, order, axis=1) * values[:, None], 6)
    # As Python lists: the loop below reads one value at a time (numpy scalars are slow).
    rows = np.arange(k)
    chosen = solution.rep_of.tolist()
    chosen_p = p[rows, np.maximum(solution.rep_of, 0)].tolist()
    best = order[:, 0].tolist()
    best_p = p[rows, order[:, 0]].tolist()
    full = (solution.taken >= rooms).tolist()
    bound = (solution.taken >= high).tolist() if high is not None else [False] * r
    names = [s.rep.name for s in found.eligible]
    # The candidates' ids, names and scores row by row, each picked out in one go.
    value_of, tops = values.tolist(), top.tolist()
    top_ids = np.asarray(rep_ids)[order].tolist()
    top_names = np.asarray(names, dtype=object)[order].tolist()
    placed: list[Decision | None] = []
    for row in range(k):
        at = chosen[row]
        if at < 0:
            placed.append(None)
            continue
        if best_p[row] <= chosen_p[row]:
            why, best_at = "best", at
        else:
            best_at = best[row]
            why = "full" if full[best_at] else "bound" if bound[best_at] else "trade"
        params: dict[str, Any] = {"p": chosen_p[row], "why": why, "rep": names[at]}
        if why != "best":
            params.update(best_rep_id=rep_ids[best_at], best_rep=names[best_at], best_p=best_p[row])
        if value_of[row] != 1.0:
            params["value"] = value_of[row]
        candidates = tuple(map(Candidate, top_ids[row], top_names[row], tops[row]))
        placed.append(_decision(found, rule, rep_ids[at], params, candidates, state))
    return placed


def _decision(
    found: Match,
    rule: RoutingRule,
    rep_id: int,
    params: dict[str, Any],
    candidates: tuple[Candidate, ...],
    state: dict[str, object],
) -> Decision:
    return Decision(
        outcome=Outcome.assigned,
        reason=f"rule '{rule.name}' matched; {_reason_text(params)}",
        reason_code=STRATEGY,
        reason_params=params,
        rep_id=rep_id,
        rule_id=rule.id,
        rule_name=rule.name,
        strategy=STRATEGY,
        trace=found.trace,
        rules_skipped=found.rules_skipped,
        candidates=candidates,
        more_candidates=len(found.eligible) - len(candidates),
        exclusions=found.exclusions,
        state_before=state,
        state_after=state,
    )


_WHY_TEXT = {
    "full": "was full in this batch",
    "bound": "had reached the rule's limit per rep in this batch",
    "trade": "went to customers the batch gains more on",
}


def _reason_text(params: Mapping[str, Any]) -> str:
    """``batch optimal: Alice (p 0.41) was full in this batch; Bob (p 0.38)``."""
    chosen = f"{params['rep']} (p {params['p']:.2f})"
    if params["why"] == "best":
        return f"batch optimal: {chosen}, the best p(win) for it"
    best = f"{params['best_rep']} (p {params['best_p']:.2f})"
    return f"batch optimal: {best} {_WHY_TEXT[params['why']]}; {chosen}"


def _fall_back(
    customers: Sequence[Customer],
    left_out: Sequence[tuple[int, Match]],
    ctx: RoutingContext,
    reps: dict[int, RepState],
    now: datetime,
    rng: Random,
) -> list[tuple[int, Decision]]:
    """The customers the flow could not place, as their rule's fallback says: the rules
    below it (routed as a batch with the loads now, which ``reps`` follows), its pool, or
    the queue."""
    decided: list[tuple[int, Decision]] = []
    onward: dict[int, list[int]] = {}
    for row, found in left_out:
        rule = found.rule
        assert rule is not None
        note = RuleTrace(rule.id, rule.name, "no_eligible_rep", BATCH_FULL)
        if rule.fallback is Fallback.next_rule:
            onward.setdefault(found.rules_skipped, []).append(row)
            continue
        alone = RoutingContext(rules=(CompiledRule(rule, _ALWAYS),), reps={})
        final = match(customers[row], alone, now=now).final
        assert final is not None
        params = {**final.reason_params, "why": "batch_full", "note": BATCH_FULL}
        reason = final.reason.replace("nobody in the target", BATCH_FULL)
        decided.append(
            (
                row,
                replace(
                    final,
                    reason=reason,
                    reason_params=params,
                    trace=(note,),
                    rules_skipped=found.rules_skipped,
                    exclusions=found.exclusions,
                ),
            )
        )
    for position, group in sorted(onward.items()):
        below = replace(ctx.with_states(reps), rules=ctx.rules[position + 1 :], selector=None)
        routed = route_many([customers[r] for r in group], below, now=now, rng=rng)
        rule = ctx.rules[position].rule
        note = RuleTrace(rule.id, rule.name, "no_eligible_rep", BATCH_FULL)
        for row, decision in zip(group, routed, strict=True):
            if decision.outcome is Outcome.assigned and decision.rep_id is not None:
                reps[decision.rep_id] = received(reps[decision.rep_id], customers[row], now=now)
            trace = (note, *decision.trace)
            skipped = position + decision.rules_skipped
            decided.append((row, replace(decision, trace=trace, rules_skipped=skipped)))
    return decided
