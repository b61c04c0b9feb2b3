"""Compiled rules kept between decisions, and the routing context read for a customer."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from fenpei.domain.custom_fields import CustomField
from fenpei.domain.customers import Customer
from fenpei.domain.org import Leave
from fenpei.domain.rules import Rule
from fenpei.engine.capacity import Usage
from fenpei.engine.conditions import compile_conditions, parse_conditions
from fenpei.engine.fields import FieldSpec, field_catalog
from fenpei.engine.model import RepState, TargetKind
from fenpei.engine.router import (
    AccountIndex,
    CompiledRule,
    RoutingContext,
    digits,
    email_domain,
    target_reps,
)
from fenpei.engine.rule_index import RuleIndex
from fenpei.services._rule_validation import engine_rule
from fenpei.services.ports import UnitOfWork


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
        signature = _signature(custom_fields)
        compiled = self._compile(uow, rules, custom_fields, signature)
        key = tuple((r.id or 0, r.version, signature) for r in rules)
        if key not in self._indexes:
            if len(self._indexes) > 16:  # rule sets change rarely; keep a few
                self._indexes.clear()
            self._indexes[key] = RuleIndex(compiled, field_catalog(custom_fields))
        return compiled, self._indexes[key]

    def compile(self, uow: UnitOfWork, rules: list[Rule]) -> list[CompiledRule]:
        """The rules compiled (each rule version once, per set of custom fields)."""
        custom_fields = uow.custom_fields.all()
        return self._compile(uow, rules, custom_fields, _signature(custom_fields))

    def _compile(
        self, uow: UnitOfWork, rules: list[Rule], custom_fields: list[CustomField], signature: str
    ) -> list[CompiledRule]:
        catalog: Mapping[str, FieldSpec] | None = None
        compiled = []
        for rule in rules:
            assert rule.id is not None
            key = (rule.id, rule.version, signature)
            if key not in self._compiled:
                catalog = catalog or field_catalog(custom_fields)
                predicate = compile_conditions(parse_conditions(rule.conditions, catalog))
                self._compiled[key] = CompiledRule(engine_rule(uow, rule), predicate)
            compiled.append(self._compiled[key])
        return compiled


def _signature(custom_fields: list[CustomField]) -> str:
    """Rules compiled against one set of custom fields are not valid for another."""
    shapes = [(d.key, str(d.kind), d.choices) for d in custom_fields]
    return hashlib.sha1(json.dumps(shapes).encode()).hexdigest()


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
