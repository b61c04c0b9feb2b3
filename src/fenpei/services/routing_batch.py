"""Routing many customers: batches through the vectorised evaluator, and the queue job."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from datetime import datetime
from random import Random

from fenpei.domain.errors import Conflict, NotFound
from fenpei.domain.users import Actor
from fenpei.engine.batch_routing import optimises, route_optimal
from fenpei.engine.bulk import route_many
from fenpei.engine.model import Decision, Outcome
from fenpei.services.ports import UnitOfWork
from fenpei.services.routing import record_decision, route_customer
from fenpei.services.rulebook import RuleBook, load_context


def route_batch(
    *,
    uow: UnitOfWork,
    rulebook: RuleBook,
    customer_ids: Sequence[int],
    actor: Actor,
    now: datetime,
    rng: Random,
    only_queued: bool = False,
) -> list[Decision]:
    """Route many unowned customers in one transaction through the vectorised evaluator.

    Takes every lock up front in the usual order (customers, rule states, reps — each by
    id), reads the loads afterwards, and lets ``route_many`` carry capacity and strategy
    state from one customer to the next: the same decisions as routing them one by one.
    The rules and reps come from the kept configuration (checked by stamp before and
    after the locks), the states are the locked rows: nothing is read twice.
    Owned or deleted customers are left alone, and with ``only_queued`` those no longer
    in the queue (pooled meanwhile: routing them again would pool them twice). Rules that
    look up account owners need a query per customer, so with such a rule the customers
    are routed one by one. With a ``batch_optimal`` rule and a model active, that rule's
    customers are placed together by a min-cost flow (``route_optimal``).
    """
    customers = [
        c
        for c in uow.customers.lock_many(customer_ids)
        if c.owner_id is None and c.deleted_at is None and (c.queued_at or not only_queued)
    ]
    if not customers:
        return []
    config = rulebook.config(uow, now=now)
    if config.looks_up_accounts:
        return [
            route_customer(
                uow=uow, rulebook=rulebook, customer_id=c.id, actor=actor, now=now, rng=rng
            )
            for c in customers
            if c.id is not None
        ]
    states = uow.rules.lock_states([compiled.rule.id for compiled in config.rules])
    locked = {rep.id: rep for rep in uow.reps.lock_many(config.reps)}
    # The configuration was read before the locks: if it changed in between, the locked
    # rows may not be the ones routing would choose from (``route_customers`` then goes
    # one by one).
    if uow.routing.config_stamp(now=now) != config.stamp:
        raise Conflict("the routing configuration changed while routing a batch; try again")
    ctx = load_context(
        uow=uow,
        rulebook=rulebook,
        customer=customers[0],
        now=now,
        everyone=True,
        states={rule_id: copy.deepcopy(s.state) for rule_id, s in states.items()},
        config=config,
    )
    # Customers whose rule runs batch_optimal are solved together (engine.batch_routing).
    routing = route_optimal if optimises(ctx) else route_many
    decisions = routing(customers, ctx, now=now, rng=rng)
    for customer, decision in zip(customers, decisions, strict=True):
        chosen = locked.get(decision.rep_id) if decision.rep_id is not None else None
        record_decision(uow, customer, decision, actor, now, rep=chosen)
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
    only_queued: bool = False,
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
                    uow=uow,
                    rulebook=rulebook,
                    customer_ids=chunk,
                    actor=actor,
                    now=now(),
                    rng=rng,
                    only_queued=only_queued,
                )
                uow.commit()
        except Conflict:
            decisions = _one_by_one(uow_factory, rulebook, chunk, actor, now, rng, only_queued)
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
    only_queued: bool = False,
) -> list[Decision]:
    decisions = []
    for customer_id in customer_ids:
        with uow_factory() as uow:
            if only_queued:
                customer = uow.customers.get(customer_id, lock=True)
                if customer is None or customer.queued_at is None:
                    continue  # routed (pooled) meanwhile
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
        only_queued=True,
    )
