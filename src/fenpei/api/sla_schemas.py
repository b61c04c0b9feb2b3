"""Request and response shapes of the SLA endpoints (首次联系时限, 下次联系时限)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from fenpei.domain.sla import MAX_MINUTES
from fenpei.http.fields import Id

Minutes = Field(ge=0, le=MAX_MINUTES)
Calendar = Literal["CN", "none"]


class SlaPolicyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    level: str | None = Field(description="A customer level code; null: any level.")
    rule_id: int | None = Field(description="The assignment's rule; null: any rule.")
    first_contact_minutes: int = Field(description="The target, in business minutes.")
    remind_before_minutes: int = Field(description="Remind the owner this long before; 0: no.")
    notify_manager: bool = Field(description="Tell the owner's manager on a breach.")
    reassign_after_minutes: int | None = Field(
        description="Re-route the customer this many business minutes after a breach; null: never."
    )
    next_contact_minutes: int | None = Field(
        description="Once contact is made, each next contact is due this many business minutes "
        "after the last one; null: no next-contact target."
    )
    calendar: str = Field(description="`CN`: China's holidays and 调休 plus imports; `none`.")
    active: bool
    position: int = Field(description="Among equal matches, the lowest wins.")


class SlaPolicyCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"name": "A 级 2 小时", "level": "A", "first_contact_minutes": 120}]
        },
    )

    name: str = Field(min_length=1, max_length=100)
    level: str | None = Field(default=None, min_length=1, max_length=50)
    rule_id: Id | None = None
    first_contact_minutes: int = Field(ge=1, le=MAX_MINUTES)
    remind_before_minutes: int = Field(default=0, ge=0, le=MAX_MINUTES)
    notify_manager: bool = False
    reassign_after_minutes: int | None = Field(default=None, ge=0, le=MAX_MINUTES)
    next_contact_minutes: int | None = Field(default=None, ge=1, le=MAX_MINUTES, strict=True)
    calendar: Calendar = "CN"
    active: bool = True
    position: int = Field(default=0, ge=0, le=10_000)


class SlaPolicyUpdate(BaseModel):
    """Fields left out keep their value."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    level: str | None = Field(default=None, min_length=1, max_length=50)
    rule_id: Id | None = None
    first_contact_minutes: int | None = Field(default=None, ge=1, le=MAX_MINUTES)
    remind_before_minutes: int | None = Field(default=None, ge=0, le=MAX_MINUTES)
    notify_manager: bool | None = None
    reassign_after_minutes: int | None = Field(default=None, ge=0, le=MAX_MINUTES)
    next_contact_minutes: int | None = Field(default=None, ge=1, le=MAX_MINUTES, strict=True)
    calendar: Calendar | None = None
    active: bool | None = None
    position: int | None = Field(default=None, ge=0, le=10_000)


class SlaClockRead(BaseModel):
    """A customer's newest SLA clock; breaches are the job's, not computed here."""

    kind: str = Field(description="first (first contact) | next (next contact after the last)")
    state: str = Field(description="open | met | breached | cancelled")
    rep_id: int
    rep_name: str | None
    policy_id: int | None
    policy_name: str | None
    started_at: datetime
    due_at: datetime
    time_zone: str = Field(description="The owner's time zone: the due time is theirs.")
    due_local: str = Field(description="The due time in the owner's time zone.")
    remaining_minutes: int | None = Field(
        description="Business minutes left (negative: overdue); null once met or cancelled."
    )
    paused: bool
    paused_minutes: int
    reminded_at: datetime | None
    breached_at: datetime | None
    escalated_at: datetime | None
    reassigned_at: datetime | None
    met_at: datetime | None


class HolidayRead(BaseModel):
    day: date
    kind: str = Field(description="holiday | workday (调休: a weekend day worked)")
    name: str
    source: str = Field(description="official (the chinese-calendar package) | imported")
    overrides: bool = Field(description="An imported entry replacing the package's for the day.")


class HolidayYearRead(BaseModel):
    year: int
    package_covers: bool = Field(description="Whether the package knows this year.")
    days: list[HolidayYearDay]


HolidayYearDay = HolidayRead
HolidayYearRead.model_rebuild()


class HolidayImport(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"csv": "date,kind,name\n2026-10-01,holiday,国庆节\n"}]},
    )

    csv: str = Field(
        min_length=1, max_length=40_000, description="Rows `date,kind,name`; a header is optional."
    )
