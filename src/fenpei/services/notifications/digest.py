"""The daily digest (每日摘要, issue 10): a user who chose it gets no email per event
(_email_prefs.py) but one email a day listing their inbox notifications since the last
one, made by the first run of the ``email-digest`` job at/after 08:00 in their rep's zone.

Once a day, however many processes run the job, by three locks in a row: the job runs
once per hourly slot (services/scheduling.py); within a run each digest user's preferences
row is locked and its ``last_digest_at`` says whether that local day's digest was made
(domain/preferences.py ``digest_due``), and it moves to now in the transaction that writes
the digest; and the digest's outbox event has the unique key ``digest:<user>:<local date>``.

The digest is that event, written already expanded into one email delivery to the rep
(``rep:<id>``), so the dispatcher sends it like any other message: retried with backoff,
dead after the last attempt, retried by hand from the deliveries page. It lists the
events the user chose by email (or their role's default), in their language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fenpei.domain.events import Channel, Delivery, EventType, OutboxEvent, delivery_key
from fenpei.domain.preferences import NotificationPreferences, digest_due, held_until, wants
from fenpei.domain.users import User
from fenpei.services.ports import UnitOfWork

FIRST_WINDOW = timedelta(days=1)  # what a first digest covers, when it has no start


@dataclass
class DigestReport:
    written: int = 0  # digests queued for sending
    empty: int = 0  # digest users due today with nothing to report: no email

    def summary(self) -> str:
        return f"digests queued: {self.written}; nothing to report: {self.empty}"


def write_digests(*, uow: UnitOfWork, now: datetime) -> DigestReport:
    """Queue today's digest email of every digest user whose digest is due (08:00 or later
    in their rep's zone, none yet today); a user with nothing to report gets none."""
    report = DigestReport()
    defaults = {d.role: d.email_events for d in uow.preferences.role_defaults()}
    for prefs in uow.preferences.digest_users():
        user = uow.users.get(prefs.user_id)
        if user is None or not user.active or user.rep_id is None:
            continue  # no rep: no address to send to (and no customers to tell of)
        zone = _zone(uow, user.rep_id)
        if not digest_due(now, prefs.last_digest_at, zone):
            continue
        since = prefs.last_digest_at or now - FIRST_WINDOW
        prefs.last_digest_at = now  # today is done, with or without an email
        notes = uow.inbox.created_between(prefs.user_id, since=since, until=now)
        role_default = defaults.get(user.role)
        items = [
            {"type": n.type.value, "payload": n.payload, "at": n.created_at.isoformat()}
            for n in notes
            if wants(prefs, role_default, n.type.value, Channel.email)
        ]
        if not items:
            report.empty += 1
            continue
        _queue(uow, user, prefs, zone, items, since=since, now=now)
        report.written += 1
    return report


def _queue(
    uow: UnitOfWork,
    user: User,
    prefs: NotificationPreferences,
    zone: ZoneInfo,
    items: list[dict[str, Any]],
    *,
    since: datetime,
    now: datetime,
) -> None:
    assert user.id is not None and user.rep_id is not None
    day = now.astimezone(zone).date().isoformat()
    payload = {
        "user_id": user.id,
        "rep_id": user.rep_id,
        "language": user.language,  # the digest is the user's, in their language
        "date": day,
        "since": since.isoformat(),
        "until": now.isoformat(),
        "items": items,
    }
    event = OutboxEvent(
        type=EventType.digest,
        key=f"digest:{user.id}:{day}",
        payload=payload,
        occurred_at=now,
        expanded_at=now,  # the dispatcher's expand never sees it: its delivery is here
    )
    uow.outbox.add_now(event)
    assert event.id is not None
    recipient = f"rep:{user.rep_id}"
    held = held_until(now, prefs.quiet_start, prefs.quiet_end, zone)
    delivery = Delivery(
        event_id=event.id,
        channel=Channel.email,
        recipient=recipient,
        key=delivery_key(event.key, Channel.email, recipient),
        created_at=now,
        next_attempt_at=held or now,  # quiet hours past 08:00 hold the digest too
    )
    uow.outbox.add_deliveries([delivery])


def _zone(uow: UnitOfWork, rep_id: int) -> ZoneInfo:
    """The rep's zone; an unknown one (from before the org service checked) counts as UTC."""
    rep = uow.reps.get(rep_id)
    try:
        return ZoneInfo(rep.time_zone if rep is not None else "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
