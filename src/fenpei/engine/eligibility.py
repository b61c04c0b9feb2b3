"""The constraints that always hold: who may receive a customer right now, and why not."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from fenpei.domain.org import Rep
from fenpei.engine.capacity import capacity_breach
from fenpei.engine.model import EffectiveWindow, RepState

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
OFF_SHIFT = "off shift"


def _clock(text: str) -> time:
    return time(23, 59, 59, 999999) if text == "24:00" else time.fromisoformat(text)


def on_shift(working_hours: Mapping[str, Any], time_zone: str, now: datetime) -> bool:
    """Whether ``now`` falls in the rep's working hours; no hours set means always."""
    if not working_hours:
        return True
    local = now.astimezone(ZoneInfo(time_zone))
    spans = working_hours.get(WEEKDAYS[local.weekday()], [])
    moment = local.time()
    return any(_clock(start) <= moment < _clock(end) for start, end in spans)


def has_skill(rep: Rep, skill: str) -> bool:
    """``"industries:retail"`` looks in that skill list; a plain word looks in the tags."""
    kind, _, value = skill.partition(":")
    if not value:
        return skill.casefold() in {tag.casefold() for tag in rep.tags}
    return value.strip().casefold() in {s.casefold() for s in rep.skills.get(kind.strip(), [])}


Shifts = dict[tuple[str, str], bool]  # whether each shift (RepState.shift) is on now


def in_shift(state: RepState, now: datetime, shifts: Shifts) -> bool:
    """``on_shift`` for the rep, each distinct shift worked out once per ``shifts``: a
    team of a thousand on three shifts costs three checks, not a thousand."""
    key = state.shift
    if key is None:
        return True
    on = shifts.get(key)
    if on is None:
        rep = state.rep
        on = shifts[key] = on_shift(rep.working_hours, rep.time_zone, now)
    return on


def exclusion_reason(
    state: RepState,
    *,
    now: datetime,
    required_skills: Sequence[str] = (),
    shifts: Shifts | None = None,
) -> str | None:
    """Why this rep may not receive a customer now, or None if they may. ``shifts``, if
    given, remembers the shifts already checked at ``now`` across calls.

    Checked in the order a manager would want to read it: not working at all, not here
    now, not qualified, no room.
    """
    rep = state.rep
    if not rep.active:
        return "inactive"
    if rep.away:
        return "away (manual switch)"
    for leave in state.leaves:
        if leave.covers(now):
            local_end = leave.ends_at.astimezone(ZoneInfo(rep.time_zone))
            return f"on leave until {local_end:%Y-%m-%d %H:%M}"
    if not in_shift(state, now, {} if shifts is None else shifts):
        return OFF_SHIFT
    missing = [skill for skill in required_skills if not has_skill(rep, skill)]
    if missing:
        return f"lacks skill {', '.join(missing)}"
    weighted = state.weighted
    breach = capacity_breach(rep.capacity, state.usage) if weighted is None else weighted.breach()
    if breach:
        return f"at capacity: {breach}"
    return None


def in_window(window: EffectiveWindow | None, now: datetime) -> bool:
    """Whether a rule's effective window (dates, weekdays, hours) includes ``now``."""
    if window is None:
        return True
    local = now.astimezone(ZoneInfo(window.time_zone))
    if window.starts_on and local.date() < window.starts_on:
        return False
    if window.ends_on and local.date() > window.ends_on:
        return False
    if local.weekday() not in window.weekdays:
        return False
    if window.hours:
        start, end = (_clock(h) for h in window.hours)
        return start <= local.time() < end
    return True
