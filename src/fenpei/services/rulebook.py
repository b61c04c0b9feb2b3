"""What routing keeps between decisions, and the routing context read for a customer.

The configuration every decision reads — the rules (compiled), the reps' profiles, the team
tree, leaves, categories and custom fields — changes rarely, but any process may change it
(uvicorn workers, the CLI, jobs). So each process keeps one copy in its ``RuleBook`` (held
by the composition root) and checks it before every use with one cheap query,
``uow.routing.config_stamp``: a fingerprint of those tables that any write, by anyone,
changes. Same stamp, same data: the copy is used; another stamp: it is read again.

Never kept, because it changes with every decision and is read under locks: reps' loads
(open customers, intake per window), strategy state (round-robin cursors), account owners.
The chosen rep's row is locked and checked again before it is given anything.

A rule book holds the rules of one subject (``RuleSubject``): the customer rule book the
composition root keeps, and the task rule book (``services.tasks.task_rulebook``), whose
rules are compiled against the task fields. One class, one stamp, one cache policy.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

from fenpei.domain.custom_fields import CustomField
from fenpei.domain.customers import Customer
from fenpei.domain.errors import ValidationFailed
from fenpei.domain.org import Leave
from fenpei.domain.rules import Rule, RuleSubject
from fenpei.domain.scoring import ModelKind
from fenpei.engine.capacity import Usage
from fenpei.engine.conditions import Node, Predicate, compile_conditions, parse_conditions
from fenpei.engine.fields import FieldSpec
from fenpei.engine.model import RepState, RoutingRule, TargetKind
from fenpei.engine.router import (
    AccountIndex,
    CompiledRule,
    RoutingContext,
    digits,
    email_domain,
    target_reps,
)
from fenpei.engine.rule_index import RuleIndex
from fenpei.engine.scoring.affinity import AffinityModel
from fenpei.engine.scoring.contract import Affinity
from fenpei.engine.scoring.loading import load_model
from fenpei.engine.task_fields import subject_catalog
from fenpei.services._rule_validation import engine_rule
from fenpei.services.categories import CategoryIndex, load_category_index
from fenpei.services.ports import RepLoad, UnitOfWork
from fenpei.services.scoring.rescore import Scoring, load_scoring

T = TypeVar("T")
# What a compiled rule is made of (``engine_rule`` and the conditions' predicate).
_RULE_CONTENT = ("name", "priority", "conditions", "target", "strategy", "strategy_options",
                 "fallback", "fallback_pool", "required_skills", "window", "enabled",
                 "is_default", "subject", "version", "holdout", "reroute")  # fmt: skip
_CompileKey = tuple[int, str, str]  # rule id, its content's digest, the custom fields'


@dataclass(frozen=True)
class RoutingConfig:
    """The configuration as of ``stamp``, shared read-only by every decision while the
    stamp holds. Holds copies, never rows attached to a unit of work."""

    stamp: str
    rules: Sequence[CompiledRule]  # in the order they are tried, the default rule last
    index: RuleIndex
    reps: Mapping[int, RepState]  # profile, team ancestry, leaves not yet over; no load
    sub_teams: Mapping[int, Sequence[int]]
    custom_fields: Sequence[CustomField]
    categories: CategoryIndex
    affinity: Affinity | None = None  # the active learned p(win | customer, rep), if any
    scoring: Scoring | None = None  # the active scorecard, score model and grade settings

    @property
    def looks_up_accounts(self) -> bool:
        """Whether some rule sends customers to the owner of a matching account."""
        return any(r.rule.target.kind is TargetKind.account_owner for r in self.rules)


class RuleBook:
    """The routing configuration kept between decisions, checked by stamp (see above), and
    each rule compiled once per content. One per process; safe to share between threads: a
    ``RoutingConfig`` never changes, and replacing the kept one is a single assignment."""

    def __init__(self, subject: RuleSubject = RuleSubject.customer) -> None:
        self.subject = subject
        self._compiled: dict[_CompileKey, CompiledRule] = {}
        self._kept: RoutingConfig | None = None
        self.loaded: _Loaded = {}  # see ``with_loads``

    def config(self, uow: UnitOfWork, *, now: datetime) -> RoutingConfig:
        """The configuration the database holds, as this unit of work sees it: the kept copy
        if the stamp still matches (one query), else read afresh and kept."""
        stamp = uow.routing.config_stamp(now=now)
        kept = self._kept
        if kept is not None and kept.stamp == stamp:
            return kept
        # Read after the stamp: on PostgreSQL (read committed) a change committed meanwhile
        # may be in the copy but not in its stamp; whoever sees that stamp afterwards began
        # before the change, and would have read it too. The reverse (a stamp newer than
        # the copy) cannot happen, so a stale copy is never kept under a current stamp.
        # A copy read by a transaction that changed the configuration itself carries that
        # transaction's stamp, which no other one sees unless it commits exactly that.
        fresh = self._read(uow, stamp=stamp, now=now)
        self._kept = fresh
        return fresh

    def compile(self, uow: UnitOfWork, rules: list[Rule]) -> list[CompiledRule]:
        """The rules compiled (each rule once per content and set of custom fields)."""
        custom_fields = uow.custom_fields.all()
        return self._compile(uow, rules, custom_fields, _signature(custom_fields))

    def _read(self, uow: UnitOfWork, *, stamp: str, now: datetime) -> RoutingConfig:
        custom_fields = [_detached(d) for d in uow.custom_fields.all()]
        signature = _signature(custom_fields)
        active = [rule for rule in uow.rules.active() if rule.subject == self.subject]
        rules = self._compile(uow, active, custom_fields, signature)
        # Keep only what the current rules use, so edits over months do not pile up.
        used = {_compile_key(rule, signature) for rule in active}
        self._compiled = {key: self._compiled[key] for key in used if key in self._compiled}
        parent = {team.id: team.parent_id for team in uow.teams.all() if team.id is not None}
        sub_teams: dict[int, list[int]] = {}
        for team_id, parent_id in parent.items():
            if parent_id is not None:
                sub_teams.setdefault(parent_id, []).append(team_id)
        leaves: dict[int, list[Leave]] = {}
        for leave in uow.routing.leaves_around(now=now):
            leaves.setdefault(leave.rep_id, []).append(_detached(leave))
        reps: dict[int, RepState] = {}
        for rep in uow.reps.all():
            assert rep.id is not None
            ancestry: list[int] = []
            current = rep.team_id
            while current is not None and current not in ancestry:
                ancestry.append(current)
                current = parent.get(current)
            reps[rep.id] = RepState(
                rep=_detached(rep),
                usage=Usage(0),
                team_ids=tuple(ancestry),
                leaves=tuple(leaves.get(rep.id, ())),
            )
        categories = load_category_index(uow)
        return RoutingConfig(
            stamp=stamp,
            rules=rules,
            index=RuleIndex(rules, subject_catalog(self.subject, custom_fields)),
            reps=reps,
            sub_teams=sub_teams,
            custom_fields=tuple(custom_fields),
            categories=CategoryIndex(
                strict=dict(categories.strict),
                usable={k: [_detached(v) for v in vs] for k, vs in categories.usable.items()},
            ),
            affinity=_affinity(uow, reps) if self.subject is RuleSubject.customer else None,
            scoring=(
                load_scoring(uow=uow, custom_fields=custom_fields)
                if self.subject is RuleSubject.customer
                else None
            ),
        )

    def _compile(
        self,
        uow: UnitOfWork,
        rules: list[Rule],
        custom_fields: Sequence[CustomField],
        signature: str,
    ) -> list[CompiledRule]:
        catalog: Mapping[str, FieldSpec] | None = None
        compiled = []
        for rule in rules:
            key = _compile_key(rule, signature)
            if key not in self._compiled:
                catalog = catalog or subject_catalog(self.subject, list(custom_fields))
                predicate = compile_conditions(parse_conditions(rule.conditions, catalog))
                routing_rule = engine_rule(uow, rule)
                self._compiled[key] = CompiledRule(
                    routing_rule, predicate, _trigger(routing_rule, catalog)
                )
            compiled.append(self._compiled[key])
        return compiled


def _trigger(rule: RoutingRule, catalog: Mapping[str, FieldSpec]) -> tuple[Node, Predicate] | None:
    """The rule's re-routing trigger compiled once, with the rule; None if it has none or
    it names a field removed since it was saved (such a trigger cannot fire)."""
    if rule.reroute is None:
        return None
    try:
        node = parse_conditions(rule.reroute.when, catalog, root="reroute.when")
    except ValidationFailed:
        return None
    return node, compile_conditions(node)


def _affinity(uow: UnitOfWork, reps: Mapping[int, RepState]) -> Affinity | None:
    """The active p(win | customer, rep) model, run as the engine runs it, told the teams
    of reps who joined since it was trained (they are scored as their team, not as
    everyone). A version is checked when activated, so one that no longer loads (an
    algorithm since removed) is passed over: the strategies using it fall back as when no
    model is active."""
    model = uow.score_models.active(ModelKind.affinity)
    if model is None:
        return None
    try:
        loaded = cast(Affinity, load_model(model.params))  # an affinity version's params
    except ValueError:
        return None
    if isinstance(loaded, AffinityModel):
        teams = {rep_id: s.rep.team_id for rep_id, s in reps.items() if s.rep.team_id is not None}
        return loaded.with_teams(teams)
    return loaded


def _signature(custom_fields: Sequence[CustomField]) -> str:
    """Rules compiled against one set of custom fields are not valid for another."""
    shapes = [(d.key, str(d.kind), d.choices) for d in custom_fields]
    return hashlib.sha1(json.dumps(shapes).encode()).hexdigest()


def _compile_key(rule: Rule, signature: str) -> _CompileKey:
    """By content, not by (id, version): a rule compiled inside a transaction that then
    rolled back may meet another rule with the same id and version (SQLite reuses ids)."""
    assert rule.id is not None
    content = [getattr(rule, name) for name in _RULE_CONTENT]
    digest = hashlib.sha1(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()
    return rule.id, digest, signature


def _detached(row: T) -> T:
    """A copy of a domain row that no unit of work tracks, sharing nothing mutable with
    it: the kept configuration outlives the transaction that read it."""
    assert dataclasses.is_dataclass(row) and not isinstance(row, type)
    fields = {f.name: copy.deepcopy(getattr(row, f.name)) for f in dataclasses.fields(row)}
    return type(row)(**fields)


def load_context(
    *,
    uow: UnitOfWork,
    rulebook: RuleBook,
    customer: Customer,
    now: datetime,
    everyone: bool = False,
    states: Mapping[int, Mapping[str, Any]] | None = None,
    config: RoutingConfig | None = None,
) -> RoutingContext:
    """Everything the engine needs for ``customer``: the configuration (kept, checked by
    stamp) and the loads of the reps this customer's candidate rules can reach (one query).

    ``everyone`` loads every rep's load (for batches). ``states`` are the strategies'
    states, for callers that let the engine pick (``route``, batches); a single decision
    locks its rule's state itself. ``config`` is one the caller already checked."""
    config = config or rulebook.config(uow, now=now)
    ctx = RoutingContext(
        rules=config.rules,
        reps=config.reps,
        sub_teams=config.sub_teams,
        accounts=accounts_for(uow, customer) if config.looks_up_accounts else AccountIndex(),
        states=states if states is not None else {},
        selector=config.index,
        affinity=config.affinity,
    )
    # Only the reps this customer's candidate rules can reach need their load read: one
    # query per decision over those reps (one kept row each), not over the sales force.
    wanted = (
        config.reps.keys()
        if everyone
        else {
            state.id
            for compiled in config.index.for_customer(customer)
            for state in target_reps(compiled.rule, customer, ctx)[0]
        }
    )
    return with_loads(uow, ctx, rep_ids=wanted, now=now, memo=rulebook.loaded)


