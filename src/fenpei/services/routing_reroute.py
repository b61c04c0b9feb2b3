"""Dynamic re-routing (动态分配): a change to a customer routes it again when a rule says so.

A customer rule with a trigger (``Rule.reroute``: ``{"when": <conditions>, "min_days": N}``)
fires when a change makes ``when`` true that was false just before — a crossing, not a
state: saving the customer again changes nothing — and the rule's own conditions (and
window) match the customer now. The first such rule, in priority order, routes the
customer through its target, strategy and constraints (never its holdout: the customer
stays in the arm it was first routed in), under the same locks as routing on arrival.

Limits: at most once per ``min_days`` (``Customer.rerouted_at``); never away from an owner
inside their protection period (保护期, the pool's ``protection_days``); never to the same
owner, and never when nobody in the target can take it (both change nothing). A re-route is
an assignment with method ``reroute`` through ``assignments.give``: its event, the new
owner's SLA clock, the reset reclaim clock and the audit entry, as every owner change.

Callers: the customer update and stage change (``update_customer_and_reroute``,
``change_stage_and_reroute``) and rescoring, which calls ``reroute_on_change`` with the
customer as it was (``snapshot``) and as it is, in the transaction that changed it.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from random import Random
from typing import Any, TypeVar

from fenpei.domain.assignments import Assignment, AssignMethod
from fenpei.domain.customers import Customer
from fenpei.domain.follow_ups import StageChange
from fenpei.domain.pools import protected_until
from fenpei.domain.users import Actor
from fenpei.engine.conditions import describe
from fenpei.engine.eligibility import in_window
from fenpei.engine.explain import explained_json
from fenpei.engine.fields import FieldSpec
from fenpei.engine.model import Fallback, Outcome
from fenpei.engine.router import CompiledRule, route
from fenpei.engine.task_fields import subject_catalog
from fenpei.services import _audit
from fenpei.services.assignments import give
from fenpei.services.customers import get_customer, update_customer
from fenpei.services.follow_ups.stages import change_stage
from fenpei.services.pool.terms import pool_for_return, terms_of
from fenpei.services.ports import UnitOfWork
from fenpei.services.routing import still_qualifies
from fenpei.services.rulebook import RuleBook, load_context
from fenpei.services.scoring.rescore import OnChange, ScoreChange

T = TypeVar("T")


@dataclass(frozen=True)
class Rerouted:
    """What a change did: the rule whose trigger fired (None: none did), and either the
    assignment made or why nothing changed (``min_days``, ``protected``, ``same_owner``,
    ``nobody``)."""

    rule_id: int | None = None
    record: Assignment | None = None
    skipped: str | None = None


NOTHING = Rerouted()


def snapshot(customer: Customer) -> Customer:
    """A copy of the customer as it is now, to tell afterwards what a change crossed: a
    plain object no unit of work tracks, sharing nothing mutable with the row."""
    values = {
        f.name: copy.deepcopy(getattr(customer, f.name)) for f in dataclasses.fields(customer)
    }
    return Customer(**values)


def _fields_named(tree: object) -> Iterator[str]:
    """The fields a condition tree tests, in order, each once."""
    seen: set[str] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            name = node.get("field")
            if isinstance(name, str) and name not in seen:
                seen.add(name)
                yield name
            stack.extend(reversed([v for v in node.values() if isinstance(v, dict | list)]))
        elif isinstance(node, list):
            stack.extend(reversed(node))


def _values(
    customer: Customer, names: list[str], catalog: Mapping[str, FieldSpec]
) -> dict[str, Any]:
    return {
        name: _audit.json_safe(catalog[name].get(customer)) for name in names if name in catalog
    }


def _fired(
    uow: UnitOfWork, rulebook: RuleBook, before: Customer, customer: Customer, now: datetime
) -> tuple[CompiledRule, dict[str, Any]] | None:
    """The first rule whose trigger this change crossed and which matches the customer,
    with what fired it (for the record)."""
    config = rulebook.config(uow, now=now)
    catalog: Mapping[str, FieldSpec] | None = None
    for compiled in config.rules:
        rule = compiled.rule
        if compiled.trigger is None or not rule.enabled or not in_window(rule.window, now):
            continue
        assert rule.reroute is not None
        node, when = compiled.trigger  # compiled with the rule, kept by the rule book
        if when(before, now) or not when(customer, now) or not compiled.matches(customer, now):
            continue
        catalog = catalog or subject_catalog("customer", list(config.custom_fields))
        names = list(_fields_named(rule.reroute.when))
        trigger = {
            "rule_id": rule.id,
            "rule_name": rule.name,
            "when": describe(node),
            "before": _values(before, names, catalog),
            "after": _values(customer, names, catalog),
        }
        return compiled, trigger
    return None


def _protected(uow: UnitOfWork, customer: Customer, now: datetime) -> bool:
    """Whether the customer's owner is inside their protection period (保护期)."""
    owner = uow.reps.get(customer.owner_id) if customer.owner_id is not None else None
    if owner is None:
        return False
    until = protected_until(customer.assigned_at, terms_of(uow, pool_for_return(uow, owner)))
    return until is not None and until > now


