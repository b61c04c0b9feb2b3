"""SLA policies, customers' clocks (pause / resume) and the holiday calendar."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, status

from fenpei.api.schemas import ErrorRead
from fenpei.api.sla_schemas import (
    HolidayImport,
    HolidayRead,
    HolidayYearRead,
    SlaClockRead,
    SlaPolicyCreate,
    SlaPolicyRead,
    SlaPolicyUpdate,
)
from fenpei.http.deps import AdminActor, CurrentActor, FenpeiDep, UowDep
from fenpei.http.fields import Id
from fenpei.services.sla import calendars, clocks, policies
from fenpei.services.sla.clocks import ClockView

router = APIRouter(tags=["sla"])
Year = Annotated[int, Path(ge=calendars.MIN_YEAR, le=calendars.MAX_YEAR)]
ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorRead},
    404: {"model": ErrorRead},
    422: {"model": ErrorRead},
}
CONFLICT: dict[int | str, dict[str, Any]] = {**ERRORS, 409: {"model": ErrorRead}}


@router.get("/sla-policies", responses=ERRORS)
def list_policies(uow: UowDep, actor: CurrentActor) -> list[SlaPolicyRead]:
    """Every SLA policy (admins and managers)."""
    return [SlaPolicyRead.model_validate(p) for p in policies.list_policies(uow=uow, actor=actor)]


@router.post("/sla-policies", status_code=status.HTTP_201_CREATED, responses=ERRORS)
def create_policy(
    body: SlaPolicyCreate, uow: UowDep, actor: AdminActor, fenpei: FenpeiDep
) -> SlaPolicyRead:
    """Add a policy; owners given customers from now on get clocks by it."""
    policy = policies.create_policy(
        uow=uow, fields=body.model_dump(), actor=actor, now=fenpei.now()
    )
    read = SlaPolicyRead.model_validate(policy)
    uow.commit()
    return read


@router.get("/sla-policies/{policy_id}", responses=ERRORS)
def get_policy(policy_id: Id, uow: UowDep, actor: CurrentActor) -> SlaPolicyRead:
    return SlaPolicyRead.model_validate(
        policies.get_policy(uow=uow, policy_id=policy_id, actor=actor)
    )


@router.patch("/sla-policies/{policy_id}", responses=ERRORS)
def update_policy(
    policy_id: Id, body: SlaPolicyUpdate, uow: UowDep, actor: AdminActor, fenpei: FenpeiDep
) -> SlaPolicyRead:
    """Change a policy; running clocks keep their times."""
    policy = policies.update_policy(
        uow=uow, policy_id=policy_id, fields=body.model_dump(exclude_unset=True), actor=actor,
        now=fenpei.now(),
    )  # fmt: skip
    read = SlaPolicyRead.model_validate(policy)
    uow.commit()
    return read


@router.delete(
    "/sla-policies/{policy_id}", status_code=status.HTTP_204_NO_CONTENT, responses=ERRORS
)
def delete_policy(policy_id: Id, uow: UowDep, actor: AdminActor, fenpei: FenpeiDep) -> None:
    policies.delete_policy(uow=uow, policy_id=policy_id, actor=actor, now=fenpei.now())
    uow.commit()


def clock_read(shown: ClockView) -> SlaClockRead:
    clock = shown.clock
    due_local = clock.due_at.astimezone(calendars.zone_of(shown.time_zone))
    return SlaClockRead(
        kind=clock.kind.value, state=clock.state.value, rep_id=clock.rep_id,
        rep_name=shown.rep_name,
        policy_id=clock.policy_id, policy_name=shown.policy_name, started_at=clock.started_at,
        due_at=clock.due_at, time_zone=shown.time_zone,
        due_local=due_local.strftime("%Y-%m-%d %H:%M"),
        remaining_minutes=shown.remaining_minutes, paused=clock.paused_at is not None,
        paused_minutes=clock.paused_minutes, reminded_at=clock.reminded_at,
        breached_at=clock.breached_at, escalated_at=clock.escalated_at,
        reassigned_at=clock.reassigned_at, met_at=clock.met_at,
    )  # fmt: skip


@router.get("/customers/{customer_id}/sla", responses=ERRORS)
def customer_clock(
    customer_id: Id, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> SlaClockRead | None:
    """The customer's newest SLA clock, first or next contact (null: none ever started)."""
    shown = clocks.view(uow=uow, customer_id=customer_id, actor=actor, now=fenpei.now())
    return clock_read(shown) if shown is not None else None


@router.post("/customers/{customer_id}/sla/pause", responses=CONFLICT)
def pause_clock(
    customer_id: Id, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> SlaClockRead:
    """Stop the customer's open clock counting (admins and managers)."""
    clocks.pause(uow=uow, customer_id=customer_id, actor=actor, now=fenpei.now())
    read = _shown(uow, customer_id, actor, fenpei)
    uow.commit()
    return read


@router.post("/customers/{customer_id}/sla/resume", responses=CONFLICT)
def resume_clock(
    customer_id: Id, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> SlaClockRead:
    """Let a paused clock count again; the paused business time does not count."""
    clocks.resume(uow=uow, customer_id=customer_id, actor=actor, now=fenpei.now())
    read = _shown(uow, customer_id, actor, fenpei)
    uow.commit()
    return read


def _shown(uow: UowDep, customer_id: int, actor: CurrentActor, fenpei: FenpeiDep) -> SlaClockRead:
    shown = clocks.view(uow=uow, customer_id=customer_id, actor=actor, now=fenpei.now())
    assert shown is not None
    return clock_read(shown)


@router.get("/holidays/{year}", responses=ERRORS)
def holidays(year: Year, uow: UowDep, actor: CurrentActor) -> HolidayYearRead:
    """The year's holidays and make-up workdays: the package's and the imported ones."""
    days = calendars.year_days(uow=uow, year=year)
    return HolidayYearRead(
        year=year,
        package_covers=calendars.package_covers(year),
        days=[HolidayRead(day=d.day, kind=d.kind.value, name=d.name, source=d.source,
                          overrides=d.overrides) for d in days],
    )  # fmt: skip


@router.put("/holidays/{year}", responses=ERRORS)
def import_holidays(
    year: Year, body: HolidayImport, uow: UowDep, actor: AdminActor
) -> HolidayYearRead:
    """Replace the year's imported entries with the CSV (all or nothing)."""
    calendars.import_year(uow=uow, actor=actor, year=year, text=body.csv)
    read = holidays(year, uow, actor)
    uow.commit()
    return read


@router.delete("/holidays/{year}", status_code=status.HTTP_204_NO_CONTENT, responses=ERRORS)
def delete_holidays(year: Year, uow: UowDep, actor: AdminActor) -> None:
    """Drop the year's imported entries (the package's days apply again)."""
    calendars.delete_year(uow=uow, actor=actor, year=year)
    uow.commit()