# A rep's state with a load read in, kept while neither the rep's kept profile nor the load
# changes: between two decisions only the chosen rep's load moves, so a team of a thousand
# costs a thousand comparisons per decision, not a thousand new states.
_Loaded = dict[int, tuple[RepState, RepLoad, RepState]]


def with_loads(
    uow: UnitOfWork,
    ctx: RoutingContext,
    *,
    rep_ids: Collection[int],
    now: datetime,
    memo: _Loaded | None = None,
) -> RoutingContext:
    """``ctx`` with the current loads of ``rep_ids`` read in (the other reps unchanged);
    ``memo`` keeps the states built, to reuse while they still hold."""
    loads = uow.routing.loads(now=now, rep_ids=rep_ids)
    memo = {} if memo is None else memo
    reps, fresh = ctx.reps, {}
    for rep_id, load in loads.items():
        state = reps.get(rep_id)
        if state is None:
            continue
        kept = memo.get(rep_id)
        if kept is not None and kept[0] is state and kept[1] == load:
            fresh[rep_id] = kept[2]
            continue
        loaded = RepState(
            state.rep, load.usage, state.team_ids, state.leaves, load.open_value,
            load.last_assigned_at,
        )  # fmt: skip
        memo[rep_id] = (state, load, loaded)
        fresh[rep_id] = loaded
    return ctx.with_states(fresh)


def accounts_for(uow: UnitOfWork, customer: Customer) -> AccountIndex:
    """Who owns accounts matching this customer (for account-owner targets)."""
    owners = uow.routing.account_owners(
        company=(customer.company_name or "").strip() or None,
        email_domain=email_domain(customer.email) or None,
        phone_digits=digits(customer.phone) or None,
    )
    return AccountIndex(
        by_company={(customer.company_name or "").strip().casefold(): owners["company"]}
        if "company" in owners
        else {},
        by_email_domain={email_domain(customer.email): owners["email_domain"]}
        if "email_domain" in owners
        else {},
        by_phone={digits(customer.phone): owners["phone"]} if "phone" in owners else {},
    )