def reroute_on_change(
    *,
    uow: UnitOfWork,
    rulebook: RuleBook,
    before: Customer,
    customer: Customer,
    actor: Actor,
    now: datetime,
    rng: Random,
) -> Rerouted:
    """Route ``customer`` again if the change from ``before`` fired a rule's trigger, within
    the limits; the caller holds the customer's lock and commits."""
    if customer.id is None or customer.deleted_at is not None:
        return NOTHING
    found = _fired(uow, rulebook, before, customer, now)
    if found is None:
        return NOTHING
    compiled, trigger = found
    rule = compiled.rule
    assert rule.reroute is not None
    if customer.rerouted_at is not None and now - customer.rerouted_at < timedelta(
        days=rule.reroute.min_days
    ):
        return Rerouted(rule.id, skipped="min_days")
    if _protected(uow, customer, now):
        return Rerouted(rule.id, skipped="protected")
    # The rule alone, without its holdout: its own strategy decides, the arm stays as drawn.
    # A re-route places the customer on a rep or leaves it where it is: no pool, no queue.
    solo = CompiledRule(replace(rule, holdout=None, fallback=Fallback.next_rule), compiled.matches)
    state = uow.rules.lock_state(rule.id)
    ctx = load_context(uow=uow, rulebook=rulebook, customer=customer, now=now)
    ctx = replace(ctx, rules=[solo], selector=None, states={rule.id: state.state if state else {}})
    decision = route(customer, ctx, now=now, rng=rng)
    if decision.outcome is not Outcome.assigned or decision.rep_id is None:
        return Rerouted(rule.id, skipped="nobody")
    if decision.rep_id == customer.owner_id:
        return Rerouted(rule.id, skipped="same_owner")
    rep = uow.reps.get(decision.rep_id, lock=True)
    assert rep is not None
    if not still_qualifies(uow, replace(ctx.reps[rep.id or 0], rep=rep), rule, now):
        return Rerouted(rule.id, skipped="nobody")  # filled up meanwhile: leave it be
    if state is not None:
        state.state, state.updated_at = decision.state_after, now
    explanation = {**explained_json(decision), "reroute": trigger}
    text = f"re-routed by '{rule.name}' when {trigger['when']}: {explanation['text']}"
    record = give(
        uow,
        customer=customer,
        rep=rep,
        method=AssignMethod.reroute,
        actor=actor,
        reason=text[:1000],
        now=now,
        explanation=explanation,
        rule_id=rule.id,
        strategy=decision.strategy,
    )
    customer.rerouted_at = now
    return Rerouted(rule.id, record=record)


def change_and_reroute(
    *,
    uow: UnitOfWork,
    rulebook: RuleBook,
    customer_id: int,
    change: Callable[[], T],
    actor: Actor,
    now: datetime,
    rng: Random,
) -> tuple[T, Rerouted]:
    """Run ``change`` (a service changing the customer: an edit, a stage move, a follow-up
    that moves it on), then route the customer again if the change fired a rule's trigger."""
    before = snapshot(get_customer(uow=uow, customer_id=customer_id, lock=True))
    done = change()
    customer = get_customer(uow=uow, customer_id=customer_id)
    rerouted = reroute_on_change(
        uow=uow, rulebook=rulebook, before=before, customer=customer, actor=actor, now=now, rng=rng
    )
    return done, rerouted


def update_customer_and_reroute(
    *,
    uow: UnitOfWork,
    rulebook: RuleBook,
    customer_id: int,
    fields: Mapping[str, object],
    actor: Actor,
    now: datetime,
    rng: Random,
) -> tuple[Customer, Rerouted]:
    """Change some fields of a customer (``customers.update_customer``, scored with the kept
    configuration's models), then route it again if the change fired a rule's trigger."""
    scoring = rulebook.config(uow, now=now).scoring
    return change_and_reroute(
        uow=uow, rulebook=rulebook, customer_id=customer_id, actor=actor, now=now, rng=rng,
        change=lambda: update_customer(
            uow=uow, customer_id=customer_id, fields=fields, actor=actor, now=now,
            scoring=scoring,
        ),
    )  # fmt: skip


def change_stage_and_reroute(
    *,
    uow: UnitOfWork,
    rulebook: RuleBook,
    customer_id: int,
    to: str,
    reason: str | None,
    actor: Actor,
    now: datetime,
    rng: Random,
) -> tuple[StageChange, Rerouted]:
    """Move a customer to another stage (``follow_ups.stages.change_stage``), then route it
    again if the move fired a rule's trigger."""
    return change_and_reroute(
        uow=uow, rulebook=rulebook, customer_id=customer_id, actor=actor, now=now, rng=rng,
        change=lambda: change_stage(
            uow=uow, customer_id=customer_id, to=to, reason=reason, actor=actor, now=now
        ),
    )  # fmt: skip


def reroute_rescored(
    *,
    uow: UnitOfWork,
    rulebook: RuleBook,
    changes: Sequence[ScoreChange],
    actor: Actor,
    now: datetime,
    rng: Random,
) -> list[Rerouted]:
    """Route again the customers whose new score, probability or grade (written by a
    rescore after a model or the grade settings changed) fired a rule's trigger."""
    done = []
    for change in changes:
        assert change.customer.id is not None
        customer = get_customer(uow=uow, customer_id=change.customer.id, lock=True)
        before = replace(
            snapshot(customer),
            score=change.score,
            win_probability=change.win_probability,
            grade=change.grade,
        )
        rerouted = reroute_on_change(
            uow=uow, rulebook=rulebook, before=before, customer=customer, actor=actor, now=now,
            rng=rng,
        )  # fmt: skip
        if rerouted.rule_id is not None:
            done.append(rerouted)
    return done


def on_rescore(*, rulebook: RuleBook, rng: Callable[[], Random], actor: Actor) -> OnChange:
    """What a catch-up rescore (the rescore-all job, ``fenpei model rescore``) does with
    each batch's changes: route again the customers whose trigger fired."""

    def reroute(uow: UnitOfWork, changes: Sequence[ScoreChange], now: datetime) -> None:
        reroute_rescored(
            uow=uow, rulebook=rulebook, changes=changes, actor=actor, now=now, rng=rng()
        )

    return reroute
