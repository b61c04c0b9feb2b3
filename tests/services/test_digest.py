"""The daily digest service on the fakes: a due user's digest is one outbox event, already
expanded into one email delivery, listing only the events they take by email; nothing to
report writes nothing; a second run the same day writes nothing more."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fenpei.domain.events import Channel, EventType, Notification
from fenpei.domain.org import Rep
from fenpei.domain.preferences import NotificationPreferences
from fenpei.domain.users import Role, User
from fenpei.services.notifications.digest import DigestReport, write_digests
from tests.fakes import FakeUnitOfWork, in_transaction

EIGHT_IN_SHANGHAI = datetime(2026, 11, 3, 0, 0, tzinfo=UTC)
YESTERDAY = EIGHT_IN_SHANGHAI - timedelta(hours=12)


def _digest_user(uow: FakeUnitOfWork, email_events: list[str] | None = None) -> int:
    def add() -> int:
        rep = Rep(name="Carol", email="carol@example.com")
        uow.reps.add(rep)
        user = User(username="carol", password_hash="x", role=Role.rep, rep_id=rep.id)
        uow.users.add(user)
        assert user.id is not None
        uow.preferences.add(
            NotificationPreferences(
                user_id=user.id,
                updated_at=YESTERDAY,
                email_events=email_events,
                digest=True,
                last_digest_at=YESTERDAY - timedelta(hours=1),
            )
        )
        return user.id

    return in_transaction(uow, add)


def _note(uow: FakeUnitOfWork, user_id: int, n: int, type: EventType) -> None:
    payload = {"customer_id": n, "customer_name": f"C{n}", "to_rep_id": 1}
    note = Notification(user_id, f"evt_{n}", type, payload, created_at=YESTERDAY)
    in_transaction(uow, lambda: uow.inbox.add_many([note]))


def _run(uow: FakeUnitOfWork, now: datetime) -> DigestReport:
    return in_transaction(uow, lambda: write_digests(uow=uow, now=now))


def test_a_due_digest_is_one_expanded_event_with_one_email_of_the_chosen_events(
    uow: FakeUnitOfWork,
) -> None:
    user_id = _digest_user(uow, email_events=[EventType.assigned.value])
    _note(uow, user_id, 1, EventType.assigned)
    _note(uow, user_id, 2, EventType.pooled)  # not taken by email: not in the digest

    assert _run(uow, EIGHT_IN_SHANGHAI - timedelta(minutes=1)).written == 0
    report = _run(uow, EIGHT_IN_SHANGHAI)
    again = _run(uow, EIGHT_IN_SHANGHAI + timedelta(hours=5))

    assert (report.written, again.written, again.empty) == (1, 0, 0)
    [event] = uow.outbox.events([1, 2, 3])
    assert event.type is EventType.digest and event.key == f"digest:{user_id}:2026-11-03"
    assert event.expanded_at == EIGHT_IN_SHANGHAI  # the dispatcher's expand never takes it
    assert [i["payload"]["customer_id"] for i in event.payload["items"]] == [1]
    [delivery] = uow.outbox.deliveries()
    assert (delivery.channel, delivery.event_id) == (Channel.email, event.id)
    assert delivery.next_attempt_at == EIGHT_IN_SHANGHAI


def test_nothing_to_report_writes_nothing_and_closes_the_day(uow: FakeUnitOfWork) -> None:
    user_id = _digest_user(uow)

    report = _run(uow, EIGHT_IN_SHANGHAI)

    assert (report.written, report.empty) == (0, 1)
    assert uow.outbox.deliveries() == []
    prefs = uow.preferences.get(user_id)
    assert prefs is not None and prefs.last_digest_at == EIGHT_IN_SHANGHAI
