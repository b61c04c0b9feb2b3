"""Routing customers through the rules: at once on arrival, as a dry run, from the queue."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from random import Random

from fenpei.domain.assignments import Assignment, AssignMethod
from fenpei.domain.customers import Customer
from fenpei.domain.errors import Conflict, NotFound
from fenpei.domain.org import Leave
from fenpei.domain.rules import Rule
from fenpei.domain.users import Actor
from fenpei.engine.bulk import route_many
from fenpei.engine.capacity import Usage, capacity_breach
from fenpei.engine.conditions import compile_conditions, parse_conditions
from fenpei.engine.explain import decision_json, explain
from fenpei.engine.fields import field_catalog
from fenpei.engine.model import Decision, Outcome, RepState, TargetKind
from fenpei.engine.router import (
    AccountIndex,
    CompiledRule,
    RoutingContext,
    decide,
    digits,
    email_domain,
    match,
    target_reps,
)
from fenpei.engine.rule_index import RuleIndex
from fenpei.services import _audit
from fenpei.services.assignments import give
from fenpei.services.customers import get_customer, validate_customer_fields
from fenpei.services.ports import UnitOfWork
from fenpei.services.rules import engine_rule

MAX_ATTEMPTS = 5


class RuleBook:
    """Compiled rules, kept by (rule id, version, custom fields) so 1,000 rules are compiled
    once rather than for every customer. One per process; safe to share read-only."""

    def __init__(self) -> None:
        self._compiled: dict[tuple[int, int, str], CompiledRule] = {}
        self._indexes: dict[tuple[tuple[int, int, str], ...], RuleIndex] = {}

    def rules_and_index(
        self, uow: UnitOfWork, rules: list[Rule]
    ) -> tuple[list[CompiledRule], RuleIndex]:
        """The compiled rules and an index over them, both reused while nothing changed."""
        custom_fields = uow.custom_fields.all()
        signature = hashlib.sha1(
            json.dumps([(d.key, str(d.kind), d.choices) for d in custom_fields]).encode()
        ).hexdigest()
        compiled = self.compile(uow, rules)
        key = tuple((r.id or 0, r.version, signature) for r in rules)
        if key not in self._indexes:
            if len(self._indexes) > 16:  # rule sets change rarely; keep a few
                self._indexes.clear()
            self._indexes[key] = RuleIndex(compiled, field_catalog(custom_fields))
        return compiled, self._indexes[key]

    def compile(self, uow: UnitOfWork, rules: list[Rule]) -> list[CompiledRule]:
        custom_fields = uow.custom_fields.all()
        signature = hashlib.sha1(
            json.dumps([(d.key, str(d.kind), d.choices) for d in custom_fields]).encode()
        ).hexdigest()
        catalog = field_catalog(custom_fields)
        compiled = []
        for rule in rules:
            assert rule.id is not None
            key = (rule.id, rule.version, signature)
            if key not in self._compiled:
                predicate = compile_conditions(parse_conditions(rule.conditions, catalog))
                self._compiled[key] = CompiledRule(engine_rule(uow, rule), predicate)
            compiled.append(self._compiled[key])
        return compiled


def load_context(
    *,
    uow: UnitOfWork,
    rulebook: RuleBook,
    customer: Customer,
    now: datetime,
    everyone: bool = False,
) -> RoutingContext:
    """Everything the engine needs for ``customer``, read in a handful of queries.
    ``everyone`` loads every rep's load (for batches), not just the reachable reps'."""
    rules, index = rulebook.rules_and_index(uow, uow.rules.active())
    teams = uow.teams.all()
    parent = {team.id: team.parent_id for team in teams if team.id is not None}
    sub_teams: dict[int, list[int]] = {}
    for team_id, parent_id in parent.items():
        if parent_id is not None:
            sub_teams.setdefault(parent_id, []).append(team_id)
    leaves: dict[int, list[Leave]] = {}
    for leave in uow.routing.leaves_around(now=now):
        leaves.setdefault(leave.rep_id, []).append(leave)
    reps: dict[int, RepState] = {}
    for rep in uow.reps.all():
        assert rep.id is not None
        ancestry: list[int] = []
        current = rep.team_id
        while current is not None and current not in ancestry:
            ancestry.append(current)
            current = parent.get(current)
        reps[rep.id] = RepState(
            rep=rep, usage=Usage(0), team_ids=tuple(ancestry), leaves=tuple(leaves.get(rep.id, ()))
        )
    accounts = AccountIndex()
    if any(r.rule.target.kind is TargetKind.account_owner for r in rules):
        owners = uow.routing.account_owners(
            company=(customer.company_name or "").strip() or None,
            email_domain=email_domain(customer.email) or None,
            phone_digits=digits(customer.phone) or None,
        )
        accounts = AccountIndex(
            by_company={(customer.company_name or "").strip().casefold(): owners["company"]}
            if "company" in owners
            else {},
            by_email_domain={email_domain(customer.email): owners["email_domain"]}
            if "email_domain" in owners
            else {},
            by_phone={digits(customer.phone): owners["phone"]} if "phone" in owners else {},
        )
    ctx = RoutingContext(
        rules=rules,
        reps=reps,
        sub_teams=sub_teams,
        accounts=accounts,
        states=uow.rules.states(),
        selector=index,
    )
    # Only the reps this customer's candidate rules can reach need their load read: a
    # query per decision over a handful of reps, not over the whole sales force.
    wanted = (
        reps.keys()
        if everyone
        else {
            state.id
            for compiled in index.for_customer(customer)
            for state in target_reps(compiled.rule, customer, ctx)[0]
        }
    )
    loads = uow.routing.loads(now=now, rep_ids=wanted)
    return replace(
        ctx,
        reps={
            rep_id: replace(
                state,
                usage=loads[rep_id].usage,
                open_value=loads[rep_id].open_value,
                last_assigned_at=loads[rep_id].last_assigned_at,
            )
            if rep_id in loads
            else state
            for rep_id, state in reps.items()
        },
    )


def _record(
    uow: UnitOfWork, customer: Customer, decision: Decision, actor: Actor, now: datetime
) -> Assignment | None:
    explanation = {**decision_json(decision), "text": explain(decision)}
    if decision.outcome is Outcome.assigned:
        rep = uow.reps.get(decision.rep_id, lock=True)  # type: ignore[arg-type]
        assert rep is not None
        return give(
            uow,
            customer=customer,
            rep=rep,
            method=AssignMethod.rule,
            actor=actor,
            reason=explain(decision)[:1000],
            now=now,
            explanation=explanation,
            rule_id=decision.rule_id,
            strategy=decision.strategy,
        )
    before = _audit.snapshot(customer)
    if decision.outcome is Outcome.pool:
        customer.updated_at = now
        assert customer.id is not None
        customer.pool, customer.queue_reason, customer.queued_at = decision.pool, None, None
        record = Assignment(
            customer_id=customer.id,
            from_rep_id=customer.owner_id,
            to_rep_id=None,
            method=AssignMethod.rule,
            at=now,
            reason=explain(decision)[:1000],
            explanation=explanation,
            actor=actor.name,
            rule_id=decision.rule_id,
        )
        customer.owner_id = None
        uow.assignments.add(record)
        _audit.record(uow, actor=actor, action="route.pool", obj=customer, now=now, before=before)
        return record
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
) -> Decision:
    """Route an unowned customer through the rules and record the outcome, atomically.

    Locks in the same order as manual assignment (customer, then the rule's strategy
    state, then the chosen rep), so concurrent requests never deadlock. If the chosen rep
    filled up after we read their load, the attempt is undone to a savepoint (releasing
    its locks) and made again on fresh loads. The caller's earlier work in the same
    transaction (e.g. creating the customer) is kept.
    """
    for _ in range(MAX_ATTEMPTS):
        attempt = uow.savepoint()
        customer = get_customer(uow=uow, customer_id=customer_id, lock=True)
        if customer.owner_id is not None:
            attempt.rollback()
            raise Conflict(f"customer {customer_id} is already owned; transfer it instead")
        ctx = load_context(uow=uow, rulebook=rulebook, customer=customer, now=now)
        found = match(customer, ctx, now=now)
        if found.rule is None:
            decision = decide(found, customer=customer, state={}, rng=rng)
            _record(uow, customer, decision, actor, now)
            attempt.release()
            return decision
        state = uow.rules.lock_state(found.rule.id)
        decision = decide(found, customer=customer, state=state.state if state else {}, rng=rng)
        rep = uow.reps.get(decision.rep_id, lock=True)  # type: ignore[arg-type]
        assert rep is not None and rep.id is not None
        if capacity_breach(rep.capacity, uow.reps.usage(rep.id, now=now)) is None:
            if state is not None:
                state.state, state.updated_at = decision.state_after, now
            _record(uow, customer, decision, actor, now)
            attempt.release()
            return decision
        # Someone filled that rep after we read the loads: undo this attempt, which also
        # releases its locks, and read again; the fresh loads exclude the full rep.
        attempt.rollback()
    raise Conflict(f"customer {customer_id}: reps kept filling up while routing; try again")


def preview(
    *,
    uow: UnitOfWork,
    rulebook: RuleBook,
    fields: Mapping[str, object],
    now: datetime,
    rng: Random,
) -> Decision:
    """Where a customer with these fields would go, and why — without writing anything."""
    cleaned = validate_customer_fields(uow, fields, partial=False)
    cleaned.setdefault("created_at", now)
    customer = Customer(**cleaned)  # type: ignore[arg-type]
    ctx = load_context(uow=uow, rulebook=rulebook, customer=customer, now=now)
    found = match(customer, ctx, now=now)
    state = ctx.states.get(found.rule.id, {}) if found.rule else {}
    return decide(found, customer=customer, state=state, rng=rng)


def route_batch(
    *,
    uow: UnitOfWork,
    rulebook: RuleBook,
    customer_ids: Sequence[int],
    actor: Actor,
    now: datetime,
    rng: Random,
) -> list[Decision]:
    """Route many unowned customers in one transaction through the vectorised evaluator.

    Takes every lock up front in the usual order (customers, rule states, reps — each by
    id), reads the loads afterwards, and lets ``route_many`` carry capacity and strategy
    state from one customer to the next: the same decisions as routing them one by one.
    Owned or deleted customers are left alone. Rules that look up account owners need
    a query per customer, so with such a rule the customers are routed one by one.
    """
    customers = [
        c
        for c in uow.customers.lock_many(customer_ids)
        if c.owner_id is None and c.deleted_at is None
    ]
    if not customers:
        return []
    active = uow.rules.active()
    if any(rule.target.get("kind") == TargetKind.account_owner for rule in active):
        return [
            route_customer(
                uow=uow, rulebook=rulebook, customer_id=c.id, actor=actor, now=now, rng=rng
            )
            for c in customers
            if c.id is not None
        ]
    states = uow.rules.lock_states([rule.id for rule in active if rule.id is not None])
    uow.reps.lock_many([rep.id for rep in uow.reps.all() if rep.id is not None])
    ctx = load_context(uow=uow, rulebook=rulebook, customer=customers[0], now=now, everyone=True)
    decisions = route_many(customers, ctx, now=now, rng=rng)
    for customer, decision in zip(customers, decisions, strict=True):
        _record(uow, customer, decision, actor, now)
        if decision.rule_id in states and decision.outcome is Outcome.assigned:
            states[decision.rule_id].state = decision.state_after
            states[decision.rule_id].updated_at = now
    return decisions


def route_customers(
    *,
    uow_factory: Callable[[], UnitOfWork],
    rulebook: RuleBook,
    customer_ids: Sequence[int],
    actor: Actor,
    now: Callable[[], datetime],
    rng: Random,
    progress: Callable[[int, int], None] | None = None,
    batch_size: int = 500,
) -> dict[str, int]:
    """Route many customers in batches (one transaction each, vectorised); a batch that
    meets a conflict is routed again one customer at a time, so one clash stops nothing
    else. Returns how many were assigned, pooled or queued."""
    outcomes = {o.value: 0 for o in Outcome}
    done = 0
    for start in range(0, len(customer_ids), batch_size):
        chunk = customer_ids[start : start + batch_size]
        try:
            with uow_factory() as uow:
                decisions = route_batch(
                    uow=uow, rulebook=rulebook, customer_ids=chunk, actor=actor, now=now(), rng=rng
                )
                uow.commit()
        except Conflict:
            decisions = _one_by_one(uow_factory, rulebook, chunk, actor, now, rng)
        for decision in decisions:
            outcomes[decision.outcome.value] += 1
        done += len(chunk)
        if progress:
            progress(done, len(customer_ids))
    return outcomes


def _one_by_one(
    uow_factory: Callable[[], UnitOfWork],
    rulebook: RuleBook,
    customer_ids: Sequence[int],
    actor: Actor,
    now: Callable[[], datetime],
    rng: Random,
) -> list[Decision]:
    decisions = []
    for customer_id in customer_ids:
        with uow_factory() as uow:
            try:
                decisions.append(
                    route_customer(
                        uow=uow,
                        rulebook=rulebook,
                        customer_id=customer_id,
                        actor=actor,
                        now=now(),
                        rng=rng,
                    )
                )
            except (Conflict, NotFound):
                continue  # taken by hand or deleted meanwhile
            uow.commit()
    return decisions


def route_queued(
    *,
    uow_factory: Callable[[], UnitOfWork],
    rulebook: RuleBook,
    actor: Actor,
    now: Callable[[], datetime],
    rng: Random,
    limit: int = 10_000,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Retry every queued customer (capacity may have freed since): the queue job."""
    with uow_factory() as uow:
        queued = uow.routing.queued_customer_ids(limit=limit)
    return route_customers(
        uow_factory=uow_factory,
        rulebook=rulebook,
        customer_ids=queued,
        actor=actor,
        now=now,
        rng=rng,
        progress=progress,
    )
