"""Trying a rule before saving it: validate a draft, and route a made-up customer with it.

The rule editor checks the draft as the admin types (``check_draft``) and its tester panel
asks where a customer would go if the draft were saved (``try_rule``). Both run exactly the
validation ``rules.create_rule`` / ``update_rule`` run, and neither writes anything: no
rule, no version, no audit entry, no round-robin cursor moved. ``preview`` asks the same
of the saved rules alone, ``preview_task`` of the saved task rules. All are reads of the
rule book: for rule readers only (``scope.require_rule_reader``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from random import Random
from typing import Any

from fenpei.domain.customers import Customer
from fenpei.domain.errors import FieldError, ValidationFailed
from fenpei.domain.rules import Rule, RuleSubject
from fenpei.domain.users import Actor
from fenpei.engine.conditions import compile_conditions, parse_conditions
from fenpei.engine.fields import field_catalog
from fenpei.engine.model import Decision, RuleTrace
from fenpei.engine.router import CompiledRule, RoutingContext, route
from fenpei.engine.rule_index import RuleIndex
from fenpei.engine.score_factors import Factor, score_factors
from fenpei.engine.task_fields import subject_catalog
from fenpei.services import routing, scope
from fenpei.services._rule_validation import engine_rule
from fenpei.services.customers import validate_customer_fields
from fenpei.services.ports import UnitOfWork
from fenpei.services.rulebook import RoutingConfig, RuleBook, load_context
from fenpei.services.rules import CREATE_ONLY, EDITABLE, get_rule
from fenpei.services.tasks.routing import preview_task_route
from fenpei.services.tasks.task_rulebook import task_rulebook
from fenpei.services.tasks.trial import made_up_task

CUSTOMER_PREFIX = "customer."
# A new rule has no id yet; the engine calls it 0, and so does the tester's Decision.
DRAFT_ID = 0
_UNSAVED_NAME = "(test)"


def check_draft(
    *,
    uow: UnitOfWork,
    draft_fields: Mapping[str, Any],
    actor: Actor,
    rule_id: int | None = None,
) -> Rule:
    """The rule ``draft_fields`` would make (over rule ``rule_id``'s saved content, if
    given), validated as saving it would be; raises ValidationFailed naming every bad part
    by its JSON path (``conditions.all[1].value``). Writes nothing."""
    scope.require_rule_reader(actor, "check assignment rules")
    allowed = (*EDITABLE, *CREATE_ONLY) if rule_id is None else EDITABLE
    errors = [
        FieldError(k, "is not a rule field") for k in sorted(set(draft_fields) - set(allowed))
    ]
    fields = {k: v for k, v in draft_fields.items() if k in allowed}
    if isinstance(name := fields.get("name"), str):
        fields["name"] = name.strip()
    if rule_id is None:
        draft = Rule(**{"name": "", "priority": 100, **fields})
    else:
        saved = get_rule(uow=uow, rule_id=rule_id)
        if saved.is_default and fields.get("conditions", {}) != {}:
            errors.append(
                FieldError(
                    "conditions", "the default rule catches everything; add a rule above it instead"
                )
            )
        draft = Rule(
            **{**{name: getattr(saved, name) for name in EDITABLE}, **fields},
            id=saved.id,
            is_default=saved.is_default,
            subject=saved.subject,
            version=saved.version,
        )
    try:
        engine_rule(uow, draft, check_refs=True)
    except ValidationFailed as exc:
        errors += exc.errors
    if errors:
        raise ValidationFailed(errors)
    return draft


def try_rule(
    *,
    uow: UnitOfWork,
    rulebook: RuleBook,
    draft_fields: Mapping[str, Any],
    customer_fields: Mapping[str, object],
    actor: Actor,
    now: datetime,
    rng: Random,
    rule_id: int | None = None,
) -> Decision:
    """Where a customer with ``customer_fields`` would go if the draft were saved (at its
    priority, replacing rule ``rule_id`` when editing one), and why — writing nothing and
    moving no cursor. Bad draft parts are named by their rule path, bad customer fields
    as ``customer.<field>``; both are reported together."""
    customer, ctx, _ = _trial(uow, rulebook, draft_fields, customer_fields, actor, now, rule_id)
    return route(customer, ctx, now=now, rng=rng)


@dataclass(frozen=True)
class Trial:
    """The tester's answer: ``decision`` with every rule (the draft in its place), and
    ``alone``, the draft rule by itself — whether *this* rule matches the customer and
    whom it would pick, even when a rule above it fires first. ``reasons`` gives each
    listed candidate of either decision what their score is made of."""

    decision: Decision
    alone: Decision
    draft_id: int
    reasons: Mapping[int, tuple[Factor, ...]]
    alone_reasons: Mapping[int, tuple[Factor, ...]]

    @property
    def verdict(self) -> RuleTrace | None:
        """The draft rule's own step: matched, no_match (with the failed condition),
        disabled, outside_window or no_eligible_rep (with why)."""
        return self.alone.trace[-1] if self.alone.trace else None

    @property
    def fires(self) -> bool:
        """Whether the draft is the rule that decides for this customer."""
        return self.decision.rule_id == self.draft_id


def try_rule_explained(
    *,
    uow: UnitOfWork,
    rulebook: RuleBook,
    draft_fields: Mapping[str, Any],
    customer_fields: Mapping[str, object],
    actor: Actor,
    now: datetime,
    rng: Random,
    rule_id: int | None = None,
) -> Trial:
    """``try_rule``, and the draft tried alone, with each candidate's score explained."""
    customer, ctx, draft = _trial(uow, rulebook, draft_fields, customer_fields, actor, now, rule_id)
    decision = route(customer, ctx, now=now, rng=rng)
    alone_ctx = replace(ctx, rules=[draft], selector=None)
    alone = route(customer, alone_ctx, now=now, rng=Random(rng.random()))
    return Trial(
        decision=decision,
        alone=alone,
        draft_id=draft.rule.id,
        reasons=_reasons(decision, ctx, customer),
        alone_reasons=_reasons(alone, alone_ctx, customer),
    )


