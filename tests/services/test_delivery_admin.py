"""The dead-letter view on the fakes: which deliveries each view shows, its pages, and who
may look and retry."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fenpei.domain.errors import Conflict, NotFound, PermissionDenied
from fenpei.domain.events import Channel, Delivery, DeliveryStatus, EventType, OutboxEvent
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services.notifications import deliveries
from fenpei.services.notifications.deliveries import DeliveryView
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction

ADMIN = Actor("ada", Role.admin, user_id=1)


def _deliveries(
    uow: FakeUnitOfWork, clock: FixedClock, *states: tuple[DeliveryStatus, int]
) -> list[int]:
    """One delivery per (status, attempts), oldest first; their ids."""
    now = clock.now()
    event = OutboxEvent(EventType.assigned, "evt_1", {}, occurred_at=now)
    in_transaction(uow, lambda: uow.outbox.add(event))
    assert event.id is not None
    made = [
        Delivery(
            event_id=event.id,
            channel=Channel.email,
            recipient=f"rep:{n}",
            key=f"evt_1:email:rep:{n}",
            created_at=now,
            next_attempt_at=now + timedelta(minutes=n),
            status=status,
            attempts=attempts,
        )
        for n, (status, attempts) in enumerate(states)
    ]
    in_transaction(uow, lambda: uow.outbox.add_deliveries(made))
    return [d.id or 0 for d in made]


def _shown(uow: FakeUnitOfWork, view: DeliveryView, limit: int = 50, offset: int = 0) -> list[int]:
    with uow:
        found = deliveries.list_deliveries(
            uow=uow, actor=ADMIN, view=view, limit=limit, offset=offset
        )
    return [d.id or 0 for d in found.items]


def test_each_view_shows_its_deliveries_newest_first(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    dead, failing, waiting, sent, sending = _deliveries(
        uow,
        clock,
        (DeliveryStatus.dead, 8),
        (DeliveryStatus.pending, 3),
        (DeliveryStatus.pending, 0),
        (DeliveryStatus.delivered, 1),
        (DeliveryStatus.sending, 1),
    )

    assert _shown(uow, DeliveryView.problems) == [failing, dead]
    assert _shown(uow, DeliveryView.failing) == [failing]
    assert _shown(uow, DeliveryView.pending) == [waiting, failing]
    assert _shown(uow, DeliveryView.dead) == [dead]
    assert _shown(uow, DeliveryView.sending) == [sending]
    assert _shown(uow, DeliveryView.delivered) == [sent]
    assert _shown(uow, DeliveryView.all) == [sending, sent, waiting, failing, dead]


@pytest.mark.parametrize("view", [DeliveryView.problems, DeliveryView.all])
def test_pages_say_whether_more_follow(
    uow: FakeUnitOfWork, clock: FixedClock, view: DeliveryView
) -> None:
    ids = _deliveries(uow, clock, *[(DeliveryStatus.dead, 8)] * 5)

    with uow:
        first = deliveries.list_deliveries(uow=uow, actor=ADMIN, view=view, limit=2, offset=0)
        last = deliveries.list_deliveries(uow=uow, actor=ADMIN, view=view, limit=2, offset=4)
        exact = deliveries.list_deliveries(uow=uow, actor=ADMIN, view=view, limit=5, offset=0)

    assert [d.id for d in first.items] == [ids[4], ids[3]] and first.has_more
    assert [d.id for d in last.items] == [ids[0]] and not last.has_more
    assert len(exact.items) == 5 and not exact.has_more
    assert first.counts[DeliveryStatus.dead] == 5 and first.pending_events == 1


@pytest.mark.parametrize("role", [Role.manager, Role.rep, Role.auditor])
def test_only_an_admin_may_look_or_retry(
    uow: FakeUnitOfWork, clock: FixedClock, role: Role
) -> None:
    (dead,) = _deliveries(uow, clock, (DeliveryStatus.dead, 8))
    actor = Actor("someone", role, user_id=2)

    with uow, pytest.raises(PermissionDenied):
        deliveries.list_deliveries(uow=uow, actor=actor, view=DeliveryView.all, limit=5, offset=0)
    with uow, pytest.raises(PermissionDenied):
        deliveries.retry_delivery(uow=uow, actor=actor, delivery_id=dead, now=clock.now())
    stored = uow.outbox.delivery(dead)
    assert stored is not None and stored.status is DeliveryStatus.dead


def test_a_retry_makes_a_dead_delivery_due_now_with_no_attempts(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    dead, failing = _deliveries(uow, clock, (DeliveryStatus.dead, 8), (DeliveryStatus.pending, 3))
    later = clock.now() + timedelta(hours=1)

    for delivery_id in (dead, failing):
        in_transaction(
            uow,
            lambda d=delivery_id: deliveries.retry_delivery(
                uow=uow, actor=ADMIN, delivery_id=d, now=later
            ),
        )

    for delivery_id in (dead, failing):
        stored = uow.outbox.delivery(delivery_id)
        assert stored is not None
        assert (stored.status, stored.attempts, stored.next_attempt_at) == (
            DeliveryStatus.pending,
            0,
            later,
        )


def test_a_delivered_message_is_not_sent_again_and_an_unknown_one_is_not_found(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    (sent,) = _deliveries(uow, clock, (DeliveryStatus.delivered, 1))

    with uow, pytest.raises(Conflict, match="delivered already"):
        deliveries.retry_delivery(uow=uow, actor=SYSTEM, delivery_id=sent, now=clock.now())
    with uow, pytest.raises(NotFound):
        deliveries.retry_delivery(uow=uow, actor=SYSTEM, delivery_id=sent + 99, now=clock.now())
    stored = uow.outbox.delivery(sent)
    assert stored is not None and stored.status is DeliveryStatus.delivered
