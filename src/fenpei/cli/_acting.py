"""Who a command acts as, and the times it is given: shared by the commands that act for a
rep (follow-ups, tasks)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services.org import find_rep
from fenpei.services.ports import UnitOfWork

TIME_FORMATS = ["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]


def aware(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    """A time typed without a zone is in the configured one."""
    if value is None:
        return None
    return (value if value.tzinfo is not None else value.replace(tzinfo=zone)).astimezone(UTC)


def acting_as(uow: UnitOfWork, rep: str | None) -> Actor:
    """The rep named (who must own what is acted on), else the system (an admin)."""
    if rep is None:
        return SYSTEM
    found = find_rep(uow=uow, ref=rep)
    return Actor(found.name, Role.rep, rep_id=found.id)
