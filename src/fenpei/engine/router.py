"""``route(customer, context) -> Decision``: the routing decision as a pure function.

The item routed is a customer or a task (``items.WorkItem``, named ``customer`` here as it
always was); task rules compile against ``task_fields`` and may target the customer's owner.

Rules are tried in priority order; the first whose conditions match and whose target
has an eligible rep decides, through its strategy. A rule whose target has nobody
eligible applies its fallback (try the next rule, park in a pool, or queue). Every
rule tried, every candidate scored and every rep excluded is part of the Decision.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from operator import attrgetter, itemgetter
from random import Random
from typing import Any, Protocol

from fenpei.domain.phrases import Phrase, phrase_data
from fenpei.domain.scoring import Arm
from fenpei.engine.conditions import Node, Predicate
from fenpei.engine.eligibility import (
    OFF_SHIFT,
    Shifts,
    exclusion_reason,
    has_skill,
    in_shift,
    in_window,
)
from fenpei.engine.items import WorkItem
from fenpei.engine.model import (
    TOP_CANDIDATES,
    Candidate,
    Decision,
    Exclusion,
    Fallback,
    Outcome,
    RepState,
    RoutingRule,
    RuleTrace,
    TargetKind,
)
from fenpei.engine.scoring.contract import Affinity
from fenpei.engine.strategies import get_strategy


@dataclass(frozen=True)
class CompiledRule:
    rule: RoutingRule
    matches: Predicate
    # The rule's re-routing trigger (``rule.reroute.when``) parsed and compiled with the
    # rule, or None: no trigger, or one naming a field removed since (it cannot fire).
    trigger: tuple[Node, Predicate] | None = None


@dataclass(frozen=True)
class AccountIndex:
    """Who owns existing customers, by normalised company name, email domain and phone."""

    by_company: Mapping[str, int] = field(default_factory=dict)
    by_email_domain: Mapping[str, int] = field(default_factory=dict)
    by_phone: Mapping[str, int] = field(default_factory=dict)

    def owner_of(self, customer: WorkItem, match_on: Iterable[str]) -> tuple[int, str] | None:
        keys = {
            "company": (self.by_company, (customer.company_name or "").strip().casefold()),
            "email_domain": (self.by_email_domain, email_domain(customer.email)),
            "phone": (self.by_phone, digits(customer.phone)),
        }
        for how in match_on:
            index, key = keys[how]
            if key and key in index:
                return index[key], how
        return None


def email_domain(email: str | None) -> str:
    return email.rpartition("@")[2].strip().casefold() if email and "@" in email else ""


def digits(phone: str | None) -> str:
    return "".join(ch for ch in phone or "" if ch.isdigit())[-11:]


class RuleSelector(Protocol):
    """Narrows the rules worth trying for a customer (e.g. an index on equality conditions);
    must return them in priority order and never drop one that could match."""

    def for_customer(self, customer: WorkItem) -> Sequence[CompiledRule]: ...


@dataclass(frozen=True)
class RoutingContext:
    """Everything ``route`` may look at besides the customer, the time and the RNG."""

    rules: Sequence[CompiledRule]  # in priority order, the default rule last
    reps: Mapping[int, RepState]
    sub_teams: Mapping[int, Sequence[int]] = field(default_factory=dict)
    accounts: AccountIndex = field(default_factory=AccountIndex)
    states: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)
    selector: RuleSelector | None = None
    affinity: Affinity | None = None  # the active learned p(win | customer, rep), if any

    @cached_property
    def rep_ids_by_team(self) -> Mapping[int, tuple[int, ...]]:
        """Rep ids grouped by their own team, in id order, so a team target costs the
        team's size and needs no sorting. Ids, not states: a batch updates ``reps`` as it
        goes and must see the fresh states."""
        grouped: dict[int, list[int]] = {}
        for rep_id, state in self.reps.items():
            if state.rep.team_id is not None:
                grouped.setdefault(state.rep.team_id, []).append(rep_id)
        return {team: tuple(sorted(ids)) for team, ids in grouped.items()}

    def with_states(self, states: Mapping[int, RepState]) -> RoutingContext:
        """This context with ``states`` in place of the same reps' (their loads read
        again, say; their teams unchanged): the grouping by team carries over rather than
        being worked out again over every rep."""
        fresh = replace(self, reps={**self.reps, **states})
        grouped = self.__dict__.get("rep_ids_by_team")
        if grouped is not None:
            fresh.__dict__["rep_ids_by_team"] = grouped
        return fresh


@dataclass(frozen=True)
class Match:
    """The rule that will decide and its eligible reps, or an already final decision."""

    trace: tuple[RuleTrace, ...]
    rules_skipped: int = 0
    rule: RoutingRule | None = None
    eligible: tuple[RepState, ...] = ()
    exclusions: tuple[Exclusion, ...] = ()
    final: Decision | None = None


def _team_tree(team_id: int, sub_teams: Mapping[int, Sequence[int]], deep: bool) -> set[int]:
    found, todo = {team_id}, [team_id]
    while deep and todo:
        for child in sub_teams.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


_BY_ID = attrgetter("id")


def target_reps(
    rule: RoutingRule, customer: WorkItem, ctx: RoutingContext
) -> tuple[Sequence[RepState], str | None]:
    """The reps a rule's target names for this customer, in id order (before any
    eligibility check), and a note when the target itself explains the choice (account
    owner)."""
    target = rule.target
    if target.kind is TargetKind.reps:
        named = [ctx.reps[i] for i in target.rep_ids if i in ctx.reps]
        return sorted(named, key=_BY_ID), None
    if target.kind is TargetKind.team and target.team_id is not None:
        teams = _team_tree(target.team_id, ctx.sub_teams, target.include_subteams)
        members = ctx.rep_ids_by_team
        if len(teams) == 1:
            return _states(ctx.reps, members.get(target.team_id, ())), None
        ids = sorted(i for team in teams for i in members.get(team, ()))
        return _states(ctx.reps, ids), None
    if target.kind is TargetKind.skill and target.skill:
        skilled = [s for s in ctx.reps.values() if has_skill(s.rep, target.skill)]
        return sorted(skilled, key=_BY_ID), None
    if target.kind is TargetKind.customer_owner:
        # A task's item answers with its customer's owner (task rules alone may name it).
        owner_id = customer.owner_id
        if owner_id is None:
            return [], "the customer has no owner"
        if owner_id not in ctx.reps:
            return [], "the customer's owner cannot take it"
        return [ctx.reps[owner_id]], "the customer's owner"
    if target.kind is TargetKind.account_owner:
        owner = ctx.accounts.owner_of(customer, target.match_on)
        if owner is None or owner[0] not in ctx.reps:
            return [], "no existing account matches"
        return [ctx.reps[owner[0]]], f"owner of the matching account (by {owner[1]})"
    return [], None


def _states(reps: Mapping[int, RepState], ids: Sequence[int]) -> Sequence[RepState]:
    """The states of ``ids``, in their order: one C call for a whole team, the ids being
    the context's own; an id the map has lost since (a batch never drops one) is passed
    over."""
    if len(ids) < 2:
        return [reps[i] for i in ids if i in reps]
    try:
        found: tuple[RepState, ...] = itemgetter(*ids)(reps)
    except KeyError:
        return [reps[i] for i in ids if i in reps]
    return found


_FREE = attrgetter("free")


def _screen(
    reps: Sequence[RepState], rule: RoutingRule, now: datetime
) -> tuple[Sequence[RepState], list[Exclusion]]:
    """The eligible reps and why each other one is not, in the id order ``reps`` come in.

    For a rule asking no skill, the work done per rep is the least their state allows
    (worked out once per state, see ``RepState``): a free rep passes unchecked, so a team
    of a thousand such reps costs one pass in C; a rep whom only working hours could
    exclude costs one look-up, each shift being checked once per screening; only the
    rest get the full check, which is also what words every exclusion."""
    skills = rule.required_skills
    if not skills:
        free = list(map(_FREE, reps))
        if all(free):
            return reps, []
    else:
        free = [False] * len(reps)
    eligible, excluded = [], []
    shifts: Shifts = {}
    for state, passes in zip(reps, free, strict=True):
        if passes:
            eligible.append(state)
            continue
        if not skills and state.steady:  # only their hours can exclude them
            if in_shift(state, now, shifts):
                eligible.append(state)
            else:
                excluded.append(Exclusion(state.id, state.rep.name, OFF_SHIFT))
            continue
        why = exclusion_reason(state, now=now, required_skills=skills, shifts=shifts)
        if why is None:
            eligible.append(state)
        else:
            excluded.append(Exclusion(state.id, state.rep.name, why))
    return eligible, excluded


def _final(rule: RoutingRule, outcome: Outcome, reason: str, **extra: Any) -> Decision:
    return Decision(outcome=outcome, reason=reason, rule_id=rule.id, rule_name=rule.name, **extra)


def match(customer: WorkItem, ctx: RoutingContext, *, now: datetime) -> Match:
    """Find the rule that decides for ``customer`` and its eligible reps (no strategy yet)."""
    rules = ctx.rules if ctx.selector is None else ctx.selector.for_customer(customer)
    found = _first_match(customer, rules, ctx, now)
    skipped = len(ctx.rules) - len(rules)
    if not skipped:
        return found
    final = replace(found.final, rules_skipped=skipped) if found.final else None
    return replace(found, rules_skipped=skipped, final=final)


def _first_match(
    customer: WorkItem, rules: Sequence[CompiledRule], ctx: RoutingContext, now: datetime
) -> Match:
    trace: list[RuleTrace] = []
    exclusions: list[Exclusion] = []
    for compiled in rules:
        rule = compiled.rule
        if not rule.enabled:
            trace.append(RuleTrace(rule.id, rule.name, "disabled"))
            continue
        if not in_window(rule.window, now):
            trace.append(RuleTrace(rule.id, rule.name, "outside_window"))
            continue
        if not compiled.matches(customer, now):
            failed = compiled.matches.first_failure(customer, now)
            data = phrase_data(failed) if isinstance(failed, Phrase) else None
            trace.append(RuleTrace(rule.id, rule.name, "no_match", failed, data))
            continue
        trace.append(RuleTrace(rule.id, rule.name, "matched"))
        kind = rule.target.kind
        if kind is TargetKind.pool:
            pool = rule.target.pool or "public"
            return Match(
                tuple(trace),
                final=_final(
                    rule,
                    Outcome.pool,
                    f"rule '{rule.name}' sends it to pool {pool}",
                    pool=pool,
                    reason_code="pool",
                    reason_params={"pool": pool},
                    trace=tuple(trace),
                    exclusions=tuple(exclusions),
                ),
            )
        if kind is TargetKind.queue:
            return Match(
                tuple(trace),
                final=_final(
                    rule,
                    Outcome.queued,
                    f"rule '{rule.name}' holds it in the queue",
                    reason_code="queue",
                    trace=tuple(trace),
                    exclusions=tuple(exclusions),
                ),
            )
        reps, note = target_reps(rule, customer, ctx)
        eligible, excluded = _screen(reps, rule, now)
        exclusions += excluded
        if eligible:
            return Match(
                tuple(trace), rule=rule, eligible=tuple(eligible), exclusions=tuple(exclusions)
            )
        why = note or ("nobody in the target" if not reps else "nobody in the target is eligible")
        why_code = "note" if note else ("nobody_in_target" if not reps else "nobody_eligible")
        trace[-1] = RuleTrace(rule.id, rule.name, "no_eligible_rep", why)
        if rule.fallback is Fallback.team_pool:
            team = rule.target.team_id if rule.target.kind is TargetKind.team else None
            pool = rule.fallback_pool or (f"team:{team}" if team is not None else "public")
            return Match(
                tuple(trace),
                final=_final(
                    rule,
                    Outcome.pool,
                    f"rule '{rule.name}': {why}; parked in pool {pool}",
                    pool=pool,
                    reason_code="fallback_pool",
                    reason_params={"pool": pool, "why": why_code, "note": why},
                    trace=tuple(trace),
                    exclusions=tuple(exclusions),
                ),
            )
        if rule.fallback is Fallback.queue:
            return Match(
                tuple(trace),
                final=_final(
                    rule,
                    Outcome.queued,
                    f"rule '{rule.name}': {why}; queued until someone frees up",
                    reason_code="fallback_queue",
                    reason_params={"why": why_code, "note": why},
                    trace=tuple(trace),
                    exclusions=tuple(exclusions),
                ),
            )
    return Match(
        tuple(trace),
        final=Decision(
            outcome=Outcome.queued,
            reason="no rule could place the customer",
            reason_code="no_rule",
            trace=tuple(trace),
            exclusions=tuple(exclusions),
        ),
    )


def decide(
    found: Match,
    *,
    customer: WorkItem,
    state: Mapping[str, Any],
    rng: Random,
    affinity: Affinity | None = None,
) -> Decision:
    """Let the matched rule's strategy pick among the eligible reps (or, for the holdout
    share of a rule running one, its baseline strategy: see ``_arm``)."""
    if found.final is not None:
        return found.final
    rule = found.rule
    assert rule is not None and found.eligible
    strategy, options, arm, own_state = _arm(rule, state, rng)
    choice = get_strategy(strategy).choose(
        found.eligible,
        customer=customer,
        state=own_state,
        options=options,
        rng=rng,
        affinity=affinity,
    )
    new_state = choice.new_state
    if arm is not None:  # each arm keeps its own memory, side by side in the rule's state
        held = Arm.holdout.value
        new_state = (
            {**state, held: choice.new_state}
            if arm is Arm.holdout
            else {**choice.new_state, **({held: state[held]} if held in state else {})}
        )
    best = _best(choice.scores)
    candidates = tuple(
        Candidate(rep_id, _named(found.eligible, rep_id), score) for rep_id, score in best
    )
    scored = len(choice.scores) if choice.scored is None else choice.scored
    return Decision(
        outcome=Outcome.assigned,
        reason=f"rule '{rule.name}' matched; {choice.reason}",
        reason_code=choice.code,
        reason_params=choice.params,
        rep_id=choice.rep_id,
        rule_id=rule.id,
        rule_name=rule.name,
        strategy=strategy,
        trace=found.trace,
        rules_skipped=found.rules_skipped,
        candidates=candidates,
        more_candidates=scored - len(candidates),
        exclusions=found.exclusions,
        state_before=dict(state),
        state_after=new_state,
        arm=arm,
    )


def _arm(
    rule: RoutingRule, state: Mapping[str, Any], rng: Random
) -> tuple[str, Mapping[str, Any], Arm | None, Mapping[str, Any]]:
    """The strategy, options, arm and strategy state this decision runs with. A rule with a
    holdout draws once from ``rng``: below its share, the baseline with the state kept for
    it; else the rule's own strategy with the rest of the state."""
    holdout = rule.holdout
    if holdout is None:
        return rule.strategy, rule.strategy_options, None, state
    own = {key: value for key, value in state.items() if key != Arm.holdout.value}
    if rng.random() < holdout.share:
        kept = state.get(Arm.holdout.value)
        return (
            holdout.strategy,
            holdout.options,
            Arm.holdout,
            kept if isinstance(kept, dict) else {},
        )
    return rule.strategy, rule.strategy_options, Arm.smart, own


def _best(scores: Mapping[int, float]) -> list[tuple[int, float]]:
    """The TOP_CANDIDATES best scores, the highest first, equal scores by rep id. For a
    big team: the cut-off score from the sorted scores alone, then only those above it."""
    if len(scores) > TOP_CANDIDATES:
        cut = sorted(scores.values(), reverse=True)[TOP_CANDIDATES - 1]
        scores = {rep_id: score for rep_id, score in scores.items() if score >= cut}
    ranked = sorted((-score, rep_id) for rep_id, score in scores.items())
    return [(rep_id, -negative) for negative, rep_id in ranked[:TOP_CANDIDATES]]


def _named(eligible: Sequence[RepState], rep_id: int) -> str:
    """The name of the eligible rep ``rep_id``: eligible reps are in id order."""
    return eligible[bisect_left(eligible, rep_id, key=_BY_ID)].rep.name


def route(customer: WorkItem, ctx: RoutingContext, *, now: datetime, rng: Random) -> Decision:
    """Decide who gets ``customer`` (or which pool / the queue), and say why."""
    found = match(customer, ctx, now=now)
    state = ctx.states.get(found.rule.id, {}) if found.rule else {}
    return decide(found, customer=customer, state=state, rng=rng, affinity=ctx.affinity)
