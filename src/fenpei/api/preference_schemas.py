"""What the notification preferences API reads and returns."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from fenpei.domain.preferences import CHOOSABLE_EVENTS
from fenpei.domain.users import Role

_EVENTS = ", ".join(f"`{value}`" for value in CHOOSABLE_EVENTS)
EventName = Annotated[str, Field(max_length=40)]
Events = Annotated[
    list[EventName],
    Field(
        max_length=len(CHOOSABLE_EVENTS),
        description=f"The event types emailed: any of {_EVENTS}; empty for none.",
    ),
]
TimeOfDay = Annotated[str, Field(max_length=5, description="HH:MM, 00:00 to 23:59.")]


class PreferencesUpdate(BaseModel):
    """Your choices: the events emailed to you and your quiet hours (免打扰)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "email_events": ["customer.assigned"],
                    "quiet_start": "22:00",
                    "quiet_end": "08:00",
                    "digest": False,
                }
            ]
        },
    )

    email_events: Events | None = Field(
        None, description="null: your role's default (set by an admin)."
    )
    quiet_start: TimeOfDay | None = Field(
        None, description="Emails wait from this time of day (in your rep's time zone)."
    )
    quiet_end: TimeOfDay | None = Field(
        None, description="... until this one; may be earlier than the start (overnight)."
    )
    digest: bool = Field(
        False, description="One email a day (at 08:00 your time) instead of one per event."
    )


class PreferencesRead(BaseModel):
    """Your preferences as they apply. The in-app inbox always gets every event."""

    model_config = ConfigDict(from_attributes=True)

    email_events: list[str] = Field(description="The events emailed to you now.")
    uses_role_default: bool = Field(description="True: you have not chosen; your role's applies.")
    quiet_start: str | None
    quiet_end: str | None
    digest: bool = Field(description="True: one daily email instead of one per event.")
    role: Role
    updated_at: datetime | None


class RoleDefaultUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"email_events": ["customer.assigned"]}]}
    )

    email_events: Events


class RoleDefaultRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    role: Role
    email_events: list[str]
    is_set: bool = Field(description="False: no admin set it yet, so every event is emailed.")
