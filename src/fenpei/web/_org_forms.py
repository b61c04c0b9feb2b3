"""Reading the rep and leave forms: text in, service fields out, with every bad field named.

A form keeps what the user typed (``values``) so a refused form comes back as it was sent;
errors are keyed by form field and shown next to it, in the page's language where the
problem is one the page knows how to say.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from fenpei.domain.errors import ValidationFailed
from fenpei.domain.org import SKILL_KINDS, Rep
from fenpei.services._org_fields import WEEKDAYS
from fenpei.web.i18n import Translate

LIMITS = ("max_open", "max_per_day", "max_per_week", "max_per_month")
ADMIN_ONLY = ("name", "email", "team_id", "seniority", "tags")
# What each role edits on the rep page (the services check again; see services.org).
SHARED = ("active", *LIMITS, "task_capacity", "weight", "skills", "working_hours", "time_zone")
_SPAN = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-–~]\s*(\d{1,2}:\d{2})\s*$")
# A service's field (``working_hours``) → the form field that shows its error.
_FORM_FIELD = {"working_hours": "hours", "skills": "skills"}
_MESSAGE_KEYS = {
    **dict.fromkeys(LIMITS, "org.error.limit"),
    "task_capacity": "task_rules.error.task_capacity",
    "weight": "org.error.one_to_hundred",
    "seniority": "org.error.one_to_hundred",
    "time_zone": "org.error.time_zone",
    "hours": "org.error.hours",
    "skills": "org.error.skills",
    "tags": "org.error.skills",
}


@dataclass
class FormState:
    """What the user typed and what was wrong with it (form field → message)."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def refuse(self, exc: ValidationFailed, t: Translate) -> None:
        """Put the service's field errors next to the form fields that caused them."""
        for error in exc.errors:
            name = _FORM_FIELD.get(error.field.split(".")[0], error.field.split(".")[0])
            key = _MESSAGE_KEYS.get(name)
            self.errors.setdefault(name, t(key) if key else error.message)


def _list(items: Iterable[str]) -> str:
    return ", ".join(items)


def rep_values(rep: Rep) -> dict[str, str]:
    """A rep as the form shows it."""
    values = {
        "name": rep.name,
        "email": rep.email or "",
        "team_id": str(rep.team_id or ""),
        "seniority": str(rep.seniority),
        "tags": _list(rep.tags),
        "active": "on" if rep.active else "",
        "weight": str(rep.weight),
        "time_zone": rep.time_zone,
        "task_capacity": "" if rep.task_capacity is None else f"{rep.task_capacity:f}",
        **{
            limit: "" if getattr(rep, limit) is None else str(getattr(rep, limit))
            for limit in LIMITS
        },
        **{f"skill_{kind}": _list(rep.skills.get(kind, [])) for kind in SKILL_KINDS},
        **{
            f"hours_{day}": _list(f"{a}-{b}" for a, b in rep.working_hours.get(day, []))
            for day in WEEKDAYS
        },
    }
    return values


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace("，", ",").split(",") if part.strip()]


def _whole(text: str) -> int | str | None:
    """An int, None for empty, or the text back if it is not a whole number."""
    stripped = text.strip()
    if not stripped:
        return None
    return int(stripped) if re.fullmatch(r"[+-]?\d{1,12}", stripped) else stripped


def read_rep_form(
    form: Mapping[str, str], editable: Iterable[str], t: Translate
) -> tuple[dict[str, object], FormState]:
    """The service fields from the form, for the fields this user may edit."""
    state = FormState(values={k: str(v) for k, v in form.items()})
    fields: dict[str, object] = {}
    wanted = set(editable)
    for limit in (f for f in LIMITS if f in wanted):
        number = _whole(form.get(limit, ""))
        if isinstance(number, str):
            state.errors[limit] = t("org.error.limit")
        fields[limit] = number
    for name in ("weight", "seniority"):
        if name in wanted:
            number = _whole(form.get(name, ""))
            if not isinstance(number, int):
                state.errors[name] = t("org.error.one_to_hundred")
            fields[name] = number
    if "task_capacity" in wanted:  # hours, decimals allowed: the service reads and checks it
        fields["task_capacity"] = form.get("task_capacity", "").strip() or None
    if "active" in wanted:
        fields["active"] = form.get("active") == "on"
    if "time_zone" in wanted:
        fields["time_zone"] = form.get("time_zone", "").strip()
    if "skills" in wanted:
        fields["skills"] = {
            kind: items for kind in SKILL_KINDS if (items := _split(form.get(f"skill_{kind}", "")))
        }
    if "working_hours" in wanted:
        hours: dict[str, list[list[str]]] = {}
        for day in WEEKDAYS:
            spans = []
            for part in _split(form.get(f"hours_{day}", "")):
                match = _SPAN.match(part)
                if match is None:
                    state.errors["hours"] = t("org.error.hours")
                    continue
                spans.append([clock.zfill(5) for clock in match.groups()])
            if spans:
                hours[day] = spans
        fields["working_hours"] = hours
    if "name" in wanted:
        fields["name"] = form.get("name", "")
    if "email" in wanted:
        fields["email"] = form.get("email", "").strip() or None
    if "tags" in wanted:
        fields["tags"] = _split(form.get("tags", ""))
    if "team_id" in wanted:
        team = _whole(form.get("team_id", ""))
        fields["team_id"] = team if not isinstance(team, str) else -1
    return fields, state


@dataclass(frozen=True)
class LeaveForm:
    starts_at: datetime | None
    ends_at: datetime | None
    note: str | None


def read_leave_form(
    form: Mapping[str, str], zone: tzinfo, t: Translate
) -> tuple[LeaveForm, FormState]:
    """A leave period from two ``datetime-local`` inputs, read in ``zone``."""
    state = FormState(values={k: str(v) for k, v in form.items()})
    moments: dict[str, datetime | None] = {}
    for name in ("starts_at", "ends_at"):
        text = form.get(name, "").strip()
        moments[name] = None
        if not text:
            state.errors[name] = t("org.error.required")
            continue
        try:
            moments[name] = datetime.fromisoformat(text).replace(tzinfo=zone)
        except ValueError:
            state.errors[name] = t("org.error.moment")
    start, end = moments["starts_at"], moments["ends_at"]
    if start is not None and end is not None and end <= start:
        state.errors["ends_at"] = t("org.error.leave_order")
    note = form.get("note", "")
    return LeaveForm(start, end, note or None), state
