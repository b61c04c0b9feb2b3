"""Redistributing a pool (公海再分配): every customer waiting in a pool solved in one batch
under a rule's target and capacities, the most expected wins first (``batch_optimal``).

A manager or admin picks the pool and the rule; the dry run says what would happen and
changes nothing; the real run records every assignment through the routing path (owner,
record, event, audit, SLA clock) under the reps' locks, as a routed batch does. The rule's
conditions are not asked (the manager chose the customers), nor its window; its target,
required skills, capacity and batch options are. Customers nobody has room for stay in
the pool.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from random import Random
from typing import Any

from fenpei.domain.errors import Conflict, PermissionDenied, ValidationFailed
from fenpei.domain.phrases import Phrase
from fenpei.domain.users import Actor, Role
from fenpei.engine.batch_routing import STRATEGY, route_optimal
from fenpei.engine.conditions import All, compile_conditions
from fenpei.engine.model import Decision, Fallback, Outcome, RoutingRule, TargetKind
from fenpei.engine.router import CompiledRule
from fenpei.engine.strategies.batch_optimal import OPTIONS
from fenpei.services import scope
from fenpei.services.pool.terms import visible_pool
from fenpei.services.ports import CustomerQuery, UnitOfWork
from fenpei.services.routing import record_decision
from fenpei.services.rulebook import RuleBook, load_context

MAX_REDISTRIBUTION = 5_000  # customers solved in one batch; a bigger pool is refused
PREVIEW = 50  # decisions a dry run lists one by one (all are counted)
_ALWAYS = compile_conditions(All(()))
_TARGETS = (TargetKind.reps, TargetKind.team, TargetKind.skill)


@dataclass(frozen=True)
class Redistribution:
    """What a redistribution did (or, a dry run, would do): per rep how many customers,
    how many stay in the pool, the expected wins (sum of p(win) placed; None with no model
    active, when the batch was spread by load instead) and the first decisions."""

    pool: str
    rule_id: int
    rule_name: str
    dry_run: bool
    considered: int
    placed: dict[int, int]
    rep_names: dict[int, str]
    staying: int
    expected_wins: float | None
    decisions: list[tuple[int, Decision]] = field(default_factory=list)
    customer_names: dict[int, str] = field(default_factory=dict)  # of those decisions


def _batch_rule(uow: UnitOfWork, rulebook: RuleBook, rule_id: int, now: datetime) -> RoutingRule:
    config = rulebook.config(uow, now=now)
    found = next((c.rule for c in config.rules if c.rule.id == rule_id), None)
    if found is None:
        text = "no enabled rule has id {rule_id}"
        raise ValidationFailed.one("rule_id", Phrase("optimal.no_rule", text, rule_id=rule_id))
    if found.target.kind not in _TARGETS:
        text = "rule {rule!r} targets {kind}; pick a rule that names reps"
        kind = found.target.kind.value
        raise ValidationFailed.one(
            "rule_id", Phrase("optimal.not_reps", text, rule=found.name, kind=kind)
        )
    options: dict[str, Any] = {k: v for k, v in found.strategy_options.items() if k in OPTIONS}
    # Nobody with room: the customer stays (a pool outcome back into its own pool is
    # not recorded, see redistribute_pool).
    return replace(
        found,
        strategy=STRATEGY,
        strategy_options=options,
        holdout=None,
        window=None,
        enabled=True,
        fallback=Fallback.team_pool,
    )


def redistribute_pool(
    *,
    uow: UnitOfWork,
    rulebook: RuleBook,
    pool: str,
    rule_id: int,
    actor: Actor,
    now: datetime,
    rng: Random,
    dry_run: bool = True,
    limit: int = MAX_REDISTRIBUTION,
) -> Redistribution:
    """Solve every customer waiting in ``pool`` in one batch under rule ``rule_id``."""
    scope.require_writer(actor, "redistribute a pool")
    visible_pool(uow, actor, pool)
    rule = _batch_rule(uow, rulebook, rule_id, now)
    _check_scope(uow, actor, rule)
    ids = list(uow.customers.owners_matching(CustomerQuery(pool=pool), limit=limit + 1))
    if len(ids) > limit:
        text = "more than {limit} customers wait in {pool!r}; move some to another pool"
        raise ValidationFailed.one("pool", Phrase("optimal.too_many", text, limit=limit, pool=pool))
    customers = [
        c
        for c in uow.customers.lock_many(ids)
        if c.owner_id is None and c.deleted_at is None and c.pool == pool
    ]
    config = rulebook.config(uow, now=now)
    locked = {} if dry_run else {rep.id: rep for rep in uow.reps.lock_many(config.reps)}
    if uow.routing.config_stamp(now=now) != config.stamp:
        raise Conflict("the routing configuration changed meanwhile; try again")
    decisions: list[Decision] = []
    if customers:
        ctx = load_context(
            uow=uow,
            rulebook=rulebook,
            customer=customers[0],
            now=now,
            everyone=True,
            states={},
            config=config,
        )
        ctx = replace(
            ctx, rules=(CompiledRule(replace(rule, fallback_pool=pool), _ALWAYS),), selector=None
        )
        decisions = route_optimal(customers, ctx, now=now, rng=rng)
    placed = Counter(d.rep_id for d in decisions if d.outcome is Outcome.assigned)
    if not dry_run:
        for customer, decision in zip(customers, decisions, strict=True):
            if decision.outcome is Outcome.assigned and decision.rep_id is not None:
                record_decision(uow, customer, decision, actor, now, rep=locked[decision.rep_id])
    names = {s.id: s.rep.name for s in (config.reps.values())}
    with_p = [d for d in decisions if d.outcome is Outcome.assigned and "p" in d.reason_params]
    return Redistribution(
        pool=pool,
        rule_id=rule.id,
        rule_name=rule.name,
        dry_run=dry_run,
        considered=len(customers),
        placed={rep_id: n for rep_id, n in sorted(placed.items()) if rep_id is not None},
        rep_names={rep_id: names.get(rep_id, str(rep_id)) for rep_id in placed if rep_id},
        staying=len(customers) - sum(placed.values()),
        expected_wins=(
            sum(float(d.reason_params["p"]) for d in with_p) if config.affinity else None
        ),
        decisions=[(c.id or 0, d) for c, d in zip(customers, decisions, strict=True)][:PREVIEW],
        customer_names={c.id or 0: c.name for c in customers[:PREVIEW]},
    )


def redistribution_rules(
    *, uow: UnitOfWork, rulebook: RuleBook, now: datetime
) -> list[RoutingRule]:
    """The enabled rules a pool may be redistributed under: those that name reps."""
    config = rulebook.config(uow, now=now)
    return [c.rule for c in config.rules if c.rule.enabled and c.rule.target.kind in _TARGETS]


def _check_scope(uow: UnitOfWork, actor: Actor, rule: RoutingRule) -> None:
    """A manager may redistribute only to reps in their data scope."""
    if actor.role is Role.admin:
        return
    within = scope.data_scope(uow=uow, actor=actor)
    if within.unrestricted:
        return
    team = rule.target.team_id if rule.target.kind is TargetKind.team else None
    if team is not None and within.covers_team(team):
        return
    raise PermissionDenied(f"rule {rule.name!r} may give customers to reps outside your teams")