def _reasons(
    decision: Decision, ctx: RoutingContext, customer: Customer
) -> dict[int, tuple[Factor, ...]]:
    """Each listed candidate's score, part by part, under the deciding rule's strategy."""
    rule = next((c.rule for c in ctx.rules if c.rule.id == decision.rule_id), None)
    if rule is None or not decision.candidates:
        return {}
    top = max(c.score for c in decision.candidates)
    # A strategy on p(win) with no model active scored as least loaded does.
    no_model = decision.reason_code.endswith(".no_model")
    strategy = "least_loaded" if no_model else rule.strategy
    return {
        c.rep_id: score_factors(
            strategy,
            ctx.reps[c.rep_id],
            score=c.score,
            top_score=top,
            customer=customer,
            options=rule.strategy_options,
        )
        for c in decision.candidates
        if c.rep_id in ctx.reps
    }


def _trial(
    uow: UnitOfWork,
    rulebook: RuleBook,
    draft_fields: Mapping[str, Any],
    customer_fields: Mapping[str, object],
    actor: Actor,
    now: datetime,
    rule_id: int | None,
) -> tuple[Customer, RoutingContext, CompiledRule]:
    """The customer, the routing context with the draft in its place, and the draft."""
    errors: list[FieldError] = []
    draft: Rule | None = None
    try:
        draft = check_draft(uow=uow, draft_fields=draft_fields, actor=actor, rule_id=rule_id)
    except ValidationFailed as exc:
        errors += exc.errors
    config = rulebook.config(uow, now=now)
    customer: Customer | None = None
    try:
        customer = _customer(uow, config, customer_fields, now)
    except ValidationFailed as exc:
        errors += exc.errors
    if errors:
        raise ValidationFailed(errors)
    assert draft is not None and customer is not None
    compiled = _compiled(uow, config, draft)
    rules = _with_draft(config, compiled)
    trial = replace(
        config, rules=rules, index=RuleIndex(rules, field_catalog(config.custom_fields))
    )
    ctx = load_context(
        uow=uow,
        rulebook=rulebook,
        customer=customer,
        now=now,
        states=uow.rules.states(),  # read, never locked or written: the cursor stays put
        config=trial,
    )
    return customer, ctx, compiled


