"""Routing customers through the rules: at once on arrival, as a dry run, from the queue."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from random import Random

from fenpei.domain.assignments import Assignment, AssignMethod
from fenpei.domain.customers import Customer
from fenpei.domain.errors import Conflict
from fenpei.domain.org import Capacity, Rep
from fenpei.domain.rules import PUBLIC_POOL
from fenpei.domain.users import Actor
from fenpei.engine.capacity import Usage
from fenpei.engine.eligibility import exclusion_reason
from fenpei.engine.explain import explained_json
from fenpei.engine.model import Decision, Outcome, RepState, RoutingRule
from fenpei.engine.router import Match, decide, match, route
from fenpei.engine.strategies import get_strategy
from fenpei.services import _audit
from fenpei.services.assignments import give, release
from fenpei.services.customers import get_customer, validate_customer_fields
from fenpei.services.ports import UnitOfWork
from fenpei.services.rulebook import RoutingConfig, RuleBook, load_context, with_loads

MAX_ATTEMPTS = 5
UNLIMITED = Capacity()


def record_decision(
    uow: UnitOfWork,
    customer: Customer,
    decision: Decision,
    actor: Actor,
    now: datetime,
    *,
    rep: Rep | None = None,
) -> Assignment | None:
    """Write what a decision means: an owner and its record, a pool and its record, or the
    queue (no record: nothing changed hands). The explanation goes with the record.

    For an assignment, ``rep`` is the chosen rep, whose row the caller has locked."""
    explanation = explained_json(decision)
    reason = str(explanation["text"])[:1000]
    if decision.outcome is Outcome.assigned:
        assert rep is not None and rep.id == decision.rep_id, "pass the locked, chosen rep"
        return give(
            uow,
            customer=customer,
            rep=rep,
            method=AssignMethod.rule,
            actor=actor,
            reason=reason,
            now=now,
            explanation=explanation,
            rule_id=decision.rule_id,
            strategy=decision.strategy,
            arm=decision.arm,
        )
    if decision.outcome is Outcome.pool:
        return release(
            uow,
            customer=customer,
            pool=decision.pool or PUBLIC_POOL,
            method=AssignMethod.rule,
            actor=actor,
            reason=reason,
            now=now,
            explanation=explanation,
            audit_action="route.pool",
            rule_id=decision.rule_id,
        )
    before = _audit.snapshot(customer)
    reason = decision.reason[:500]
    if customer.queued_at is not None and customer.queue_reason == reason:
        return None  # still waiting for the same reason: nothing new to record
    customer.queue_reason, customer.queued_at = reason, customer.queued_at or now
    customer.updated_at = now
    _audit.record(uow, actor=actor, action="route.queue", obj=customer, now=now, before=before)
    return None


def route_customer(
    *,
    uow: UnitOfWork,
    rulebook: RuleBook,
    customer_id: int,
    actor: Actor,
    now: datetime,
    rng: Random,
    created: Customer | None = None,
    config: RoutingConfig | None = None,
) -> Decision:
    """Route an unowned customer through the rules and record the outcome, atomically.

    Locks in the same order as manual assignment (customer, then the rule's strategy
    state, then the chosen rep), so concurrent requests never deadlock. The rule is found
    on loads read without locks and the kept configuration; a strategy that weighs loads
    reads them again under the rule's lock. Under the chosen rep's lock their fresh row
    and load are checked again. If they no longer qualify (filled up,
    or switched away, meanwhile), the attempt is undone to a savepoint (releasing its
    locks) and made again on fresh data. The caller's earlier work in the same
    transaction (e.g. creating the customer) is kept.

    ``created`` is the customer if this transaction has just inserted it: no other one can
    see it, let alone lock it, so it is not read again. ``config`` is the configuration the
    caller has just checked; it serves the first attempt, and later ones read it afresh.
    """
    assert created is None or created.id == customer_id, "created is the customer routed"
    for _ in range(MAX_ATTEMPTS):
        attempt = uow.savepoint()
        customer = (
            created
            if created is not None
            else get_customer(uow=uow, customer_id=customer_id, lock=True)
        )
        if customer.owner_id is not None:
            attempt.rollback()
            raise Conflict(f"customer {customer_id} is already owned; transfer it instead")
        ctx = load_context(uow=uow, rulebook=rulebook, customer=customer, now=now, config=config)
        config = None  # a retry happens because something changed: read the stamp again
        found = match(customer, ctx, now=now)
        if found.rule is None:
            decision = decide(found, customer=customer, state={}, rng=rng, affinity=ctx.affinity)
            record_decision(uow, customer, decision, actor, now)
            attempt.release()
            return decision
        rule = found.rule
        state = uow.rules.lock_state(rule.id)
        if get_strategy(rule.strategy).weighs_load:
            # The loads were read before this rule's lock: a router of the same rule may
            # have committed since. Read them again under it, so concurrent decisions
            # balance as one-at-a-time ones would; if the rule no longer decides, undo.
            ctx = with_loads(uow, ctx, rep_ids=_reps_seen(found), now=now, memo=rulebook.loaded)
            found = match(customer, ctx, now=now)
            if found.rule is not rule:
                attempt.rollback()
                continue
        decision = decide(
            found,
            customer=customer,
            state=state.state if state else {},
            rng=rng,
            affinity=ctx.affinity,
        )
        assert decision.rep_id is not None
        rep = uow.reps.get(decision.rep_id, lock=True)
        assert rep is not None and rep.id is not None
        if still_qualifies(uow, replace(ctx.reps[rep.id], rep=rep), rule, now):
            if state is not None:
                state.state, state.updated_at = decision.state_after, now
            record_decision(uow, customer, decision, actor, now, rep=rep)
            attempt.release()
            return decision
        # Someone filled that rep (or changed them) after we read: undo this attempt, which
        # also releases its locks, and read again; the fresh data exclude that rep.
        attempt.rollback()
    raise Conflict(f"customer {customer_id}: reps kept filling up while routing; try again")


def _reps_seen(found: Match) -> set[int]:
    """The reps a match weighed: those eligible and those it excluded."""
    return {state.id for state in found.eligible} | {e.rep_id for e in found.exclusions}


def still_qualifies(uow: UnitOfWork, locked: RepState, rule: RoutingRule, now: datetime) -> bool:
    """Whether the chosen rep, as their locked row says, may still receive the customer.
    Their load is read again only if they have a limit: the row lock keeps it from
    changing until commit, so the check cannot race."""
    rep = locked.rep
    assert rep.id is not None
    usage = (
        uow.routing.loads(now=now, rep_ids=[rep.id])[rep.id].usage
        if rep.capacity != UNLIMITED
        else Usage(0)
    )
    reason = exclusion_reason(
        replace(locked, usage=usage), now=now, required_skills=rule.required_skills
    )
    return reason is None


def preview(
    *,
    uow: UnitOfWork,
    rulebook: RuleBook,
    fields: Mapping[str, object],
    now: datetime,
    rng: Random,
) -> Decision:
    """Where a customer with these fields would go, and why — without writing anything."""
    config = rulebook.config(uow, now=now)
    cleaned = validate_customer_fields(
        uow,
        fields,
        partial=False,
        categories=config.categories,
        custom_fields=config.custom_fields,
    )
    cleaned.setdefault("created_at", now)
    customer = Customer(**cleaned)  # type: ignore[arg-type]
    ctx = load_context(
        uow=uow,
        rulebook=rulebook,
        customer=customer,
        now=now,
        states=uow.rules.states(),
        config=config,
    )
    return route(customer, ctx, now=now, rng=rng)


def route_without(
    uow: UnitOfWork,
    *,
    rulebook: RuleBook,
    customer: Customer,
    rep_id: int,
    actor: Actor,
    now: datetime,
    rng: Random,
) -> Decision | None:
    """Route ``customer`` again with rep ``rep_id`` left out of the candidates (the owner
    who missed its SLA, or lost it to reclaim) and record the outcome; None (nothing
    changes) if it could only be queued. The caller holds the customer's lock. The rule's
    strategy state (a round-robin cursor) is not advanced."""
    ctx = load_context(uow=uow, rulebook=rulebook, customer=customer, now=now)
    others = {rep: state for rep, state in ctx.reps.items() if rep != rep_id}
    decision = route(customer, replace(ctx, reps=others), now=now, rng=rng)
    if decision.outcome is Outcome.queued:
        return None
    rep = None
    if decision.outcome is Outcome.assigned:
        assert decision.rep_id is not None
        rep = uow.reps.get(decision.rep_id, lock=True)
    record_decision(uow, customer, decision, actor, now, rep=rep)
    return decision
