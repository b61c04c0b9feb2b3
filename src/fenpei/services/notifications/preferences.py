"""Notification preferences (通知偏好): each user chooses which events reach them by email
and their quiet hours; an admin sets each role's default for users who have not chosen.
The in-app inbox is always on and is not a choice. Every change is audited.

The dispatcher applies them when it expands an event (dispatch.py, _email_prefs.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from fenpei.domain.errors import FieldError, PermissionDenied, ValidationFailed
from fenpei.domain.phrases import Phrase, message_of
from fenpei.domain.preferences import (
    CHOOSABLE_EVENTS,
    NotificationPreferences,
    RoleNotificationDefaults,
    parse_hhmm,
)
from fenpei.domain.users import Actor, Role
from fenpei.services import _audit
from fenpei.services.ports import UnitOfWork
from fenpei.services.scope import require_admin


@dataclass(frozen=True)
class PreferencesView:
    """A user's preferences as they apply: ``email_events`` is what they get by email."""

    email_events: list[str]
    uses_role_default: bool  # they have not chosen: their role's default applies
    quiet_start: str | None
    quiet_end: str | None
    digest: bool  # a daily digest instead of one email per event
    role: Role
    updated_at: datetime | None


@dataclass(frozen=True)
class RoleDefaultView:
    role: Role
    email_events: list[str]
    is_set: bool  # False: no admin set it; every event is emailed


def _user_id(actor: Actor) -> int:
    if actor.user_id is None:
        raise PermissionDenied("notification preferences belong to a signed-in user")
    return actor.user_id


def _role_events(uow: UnitOfWork, role: Role) -> list[str] | None:
    found = uow.preferences.role_default(role)
    return list(found.email_events) if found is not None else None


def _view(uow: UnitOfWork, actor: Actor, prefs: NotificationPreferences | None) -> PreferencesView:
    chosen = prefs.email_events if prefs is not None else None
    effective = chosen if chosen is not None else _role_events(uow, actor.role)
    return PreferencesView(
        email_events=list(effective) if effective is not None else list(CHOOSABLE_EVENTS),
        uses_role_default=chosen is None,
        quiet_start=prefs.quiet_start if prefs is not None else None,
        quiet_end=prefs.quiet_end if prefs is not None else None,
        digest=prefs.digest if prefs is not None else False,
        role=actor.role,
        updated_at=prefs.updated_at if prefs is not None else None,
    )


def _event_problems(events: Sequence[str], name: str) -> list[FieldError]:
    known = ", ".join(CHOOSABLE_EVENTS)
    return [
        FieldError(f"{name}[{n}]", f"unknown event type {event!r}; known: {known}")
        for n, event in enumerate(events)
        if event not in CHOOSABLE_EVENTS
    ]


def _quiet_problems(start: str | None, end: str | None) -> list[FieldError]:
    problems = []
    for name, value in (("quiet_start", start), ("quiet_end", end)):
        if value is not None:
            try:
                parse_hhmm(value)
            except ValueError as exc:
                problems.append(FieldError(name, message_of(exc)))
    if (start is None) != (end is None):
        missing = "quiet_end" if end is None else "quiet_start"
        both = Phrase("quiet_hours.both", "quiet hours need both a start and an end")
        problems.append(FieldError(missing, both))
    return problems


def own_preferences(*, uow: UnitOfWork, actor: Actor) -> PreferencesView:
    """The signed-in user's notification preferences, as they apply."""
    return _view(uow, actor, uow.preferences.get(_user_id(actor)))


def set_own_preferences(
    *,
    uow: UnitOfWork,
    actor: Actor,
    email_events: Sequence[str] | None,
    quiet_start: str | None,
    quiet_end: str | None,
    now: datetime,
    digest: bool = False,
) -> PreferencesView:
    """Choose the events emailed to you (None: your role's default), your quiet hours
    (both None: none) and whether they come as one daily digest; bad values are named by
    field and nothing changes."""
    user_id = _user_id(actor)
    problems = _event_problems(email_events or [], "email_events")
    problems += _quiet_problems(quiet_start, quiet_end)
    if problems:
        raise ValidationFailed(problems)
    events = list(dict.fromkeys(email_events)) if email_events is not None else None
    prefs = uow.preferences.get(user_id)
    if prefs is None:
        prefs = NotificationPreferences(user_id=user_id, updated_at=now)
        before = None
        uow.preferences.add(prefs)
    else:
        before = _audit.snapshot(prefs)
    prefs.email_events, prefs.quiet_start, prefs.quiet_end = events, quiet_start, quiet_end
    if digest and not prefs.digest:
        # The first digest starts here: what came before was emailed one by one.
        prefs.last_digest_at = now
    prefs.digest, prefs.updated_at = digest, now
    _audit.record(
        uow, actor=actor, action="notification_preferences.set", obj=prefs, now=now, before=before
    )
    return _view(uow, actor, prefs)


def role_defaults(*, uow: UnitOfWork, actor: Actor) -> list[RoleDefaultView]:
    """Every role's default email events (admins only)."""
    require_admin(actor, "see the notification defaults of roles")
    return [role_default(uow=uow, actor=actor, role=role) for role in Role]


def role_default(*, uow: UnitOfWork, actor: Actor, role: Role) -> RoleDefaultView:
    """One role's default email events (admins only)."""
    require_admin(actor, "see the notification defaults of roles")
    events = _role_events(uow, role)
    is_set = events is not None
    return RoleDefaultView(role, events if events is not None else list(CHOOSABLE_EVENTS), is_set)


def set_role_default(
    *, uow: UnitOfWork, actor: Actor, role: Role, email_events: Sequence[str], now: datetime
) -> RoleDefaultView:
    """Set the events a role's users get by email until they choose (admins only)."""
    require_admin(actor, "set the notification defaults of roles")
    if problems := _event_problems(email_events, "email_events"):
        raise ValidationFailed(problems)
    events = list(dict.fromkeys(email_events))
    found = uow.preferences.role_default(role)
    if found is None:
        found = RoleNotificationDefaults(role=role, email_events=events)
        uow.preferences.add_role_default(found)
        before = None
    else:
        before = _audit.snapshot(found)
        found.email_events = events
    _audit.record(
        uow, actor=actor, action="notification_defaults.set", obj=found, now=now, before=before
    )
    return RoleDefaultView(role, events, True)
