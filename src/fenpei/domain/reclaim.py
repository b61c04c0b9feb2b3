"""Reclaim (回收): when an owned customer goes back to its pool, from the pool's terms.

Each rule has a clock and a number of days (per customer level if ``level_days`` says):

- ``no_follow_up``: idle since max(assigned_at, last_follow_up_at);
- ``not_won``: since assigned_at, until won;
- ``stuck``: in one stage since max(assigned_at, stage_changed_at).

A customer is due at ``since + days``, but never before its protection (保护期) ends; due
at that instant exactly, not a minute before. A rule's cutoff is ``now - days``: a clock
at or before it is due. Everything here is pure: ``now`` is an argument.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from fenpei.domain.customers import Stage
from fenpei.domain.pools import Pool, ReclaimRule, protected_until, return_pool

MAX_RECLAIM_DAYS = 3_650
MAX_LEVEL_CODE = 50


class Owned(Protocol):
    """What reclaim reads of an owned customer (a ``Customer`` or a lighter row)."""

    @property
    def level(self) -> str | None: ...
    @property
    def stage(self) -> Stage: ...
    @property
    def key_account(self) -> bool: ...
    @property
    def assigned_at(self) -> datetime | None: ...
    @property
    def last_follow_up_at(self) -> datetime | None: ...
    @property
    def stage_changed_at(self) -> datetime | None: ...


@dataclass(frozen=True)
class Cutoff:
    """One (rule, level) group of a pool: customers whose clock is at or before ``before``
    are due. ``level`` None: every level without its own days (``other_levels``)."""

    rule: ReclaimRule
    level: str | None
    days: int
    before: datetime
    other_levels: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Due:
    """Why and when a customer is due: its rule, level, days, clock start and due time."""

    rule: ReclaimRule
    level: str | None
    days: int
    since: datetime
    due: datetime


def base_days(pool: Pool) -> dict[ReclaimRule, int | None]:
    """Each rule's days for levels without their own (None: the rule is off)."""
    return {
        ReclaimRule.no_follow_up: pool.no_follow_up_days,
        ReclaimRule.not_won: pool.not_won_days,
        ReclaimRule.stuck: pool.stuck_days,
    }


def days_for(pool: Pool, rule: ReclaimRule, level: str | None) -> int | None:
    """The days ``rule`` gives a customer of ``level`` (its own if set, else the base)."""
    own = pool.level_days.get(level or "", {}) if level else {}
    return own.get(rule.value, base_days(pool)[rule])


def cutoffs(pool: Pool, now: datetime, *, ahead: timedelta = timedelta(0)) -> list[Cutoff]:
    """The (rule, level) groups of a pool whose clocks are due by ``now + ahead``."""
    if not pool.reclaim_enabled:
        return []
    found = []
    for rule, days in base_days(pool).items():
        own = {
            level: rules[rule.value]
            for level, rules in sorted(pool.level_days.items())
            if rule.value in rules
        }
        if days is not None:
            found.append(
                Cutoff(rule, None, days, now + ahead - timedelta(days=days), frozenset(own))
            )
        found += [
            Cutoff(rule, level, n, now + ahead - timedelta(days=n)) for level, n in own.items()
        ]
    return found


def protected_before(pool: Pool, now: datetime) -> datetime:
    """Customers given their owner at or before this are past their protection at ``now``."""
    return now - timedelta(days=pool.protection_days)


def exempt(customer: Owned, pool: Pool) -> bool:
    """Whether the pool's exemptions keep this customer from reclaim altogether."""
    return (pool.exempt_key_accounts and customer.key_account) or (
        pool.exempt_won and customer.stage is Stage.won
    )


def clock_start(customer: Owned, rule: ReclaimRule) -> datetime | None:
    """When the rule's clock started for this customer (None: it has no owner's date)."""
    start = customer.assigned_at
    if start is None:
        return None
    later = {
        ReclaimRule.no_follow_up: customer.last_follow_up_at,
        ReclaimRule.not_won: None,
        ReclaimRule.stuck: customer.stage_changed_at,
    }[rule]
    return max(start, later) if later is not None else start


def due_of(customer: Owned, pool: Pool) -> Due | None:
    """The earliest due of the customer under the pool's rules, None if none applies."""
    if not pool.reclaim_enabled or exempt(customer, pool):
        return None
    found: list[Due] = []
    for rule in ReclaimRule:
        days = days_for(pool, rule, customer.level)
        since = clock_start(customer, rule)
        if days is None or since is None or (rule is ReclaimRule.not_won and _won(customer)):
            continue
        due = since + timedelta(days=days)
        protection = protected_until(customer.assigned_at, pool)
        found.append(Due(rule, customer.level, days, since, max(due, protection or due)))
    return min(found, key=lambda d: d.due, default=None)


def _won(customer: Owned) -> bool:
    return customer.stage is Stage.won


_WORDS: Mapping[str, Mapping[ReclaimRule, str]] = {
    "zh-CN": {
        ReclaimRule.no_follow_up: "{days} 天未跟进",
        ReclaimRule.not_won: "{days} 天未成交",
        ReclaimRule.stuck: "{days} 天停留在同一阶段",
    },
    "en": {
        ReclaimRule.no_follow_up: "no follow-up for {span}",
        ReclaimRule.not_won: "not won within {span}",
        ReclaimRule.stuck: "{span} in one stage",
    },
}
_LEVEL = {"zh-CN": "（{level} 级客户）", "en": " (level {level})"}
_RECLAIMED = {"zh-CN": "自动回收：", "en": "Reclaimed: "}


def reason_words(rule: ReclaimRule, days: int, level: str | None, language: str = "en") -> str:
    """Why a customer is reclaimed, in words: "no follow-up for 15 days (level B)"."""
    language = language if language in _WORDS else "en"
    span = "1 day" if days == 1 else f"{days} days"
    text = _WORDS[language][rule].format(days=days, span=span)
    return text + (_LEVEL[language].format(level=level) if level else "")


def record_reason(due: Due, language: str = "en") -> str:
    """The reason an assignment record of a reclaim keeps."""
    return reclaimed_words(due.rule, due.days, due.level, language)


def reclaimed_words(rule: ReclaimRule, days: int, level: str | None, language: str) -> str:
    """ "Reclaimed: no follow-up for 5 days", in ``language`` (a page shows a stored
    record's reason so, from its explanation, in the reader's language)."""
    language = language if language in _RECLAIMED else "en"
    return _RECLAIMED[language] + reason_words(rule, days, level, language)


@dataclass(frozen=True)
class GoverningTerms:
    """A pool with reclaim on and the reps whose customers it governs (the pool their
    returns go to: their team's pool if configured, else the public one)."""

    pool: Pool
    owner_ids: frozenset[int]


class Member(Protocol):
    @property
    def id(self) -> int | None: ...
    @property
    def team_id(self) -> int | None: ...


def governing_terms(pools: Collection[Pool], reps: Collection[Member]) -> list[GoverningTerms]:
    """Which configured pool with reclaim on governs which reps: the pool each rep's
    customers return to (``return_pool``). An unconfigured pool has reclaim off, so it
    governs nothing. The reclaim job and the "due" sort both read this."""
    configured = {pool.key: pool for pool in pools}
    owners: dict[str, set[int]] = {}
    for rep in reps:
        if rep.id is not None:
            owners.setdefault(return_pool(rep.team_id, configured.__contains__), set()).add(rep.id)
    return [
        GoverningTerms(configured[key], frozenset(ids))
        for key, ids in sorted(owners.items())
        if key in configured and configured[key].reclaim_enabled
    ]
