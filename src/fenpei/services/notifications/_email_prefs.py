"""What a batch of ``expand`` needs to honour reps' notification preferences on email,
read once per batch (domain/preferences.py decides).

The email about a rep's customer goes to the rep (``rep:<id>``), so it follows the
preferences of the rep's login: the first active user linked to the rep (by id; a rep
normally has one). A rep with no login follows the ``rep`` role's default and has no quiet
hours. A user who takes the daily digest gets no email per event. Quiet hours are read in
the rep's ``time_zone`` (one the org service validated; an unknown one, from before that
check, counts as UTC rather than losing the message)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fenpei.domain.events import Channel, EventType
from fenpei.domain.preferences import NotificationPreferences, held_until, wants
from fenpei.domain.users import Role, User
from fenpei.services.ports import UnitOfWork


class EmailPreferences:
    """Read on first use, so a batch with nothing to expand reads nothing."""

    def __init__(self, uow: UnitOfWork, logins: Mapping[int | None, Sequence[User]]) -> None:
        self._uow = uow
        self._user: dict[int, User] = {
            rep_id: users[0] for rep_id, users in logins.items() if rep_id is not None and users
        }
        self._zones: dict[int, ZoneInfo] = {}

    @cached_property
    def _prefs(self) -> dict[int, NotificationPreferences]:
        chosen = self._uow.preferences.for_users({u.id for u in self._user.values() if u.id})
        return {p.user_id: p for p in chosen}

    @cached_property
    def _defaults(self) -> dict[Role, list[str]]:
        return {d.role: d.email_events for d in self._uow.preferences.role_defaults()}

    def wanted(self, rep_id: int, event_type: EventType) -> bool:
        """Whether the rep gets an email about ``event_type`` on its own: never when their user
        takes the daily digest (the inbox entry is its source; digest.py sends it)."""
        user = self._user.get(rep_id)
        prefs = self._prefs.get(user.id) if user is not None and user.id else None
        if prefs is not None and prefs.digest:
            return False
        role = user.role if user is not None else Role.rep
        return wants(prefs, self._defaults.get(role), event_type.value, Channel.email)

    def send_at(self, rep_id: int, now: datetime) -> datetime:
        """``now``, or the end of the rep's user's quiet hours if ``now`` is inside them."""
        user = self._user.get(rep_id)
        prefs = self._prefs.get(user.id) if user is not None and user.id else None
        if prefs is None or prefs.quiet_start is None:
            return now
        until = held_until(now, prefs.quiet_start, prefs.quiet_end, self._zone(rep_id))
        return until or now

    def _zone(self, rep_id: int) -> ZoneInfo:
        if rep_id not in self._zones:
            rep = self._uow.reps.get(rep_id)
            try:
                self._zones[rep_id] = ZoneInfo(rep.time_zone if rep else "UTC")
            except (ZoneInfoNotFoundError, ValueError):
                self._zones[rep_id] = ZoneInfo("UTC")
        return self._zones[rep_id]
