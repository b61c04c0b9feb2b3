"""A rep's status on the pages is routing's own verdict (``exclusion_reason``), and the
capacity shown for a rep without max_open is the one load-weighing rules measure against."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from fenpei.domain.org import Rep
from fenpei.domain.users import SYSTEM
from fenpei.engine.eligibility import exclusion_reason
from fenpei.engine.model import RepState
from fenpei.services import analytics, org
from fenpei.services.rep_status import (
    DefaultCapacity,
    RepStatus,
    StatusKind,
    default_capacity,
    rep_statuses,
    status_kind,
)
from fenpei.services.rules import create_rule
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import a_customer, a_rep, assigned

# The clock stands at Monday 2026-11-02 09:30 UTC: 18:30 in Tokyo, 09:30 in London.
NINE_TO_SIX = {"mon": [["09:00", "18:00"]]}


def _world(uow: FakeUnitOfWork, clock: FixedClock) -> dict[str, Rep]:
    """One rep of every status, by the status routing gives them now."""
    reps = {
        StatusKind.available: a_rep(
            uow, clock, "Here", working_hours=NINE_TO_SIX, time_zone="Europe/London"
        ),
        StatusKind.inactive: a_rep(uow, clock, "Gone", active=False, away=True),
        StatusKind.away: a_rep(uow, clock, "Paused", away=True),
        StatusKind.on_leave: a_rep(uow, clock, "Holiday"),
        StatusKind.off_shift: a_rep(
            uow, clock, "Tokyo", working_hours=NINE_TO_SIX, time_zone="Asia/Tokyo"
        ),
        StatusKind.full: a_rep(uow, clock, "Busy", max_open=1),
    }
    on_leave = reps[StatusKind.on_leave].id
    assert on_leave is not None
    in_transaction(
        uow,
        lambda: org.add_leave(
            uow=uow,
            rep_id=on_leave,
            starts_at=clock.now() - timedelta(hours=1),
            ends_at=clock.now() + timedelta(days=1),
            actor=SYSTEM,
            now=clock.now(),
        ),
    )
    assigned(uow, clock, a_customer(uow, clock), reps[StatusKind.full])
    return {kind.value: rep for kind, rep in reps.items()}


def _statuses(uow: FakeUnitOfWork, clock: FixedClock) -> dict[int, RepStatus]:
    with uow:
        return rep_statuses(uow=uow, reps=uow.reps.all(), now=clock.now())


def test_every_status_is_the_one_routing_gives(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    reps = _world(uow, clock)
    statuses = _statuses(uow, clock)

    assert {kind: statuses[rep.id or 0].kind.value for kind, rep in reps.items()} == {
        kind.value: kind.value for kind in StatusKind
    }
    with uow:
        loads = uow.routing.loads(now=clock.now())
        for rep in uow.reps.all():
            assert rep.id is not None
            state = RepState(
                rep=rep, usage=loads[rep.id].usage, leaves=tuple(uow.reps.leaves(rep.id))
            )
            reason = exclusion_reason(state, now=clock.now())
            assert statuses[rep.id] == RepStatus(status_kind(reason), reason), rep.name
    on_leave = statuses[reps["on_leave"].id or 0]
    assert on_leave.reason == "on leave until 2026-11-03 17:30"  # in the rep's zone, Shanghai
    assert statuses[reps["full"].id or 0].reason == "at capacity: 1/1 open customers"


def test_a_leave_that_has_ended_or_not_begun_leaves_the_rep_available(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    reps = _world(uow, clock)
    clock.advance(days=2)  # the leave is over; Tokyo and London are on their next Wednesday
    statuses = _statuses(uow, clock)
    assert statuses[reps["on_leave"].id or 0].kind is StatusKind.available


def test_the_org_chart_and_the_rep_view_carry_the_status(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    reps = _world(uow, clock)
    with uow:
        chart = analytics.org_chart(uow=uow, actor=SYSTEM, now=clock.now())
        view = org.view_rep(uow=uow, rep_id=reps["on_leave"].id or 0, actor=SYSTEM, now=clock.now())
    assert {line.rep.name: line.status.kind.value for line in chart.unassigned} == {
        rep.name: kind for kind, rep in reps.items()
    }
    assert view.status.kind is StatusKind.on_leave


def test_a_reason_the_pages_never_meet_is_refused_rather_than_guessed() -> None:
    assert status_kind(None) is StatusKind.available
    with pytest.raises(ValueError, match="lacks skill"):
        status_kind("lacks skill industries:retail")


def _rule(uow: FakeUnitOfWork, clock: FixedClock, strategy: str, **options: Any) -> None:
    fields = {
        "name": f"{strategy} {options}",
        "target": {"kind": "pool"},
        "strategy": strategy,
        "strategy_options": options,
    }
    in_transaction(uow, lambda: create_rule(uow=uow, fields=fields, actor=SYSTEM, now=clock.now()))


def test_default_capacity_is_what_the_active_load_weighing_rules_measure_against(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    def found() -> DefaultCapacity | None:
        with uow:
            return default_capacity(uow=uow)

    assert found() is None
    _rule(uow, clock, "round_robin")
    _rule(uow, clock, "value_balanced")  # weighs money, not capacity
    assert found() is None
    _rule(uow, clock, "least_loaded", default_capacity=40)
    assert found() == DefaultCapacity(40, 40)
    _rule(uow, clock, "best_match")  # no option: the engine's 100
    assert found() == DefaultCapacity(40, 100)