def preview(
    *,
    uow: UnitOfWork,
    rulebook: RuleBook,
    fields: Mapping[str, object],
    actor: Actor,
    now: datetime,
    rng: Random,
) -> Decision:
    """Where a customer with ``fields`` would go with the saved rules, and why; writes
    nothing. A rule reader's question: the answer names every rep passed over and why."""
    scope.require_rule_reader(actor, "preview where the rules send a customer")
    return routing.preview(uow=uow, rulebook=rulebook, fields=fields, now=now, rng=rng)


def preview_task(
    *,
    uow: UnitOfWork,
    fields: Mapping[str, object],
    actor: Actor,
    now: datetime,
    rng: Random,
    rulebook: RuleBook | None = None,
) -> Decision:
    """Where a task with ``fields`` (``title``, ``priority``, ``effort_hours``,
    ``customer_id`` …) would go with the saved task rules — or, none placing it, to its
    customer's owner — and why; writes nothing. Bad fields are named ``task.<field>``."""
    scope.require_rule_reader(actor, "preview where the rules send a task")
    task = made_up_task(uow=uow, fields=fields, now=now)
    config = (rulebook or task_rulebook()).config(uow, now=now)
    return preview_task_route(uow=uow, task=task, now=now, rng=rng, config=config)


def try_task_rule(
    *,
    uow: UnitOfWork,
    draft_fields: Mapping[str, Any],
    task_fields: Mapping[str, object],
    actor: Actor,
    now: datetime,
    rng: Random,
    rule_id: int | None = None,
) -> Decision:
    """``try_rule`` for a task rule: where a task with ``task_fields`` would go if the
    draft were saved (in its place among the task rules), and why; writes nothing. Bad
    draft parts and bad task fields (``task.<field>``) are reported together."""
    errors: list[FieldError] = []
    draft: Rule | None = None
    task = None
    try:
        draft = check_draft(uow=uow, draft_fields=draft_fields, actor=actor, rule_id=rule_id)
    except ValidationFailed as exc:
        errors += exc.errors
    try:
        task = made_up_task(uow=uow, fields=task_fields, now=now)
    except ValidationFailed as exc:
        errors += exc.errors
    if errors:
        raise ValidationFailed(errors)
    assert draft is not None and task is not None
    config = task_rulebook().config(uow, now=now)
    rules = _with_draft(config, _compiled(uow, config, draft))
    catalog = subject_catalog(RuleSubject.task, config.custom_fields)
    trial = replace(config, rules=rules, index=RuleIndex(rules, catalog))
    return preview_task_route(uow=uow, task=task, now=now, rng=rng, config=trial)


def _customer(
    uow: UnitOfWork, config: RoutingConfig, raw: Mapping[str, object], now: datetime
) -> Customer:
    fields = dict(raw)
    if not str(fields.get("name") or "").strip():
        fields["name"] = _UNSAVED_NAME  # a customer needs a name; the rules rarely care
    cleaned = validate_customer_fields(
        uow,
        fields,
        partial=False,
        prefix=CUSTOMER_PREFIX,
        categories=config.categories,
        custom_fields=config.custom_fields,
    )
    cleaned.setdefault("created_at", now)
    return Customer(**cleaned)  # type: ignore[arg-type]


def _compiled(uow: UnitOfWork, config: RoutingConfig, draft: Rule) -> CompiledRule:
    """Compiled here, not through the rule book: a draft must not enter its kept copies."""
    catalog = subject_catalog(draft.subject, list(config.custom_fields))
    predicate = compile_conditions(parse_conditions(draft.conditions, catalog))
    return CompiledRule(engine_rule(uow, draft), predicate)


def _with_draft(config: RoutingConfig, draft: CompiledRule) -> list[CompiledRule]:
    """The rules in the order routing tries them, the draft in its saved version's place
    (or, new, after the rules of its priority: it would get the highest id)."""
    others = [c for c in config.rules if c.rule.id != draft.rule.id or draft.rule.id == DRAFT_ID]
    everything: Sequence[CompiledRule] = [*others, draft]
    return sorted(everything, key=_order)


def _order(compiled: CompiledRule) -> tuple[bool, int, float]:
    rule = compiled.rule
    return (rule.is_default, rule.priority, rule.id if rule.id != DRAFT_ID else float("inf"))
