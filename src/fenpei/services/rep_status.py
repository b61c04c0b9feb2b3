"""A rep's status on screen (可接单 / 休假中 / 暂停接单 / 非工作时间 / 已满 / 已停用): what routing
would decide for them now, worked out by the same check routing makes
(``engine.eligibility.exclusion_reason``) over the same inputs (the rep, their leaves, their
kept load), so a page can never say 可接单 about a rep routing passes over.

And the capacity routing measures a rep without ``max_open`` against: no cap is enforced,
but the rules that weigh load as a share of capacity (least loaded, best match) count the
rep against their ``default_capacity`` (100 unless set), which is what their explanations
show ("12/100 open").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from fenpei.domain.org import Leave, Rep
from fenpei.domain.rules import RuleSubject
from fenpei.engine.capacity import Usage
from fenpei.engine.eligibility import OFF_SHIFT, exclusion_reason
from fenpei.engine.model import RepState
from fenpei.engine.strategies import measured_capacity
from fenpei.services.ports import RepLoad, UnitOfWork


class StatusKind(StrEnum):
    """The kinds of status, in the order routing checks them (inactive first)."""

    inactive = "inactive"
    away = "away"
    on_leave = "on_leave"
    off_shift = "off_shift"
    full = "full"
    available = "available"


@dataclass(frozen=True)
class RepStatus:
    """What routing would decide for a rep now: the kind, and routing's own reason
    (``exclusion_reason``'s words, e.g. ``on leave until 2026-11-03 18:00``; None when
    the rep may receive a customer)."""

    kind: StatusKind
    reason: str | None = None


def status_kind(reason: str | None) -> StatusKind:
    """The kind of an ``exclusion_reason`` (None: available)."""
    if reason is None:
        return StatusKind.available
    if reason == "inactive":
        return StatusKind.inactive
    if reason.startswith("away"):
        return StatusKind.away
    if reason.startswith("on leave"):
        return StatusKind.on_leave
    if reason == OFF_SHIFT:
        return StatusKind.off_shift
    if reason.startswith("at capacity"):
        return StatusKind.full
    raise ValueError(f"no status for the exclusion reason {reason!r}")


def status_of(rep: Rep, *, usage: Usage, leaves: Sequence[Leave], now: datetime) -> RepStatus:
    """Whether routing would give ``rep`` a customer asking no skill now, and if not why."""
    mine = tuple(leave for leave in leaves if leave.rep_id == rep.id)
    reason = exclusion_reason(RepState(rep=rep, usage=usage, leaves=mine), now=now)
    return RepStatus(status_kind(reason), reason)


def rep_statuses(
    *,
    uow: UnitOfWork,
    reps: Iterable[Rep],
    now: datetime,
    loads: Mapping[int, RepLoad] | None = None,
) -> dict[int, RepStatus]:
    """Each rep's status now, by rep id, from their kept loads (``loads`` if already read,
    else read here in one query) and the leaves not yet over."""
    chosen = [rep for rep in reps if rep.id is not None]
    if loads is None:
        loads = uow.routing.loads(now=now, rep_ids=[rep.id for rep in chosen if rep.id])
    by_rep: dict[int, list[Leave]] = {}
    for leave in uow.routing.leaves_around(now=now):
        by_rep.setdefault(leave.rep_id, []).append(leave)
    return {
        rep.id: status_of(
            rep,
            usage=loads[rep.id].usage if rep.id in loads else Usage(0),
            leaves=by_rep.get(rep.id, []),
            now=now,
        )
        for rep in chosen
        if rep.id is not None
    }


@dataclass(frozen=True)
class DefaultCapacity:
    """The capacities the active rules that weigh load measure a rep without ``max_open``
    against: ``low`` to ``high`` (equal when they agree). None of these is a cap."""

    low: int
    high: int


def default_capacity(*, uow: UnitOfWork) -> DefaultCapacity | None:
    """What load-weighing rules count a rep without max_open against, or None when no
    active rule weighs load (then nothing at all stands in for the missing limit)."""
    found = [
        capacity
        for rule in uow.rules.active()
        if rule.subject == RuleSubject.customer  # task rules measure task hours, not these
        and (capacity := measured_capacity(rule.strategy, rule.strategy_options)) is not None
    ]
    return DefaultCapacity(min(found), max(found)) if found else None
