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

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from random import Random
from typing import Protocol

import numpy as np
import numpy.typing as npt

from fenpei.domain.customers import Customer
from fenpei.engine.bulk import received, route_many
from fenpei.engine.conditions import All, compile_conditions
from fenpei.engine.items import WorkItem
from fenpei.engine.model import (
    TOP_CANDIDATES,
    Candidate,
    Decision,
    Fallback,
    Outcome,
    RepState,
    RoutingRule,
    RuleTrace,
)
from fenpei.engine.optimal import Problem, solve
from fenpei.engine.router import CompiledRule, Match, RoutingContext, match
from fenpei.engine.scoring.contract import Affinity
from fenpei.engine.strategies.batch_optimal import bounds
from fenpei.engine.strategies.predicted_conversion import customer_value

STRATEGY = "batch_optimal"
BATCH_FULL = "every eligible rep is full in this batch"
_ALWAYS = compile_conditions(All(()))


class AffinityMatrix(Protocol):
    """An affinity that answers for many customers at once (a learned model's vectorised
    path): p(win) as a customers × reps array, rows and columns in the order given."""

    def p_matrix(
        self, customers: Sequence[WorkItem], rep_ids: Sequence[int]
    ) -> npt.NDArray[np.float64]: ...


def p_matrix(
    affinity: Affinity, customers: Sequence[WorkItem], rep_ids: Sequence[int]
) -> npt.NDArray[np.float64]:
    """p(win) for every customer × rep: the model's own matrix if it has one, else its
    ``p_win`` customer by customer (missing reps count 0)."""
    vectorised = getattr(affinity, "p_matrix", None)
    if callable(vectorised):
        return np.asarray(vectorised(customers, rep_ids), dtype=np.float64)
    rows = np.zeros((len(customers), len(rep_ids)), dtype=np.float64)
    for row, customer in enumerate(customers):
        p = affinity.p_win(customer, rep_ids)
        rows[row] = [float(p.get(rep_id, 0.0)) for rep_id in rep_ids]
    return rows


def room(state: RepState, unlimited: int) -> int:
    """How many more customers a rep may receive before any limit (``unlimited`` if none)."""
    rep, usage = state.rep, state.usage
    left = [
        limit - used
        for limit, used in (
            (rep.max_open, usage.open_count),
            (rep.max_per_day, usage.received_day),
            (rep.max_per_week, usage.received_week),
            (rep.max_per_month, usage.received_month),
        )
        if limit is not None
    ]
    return max(0, min([unlimited, *left]))


def optimises(ctx: RoutingContext) -> bool:
    """Whether ``route_optimal`` has anything to solve here: a model active and a rule
    running batch_optimal (else ``route_many`` decides the same, faster)."""
    return ctx.affinity is not None and any(
        compiled.rule.strategy == STRATEGY for compiled in ctx.rules
    )


def solves_in_batch(found: Match) -> bool:
    """Whether the customer's deciding rule runs batch_optimal (with no holdout: a holdout
    draws each customer's arm, so its customers are routed one by one)."""
    rule = found.rule
    return (
        found.final is None
        and rule is not None
        and rule.strategy == STRATEGY
        and (rule.holdout is None)
    )


def route_optimal(
    customers: Sequence[Customer], ctx: RoutingContext, *, now: datetime, rng: Random
) -> list[Decision]:
    """Decide for every customer of the batch (see the module's notes), in their order."""
    if ctx.affinity is None or not customers:
        return route_many(customers, ctx, now=now, rng=rng)
    found = [match(customer, ctx, now=now) for customer in customers]
    groups: dict[int, list[int]] = {}
    for row, one in enumerate(found):
        if solves_in_batch(one):
            assert one.rule is not None
            groups.setdefault(one.rule.id, []).append(row)
    decisions: dict[int, Decision] = {}
    reps = dict(ctx.reps)
    positions = {compiled.rule.id: at for at, compiled in enumerate(ctx.rules)}
    left_out: list[int] = []
    for rule_id in sorted(groups, key=lambda r: positions.get(r, len(positions))):
        rows = groups[rule_id]
        solved = _solve_rule(
            [customers[r] for r in rows],
            [found[r] for r in rows],
            reps,
            ctx.affinity,
            dict(ctx.states.get(rule_id, {})),
        )
        for row, decision in zip(rows, solved, strict=True):
            if decision is None:
                left_out.append(row)
                continue
            decisions[row] = decision
            assert decision.rep_id is not None
            reps[decision.rep_id] = received(reps[decision.rep_id], customers[row], now=now)
    for row, decision in _fall_back(customers, found, left_out, ctx, reps, positions, now, rng):
        decisions[row] = decision
    rest = [row for row in range(len(customers)) if row not in decisions]
    if rest:
        routed = route_many([customers[r] for r in rest], ctx.with_states(reps), now=now, rng=rng)
        decisions.update(zip(rest, routed, strict=True))
    return [decisions[row] for row in range(len(customers))]


