"""The rep pickers' options: each active rep in the viewer's scope with their team, their
open customers against the capacity routing enforces or measures, and their status now
(可接单 / 休假中 / 暂停接单 / 已满 / 非工作时间) — the same figures as the teams page
(``analytics.rep_loads``, ``rep_status.default_capacity``).

A plain ``<select>`` shows the whole line in each option, so the picker works without
JavaScript; ``static/bulk.js`` adds a type-to-filter box over it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fenpei.domain.users import Actor
from fenpei.services import analytics, scope
from fenpei.services.ports import UnitOfWork
from fenpei.services.rep_status import DefaultCapacity, StatusKind, default_capacity
from fenpei.web.i18n import Translate


@dataclass(frozen=True)
class RepOption:
    """One option: the rep's id and name, the whole line shown, and the status kind."""

    id: int
    name: str
    label: str
    status: StatusKind


def _capacity(max_open: int | None, measured: DefaultCapacity | None, t: Translate) -> str:
    if max_open is not None:
        return str(max_open)
    if measured is None:
        return t("bulkall.picker.uncapped")
    if measured.low == measured.high:
        return str(measured.low)
    return f"{measured.low}–{measured.high}"


def rep_options(*, uow: UnitOfWork, actor: Actor, now: datetime, t: Translate) -> list[RepOption]:
    """The active reps ``actor`` may give customers to, by name, each with its line."""
    visible = scope.data_scope(uow=uow, actor=actor)
    reps = [r for r in uow.reps.all() if r.active and visible.covers_rep(r)]
    lines = analytics.rep_loads(uow=uow, reps=reps, scope=visible, now=now, active_only=True)
    teams = {team.id: team.name for team in uow.teams.all()}
    measured = default_capacity(uow=uow)
    options = []
    for line in lines:
        rep = line.rep
        if rep.id is None:
            continue
        held = line.usage.open_count if line.usage is not None else 0
        label = t(
            "bulkall.picker.option",
            name=rep.name,
            team=teams.get(rep.team_id, t("bulkall.picker.no_team")),
            open=held,
            capacity=_capacity(rep.max_open, measured, t),
            status=t(f"org.status.{line.status.kind.value}"),
        )
        options.append(RepOption(rep.id, rep.name, label, line.status.kind))
    return options
