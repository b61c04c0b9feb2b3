"""What the routing engine takes in and gives back. Plain data: no sessions, no clocks."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from fenpei.domain.org import Leave, Rep
from fenpei.engine.capacity import Usage, WeightedLoad


class TargetKind(StrEnum):
    reps = "reps"  # the listed reps
    team = "team"  # a team, optionally with its sub-teams
    skill = "skill"  # reps having a skill or tag
    account_owner = "account_owner"  # whoever owns the matching existing company / contact
    customer_owner = "customer_owner"  # a task's: the owner of its (first) customer
    pool = "pool"  # leave unowned in a named pool
    queue = "queue"  # hold in the queue (assign later)


class Fallback(StrEnum):
    next_rule = "next_rule"  # try the rules below
    team_pool = "team_pool"  # put the customer in the rule's pool
    queue = "queue"  # queue it and retry when capacity frees


class Outcome(StrEnum):
    assigned = "assigned"
    pool = "pool"
    queued = "queued"


@dataclass(frozen=True)
class Target:
    kind: TargetKind
    rep_ids: tuple[int, ...] = ()
    team_id: int | None = None
    include_subteams: bool = True
    skill: str | None = None  # "industries:retail", "languages:en" or a plain tag
    pool: str | None = None
    match_on: tuple[str, ...] = ("company", "email_domain", "phone")


@dataclass(frozen=True)
class EffectiveWindow:
    """When a rule may fire: dates (inclusive), weekdays (0 = Monday) and hours, in a zone."""

    time_zone: str = "Asia/Shanghai"
    starts_on: date | None = None
    ends_on: date | None = None
    weekdays: frozenset[int] = frozenset(range(7))
    hours: tuple[str, str] | None = None  # ("09:00", "18:00"), end exclusive


@dataclass(frozen=True)
class Holdout:
    """A randomised holdout (对照组): ``share`` of the customers the rule decides for are
    routed by ``strategy`` (a baseline, with ``options``) instead of the rule's own, chosen
    by the decision's RNG and recorded as the decision's ``arm``."""

    share: float
    strategy: str = "round_robin"
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Reroute:
    """Dynamic re-routing (动态分配): when a change to a customer the rule matches makes
    ``when`` (a condition tree, validated) true, the rule routes the customer again, at
    most once per ``min_days`` (services.routing_reroute)."""

    when: dict[str, Any]
    min_days: int = 7


@dataclass(frozen=True)
class RoutingRule:
    """A rule as the engine runs it; ``conditions`` is the validated JSON tree."""

    id: int
    name: str
    priority: int
    conditions: dict[str, Any]
    target: Target
    strategy: str = "round_robin"
    strategy_options: dict[str, Any] = field(default_factory=dict)
    fallback: Fallback = Fallback.next_rule
    fallback_pool: str | None = None
    required_skills: tuple[str, ...] = ()
    enabled: bool = True
    window: EffectiveWindow | None = None
    is_default: bool = False
    holdout: Holdout | None = None
    reroute: Reroute | None = None


@dataclass(frozen=True)
class RepState:
    """A rep with everything routing needs to judge them, loaded by the service."""

    rep: Rep
    usage: Usage
    team_ids: tuple[int, ...] = ()  # the rep's team and every team above it
    leaves: tuple[Leave, ...] = ()
    open_value: Decimal = Decimal(0)  # expected value of open customers held
    last_assigned_at: datetime | None = None
    # Routing a task: the rep's open task weight against their task capacity, which then
    # replaces the customer limits (``usage`` is not looked at). None routing a customer.
    weighted: WeightedLoad | None = None
    # Worked out once per state, for screening a big team fast: the rep's id; whether
    # they are under every limit; whether nothing but their working hours can exclude
    # them from a rule asking no skill (active, not away, no leave, under every limit),
    # with their hours as a key reps on the same shift share; whether nothing at all can
    # (steady and no working hours): eligible for any such rule, whatever the time.
    id: int = field(init=False, repr=False, compare=False)
    under: bool = field(init=False, repr=False, compare=False)
    steady: bool = field(init=False, repr=False, compare=False)
    shift: tuple[str, str] | None = field(init=False, repr=False, compare=False)
    free: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        rep, usage, weighted = self.rep, self.usage, self.weighted
        under = (
            (
                (rep.max_open is None or usage.open_count < rep.max_open)
                and (rep.max_per_day is None or usage.received_day < rep.max_per_day)
                and (rep.max_per_week is None or usage.received_week < rep.max_per_week)
                and (rep.max_per_month is None or usage.received_month < rep.max_per_month)
            )
            if weighted is None
            else weighted.fits
        )
        steady = under and rep.active and not rep.away and not self.leaves
        hours = rep.working_hours
        shift = (rep.time_zone, _hours_key(hours)) if hours else None
        object.__setattr__(self, "id", rep.id)
        object.__setattr__(self, "under", under)
        object.__setattr__(self, "steady", steady)
        object.__setattr__(self, "shift", shift)
        object.__setattr__(self, "free", steady and shift is None)


# Working hours as text, by the identity of the dict that holds them: a rep's states (one
# per load read or customer received) share their rep's dict, so it is written out once,
# not per state. Each entry keeps its dict alive, so an id is never reused while kept.
# Hours are replaced, never edited in place (the database mapping would miss an edit too).
_HOURS_KEYS: dict[int, tuple[dict[str, Any], str]] = {}
_HOURS_KEPT = 10_000


def _hours_key(hours: dict[str, Any]) -> str:
    kept = _HOURS_KEYS.get(id(hours))
    if kept is not None and kept[0] is hours:
        return kept[1]
    if len(_HOURS_KEYS) >= _HOURS_KEPT:
        _HOURS_KEYS.clear()
    key = json.dumps(hours, sort_keys=True)
    _HOURS_KEYS[id(hours)] = (hours, key)
    return key


@dataclass(frozen=True)
class Choice:
    """What a strategy picked among eligible reps, with a score for every one of them."""

    rep_id: int
    scores: dict[int, float]
    reason: str
    new_state: dict[str, Any] = field(default_factory=dict)
    # How many candidates were scored, when ``scores`` lists only the best of them (a
    # strategy whose scores follow from an order, like round robin's turns, need not
    # write a thousand of them down); None: ``scores`` has every one.
    scored: int | None = None
    # The reason as a stable code and its values, for pages and the CLI to put in words
    # (``reason`` is the English fallback): ``least_loaded`` {open, capacity, share, …}.
    code: str = ""
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RuleTrace:
    rule_id: int
    rule_name: str
    result: str  # matched | no_match | disabled | outside_window | no_eligible_rep
    failed_condition: str | None = None
    # ``failed_condition`` as data (``phrases.phrase_data``: key, values, the condition's
    # tree), for pages to put in words; None in traces stored before it existed.
    failed: dict[str, Any] | None = None


@dataclass(frozen=True)
class Exclusion:
    rep_id: int
    rep_name: str
    reason: str


@dataclass(frozen=True)
class Candidate:
    rep_id: int
    rep_name: str
    score: float


TOP_CANDIDATES = 10  # candidates a decision lists by name and score; the rest are counted


@dataclass(frozen=True)
class Decision:
    """The engine's answer and the whole story of how it got there."""

    outcome: Outcome
    reason: str
    rep_id: int | None = None
    rule_id: int | None = None
    rule_name: str | None = None
    strategy: str | None = None
    pool: str | None = None
    trace: tuple[RuleTrace, ...] = ()
    rules_skipped: int = 0  # rules the index proved could not match (not in ``trace``)
    candidates: tuple[Candidate, ...] = ()  # the best scored, at most TOP_CANDIDATES
    more_candidates: int = 0  # eligible reps scored below those, counted, not listed
    exclusions: tuple[Exclusion, ...] = ()
    state_before: dict[str, Any] = field(default_factory=dict)
    state_after: dict[str, Any] = field(default_factory=dict)
    # ``reason`` as a stable code and its values (see ``Choice.code``); "" in decisions
    # stored before codes existed, which pages read from the English ``reason``.
    reason_code: str = ""
    reason_params: dict[str, Any] = field(default_factory=dict)
    # The experiment arm (domain.scoring.Arm) when the rule runs a holdout, else None.
    arm: str | None = None