def _solve_rule(
    customers: Sequence[Customer],
    found: Sequence[Match],
    reps: Mapping[int, RepState],
    affinity: Affinity,
    state: dict[str, object],
) -> list[Decision | None]:
    """One rule's customers placed by the flow; None for those it could not place."""
    rule = found[0].rule
    assert rule is not None
    rep_ids = sorted({s.id for one in found for s in one.eligible})
    column = {rep_id: at for at, rep_id in enumerate(rep_ids)}
    weights = p_matrix(affinity, customers, rep_ids)
    values = np.array([customer_value(c, rule.strategy_options) for c in customers])
    arc_customer: list[npt.NDArray[np.int64]] = []
    arc_rep: list[npt.NDArray[np.int64]] = []
    for row, one in enumerate(found):
        cols = np.fromiter((column[s.id] for s in one.eligible), dtype=np.int64)
        arc_customer.append(np.full(len(cols), row, dtype=np.int64))
        arc_rep.append(cols)
    tails, heads = np.concatenate(arc_customer), np.concatenate(arc_rep)
    p = weights[tails, heads]
    low, high = bounds(rule.strategy_options)
    rooms = np.array([room(reps[r], len(customers)) for r in rep_ids], dtype=np.int64)
    solution = solve(
        Problem(
            customers=len(customers),
            reps=len(rep_ids),
            arc_customer=tails,
            arc_rep=heads,
            weight=p * values[tails],
            room=rooms,
            min_per_rep=low,
            max_per_rep=high,
        )
    )
    full = solution.taken >= rooms
    placed: list[Decision | None] = []
    for row, one in enumerate(found):
        at = int(solution.rep_of[row])
        if at < 0:
            placed.append(None)
            continue
        why = _why(row, at, weights, one, column, full, solution.taken, high)
        made = _decision(one, rule, weights[row], values[row], rep_ids[at], column, why)
        placed.append(replace(made, state_before=state, state_after=state))
    return placed


def _why(
    row: int,
    at: int,
    weights: npt.NDArray[np.float64],
    one: Match,
    column: Mapping[int, int],
    full: npt.NDArray[np.bool_],
    taken: npt.NDArray[np.int64],
    high: int | None,
) -> tuple[int, str]:
    """The customer's own best rep (column) and why it did not get them (``best`` if it
    did; ``full``: the best had no room left in the batch; ``bound``: the best reached
    the rule's max_per_rep; ``trade``: the best served others the batch gains more on)."""
    best = max((column[s.id] for s in one.eligible), key=lambda c: (weights[row, c], -c))
    if weights[row, best] <= weights[row, at]:
        return at, "best"
    if full[best]:
        return best, "full"
    if high is not None and taken[best] >= high:
        return best, "bound"
    return best, "trade"


def _decision(
    one: Match,
    rule: RoutingRule,
    p: npt.NDArray[np.float64],
    value: float,
    rep_id: int,
    column: Mapping[int, int],
    why: tuple[int, str],
) -> Decision:
    names = {s.id: s.rep.name for s in one.eligible}
    ranked = sorted(one.eligible, key=lambda s: (-p[column[s.id]], s.id))[:TOP_CANDIDATES]
    candidates = tuple(
        Candidate(s.id, s.rep.name, round(float(p[column[s.id]]) * value, 6) + 0.0) for s in ranked
    )
    best_id = next(r for r, c in column.items() if c == why[0])
    chosen_p, best_p = float(p[column[rep_id]]), float(p[why[0]])
    params: dict[str, object] = {"p": chosen_p, "why": why[1], "rep": names[rep_id]}
    if why[1] != "best":
        params.update(best_rep_id=best_id, best_rep=names[best_id], best_p=best_p)
    if value != 1.0:
        params["value"] = value
    return Decision(
        outcome=Outcome.assigned,
        reason=f"rule '{rule.name}' matched; {_reason_text(params)}",
        reason_code=STRATEGY,
        reason_params=params,
        rep_id=rep_id,
        rule_id=rule.id,
        rule_name=rule.name,
        strategy=STRATEGY,
        trace=one.trace,
        rules_skipped=one.rules_skipped,
        candidates=candidates,
        more_candidates=len(one.eligible) - len(candidates),
        exclusions=one.exclusions,
    )


_WHY_TEXT = {
    "full": "was full in this batch",
    "bound": "had reached the rule's limit per rep in this batch",
    "trade": "went to customers the batch gains more on",
}


def _reason_text(params: Mapping[str, object]) -> str:
    """``batch optimal: Alice (p 0.41) was full in this batch; Bob (p 0.38)``."""
    chosen = f"{params['rep']} (p {float(params['p']):.2f})"  # type: ignore[arg-type]
    if params["why"] == "best":
        return f"batch optimal: {chosen}, the best p(win) for it"
    best = f"{params['best_rep']} (p {float(params['best_p']):.2f})"  # type: ignore[arg-type]
    return f"batch optimal: {best} {_WHY_TEXT[str(params['why'])]}; {chosen}"


def _fall_back(
    customers: Sequence[Customer],
    found: Sequence[Match],
    rows: Sequence[int],
    ctx: RoutingContext,
    reps: dict[int, RepState],
    positions: Mapping[int, int],
    now: datetime,
    rng: Random,
) -> list[tuple[int, Decision]]:
    """The customers the flow could not place, as their rule's fallback says: the rules
    below it (routed as a batch with the loads now, which ``reps`` follows), its pool, or
    the queue."""
    decided: list[tuple[int, Decision]] = []
    onward: dict[int, list[int]] = {}
    for row in rows:
        rule = found[row].rule
        assert rule is not None
        note = RuleTrace(rule.id, rule.name, "no_eligible_rep", BATCH_FULL)
        trace = (*found[row].trace[:-1], note)
        if rule.fallback is Fallback.next_rule:
            onward.setdefault(positions[rule.id], []).append(row)
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
                    trace=trace,
                    exclusions=found[row].exclusions,
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
            trace = (*found[row].trace[:-1], note, *decision.trace)
            decided.append((row, replace(decision, trace=trace)))
    return decided
