"""Webhook subscriptions on the fakes: what an admin may set (and the words for what not),
that the secret is shown by create and rotate only and never audited, and what a test event
and the delivery log hold."""

from __future__ import annotations

import pytest

from fenpei.domain.errors import NotFound, PermissionDenied, ValidationFailed
from fenpei.domain.events import EventType
from fenpei.domain.users import Actor, Role
from fenpei.services.notifications import subscriptions
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction

ADMIN = Actor("ada", Role.admin, user_id=1)
URL = "https://crm.example.com/hooks/fenpei"


def _create(uow: FakeUnitOfWork, clock: FixedClock, **fields: object) -> int:
    values: dict[str, object] = {"name": "crm", "url": URL, **fields}
    made = in_transaction(
        uow,
        lambda: subscriptions.create_subscription(
            uow=uow,
            actor=ADMIN,
            now=clock.now(),
            **values,  # type: ignore[arg-type]
        ),
    )
    assert made.id is not None
    return made.id


def _errors(exc: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    return {e.field: e.message for e in exc.value.errors}


def test_a_new_subscription_gets_a_strong_secret_and_its_creator(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    made = in_transaction(
        uow,
        lambda: subscriptions.create_subscription(
            uow=uow, actor=ADMIN, name="  crm  ", url=URL, events=[], now=clock.now()
        ),
    )

    assert made.name == "crm" and made.created_by == "ada" and made.active
    assert made.secret.startswith("whsec_") and len(made.secret) == 49
    assert made.events == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://crm.example.com/x", "must start with http:// or https://"),
        ("crm.example.com/hooks", "must start with http:// or https://"),
        ("https:///hooks", "must name a host, as in https://crm.example.com/hooks/fenpei"),
        (
            "https://user:pass@crm.example.com/hooks",
            "must not hold a username or password; the signature authenticates each request",
        ),
        (
            "https://token@crm.example.com/hooks",
            "must not hold a username or password; the signature authenticates each request",
        ),
        ("https://crm.example.com/a b", "must not hold spaces or control characters"),
        ("", "must be 1 to 2000 characters"),
        ("https://crm.example.com/" + "a" * 2000, "must be 1 to 2000 characters"),
    ],
)
def test_a_url_that_cannot_take_webhooks_is_refused_with_what_to_fix(
    uow: FakeUnitOfWork, clock: FixedClock, url: str, message: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _create(uow, clock, url=url)

    assert _errors(refused) == {"url": message}
    assert uow.subscriptions.all() == []


def test_a_port_out_of_range_is_refused(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _create(uow, clock, url="http://crm.example.com:99999/hooks")

    assert _errors(refused)["url"].startswith("is not a valid URL")


def test_every_bad_field_is_named_at_once(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    _create(uow, clock)

    with pytest.raises(ValidationFailed) as taken:
        _create(uow, clock, name="crm", url="mailto:x@example.com")
    with pytest.raises(ValidationFailed) as unknown:
        _create(uow, clock, name="other", events=["customer.assigned", "customer.won", "x"])
    with pytest.raises(ValidationFailed) as blank:
        _create(uow, clock, name="  ")

    assert _errors(taken) == {
        "name": "a subscription named 'crm' exists already",
        "url": "must start with http:// or https://",
    }
    known = (
        "customer.assigned, customer.reassigned, customer.pooled, customer.reminder, "
        "task.assigned, task.reminder, customer.merged"
    )
    assert _errors(unknown) == {
        "events[1]": f"unknown event type 'customer.won'; one of {known}",
        "events[2]": f"unknown event type 'x'; one of {known}",
    }
    assert _errors(blank) == {"name": "must be 1 to 100 characters"}


def test_the_test_event_cannot_be_subscribed_to(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _create(uow, clock, events=[EventType.test.value])

    assert list(_errors(refused)) == ["events[0]"]


def test_update_changes_only_what_is_given_and_keeps_the_secret(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    sub_id = _create(uow, clock, events=["customer.pooled"])
    secret = uow.subscriptions.get(sub_id).secret  # type: ignore[union-attr]

    updated = in_transaction(
        uow,
        lambda: subscriptions.update_subscription(
            uow=uow,
            actor=ADMIN,
            subscription_id=sub_id,
            events=["customer.assigned", "customer.assigned"],
            active=False,
            now=clock.now(),
        ),
    )

    assert (updated.url, updated.events, updated.active) == (URL, ["customer.assigned"], False)
    assert updated.secret == secret
    (entry, *_) = uow.audit.find(object_type="webhooksubscription")
    assert entry.action == "subscription.update"
    assert entry.before == {"events": ["customer.pooled"], "active": True}
    assert entry.after == {"events": ["customer.assigned"], "active": False}


def test_a_bad_url_in_an_update_changes_nothing(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    sub_id = _create(uow, clock)

    with pytest.raises(ValidationFailed):
        in_transaction(
            uow,
            lambda: subscriptions.update_subscription(
                uow=uow, actor=ADMIN, subscription_id=sub_id, url="x", active=False, now=clock.now()
            ),
        )

    stored = uow.subscriptions.get(sub_id)
    assert stored is not None and stored.url == URL and stored.active


def test_rotating_gives_a_new_secret_and_audits_without_either(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    sub_id = _create(uow, clock)
    old = uow.subscriptions.get(sub_id).secret  # type: ignore[union-attr]

    rotated = in_transaction(
        uow,
        lambda: subscriptions.rotate_secret(
            uow=uow, actor=ADMIN, subscription_id=sub_id, now=clock.now()
        ),
    )

    assert rotated.secret != old and rotated.secret.startswith("whsec_")
    entries = uow.audit.find(object_type="webhooksubscription")
    assert [e.action for e in entries] == ["subscription.rotate_secret", "subscription.create"]
    for entry in entries:
        assert "secret" not in entry.before and "secret" not in entry.after
        assert old not in str(entry.after) and rotated.secret not in str(entry.after)


def test_a_test_event_names_its_one_subscription(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    sub_id = _create(uow, clock, active=False)

    event = in_transaction(
        uow,
        lambda: subscriptions.send_test_event(
            uow=uow, actor=ADMIN, subscription_id=sub_id, now=clock.now()
        ),
    )

    assert event.type is EventType.test
    assert event.payload == {"subscription_id": sub_id, "subscription": "crm"}
    assert uow.outbox.event(event.id or 0) is not None


@pytest.mark.parametrize("role", [Role.manager, Role.rep, Role.auditor])
def test_only_an_admin_may_see_or_change_subscriptions(
    uow: FakeUnitOfWork, clock: FixedClock, role: Role
) -> None:
    sub_id = _create(uow, clock)
    someone = Actor("someone", role, user_id=2)
    now = clock.now()
    calls = [
        lambda: subscriptions.list_subscriptions(uow=uow, actor=someone),
        lambda: subscriptions.create_subscription(
            uow=uow, actor=someone, name="x", url=URL, now=now
        ),
        lambda: subscriptions.update_subscription(
            uow=uow, actor=someone, subscription_id=sub_id, active=False, now=now
        ),
        lambda: subscriptions.rotate_secret(
            uow=uow, actor=someone, subscription_id=sub_id, now=now
        ),
        lambda: subscriptions.delete_subscription(
            uow=uow, actor=someone, subscription_id=sub_id, now=now
        ),
        lambda: subscriptions.send_test_event(
            uow=uow, actor=someone, subscription_id=sub_id, now=now
        ),
        lambda: subscriptions.delivery_log(uow=uow, actor=someone, subscription_id=sub_id),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            in_transaction(uow, call)

    assert [s.id for s in uow.subscriptions.all()] == [sub_id]
    assert uow.outbox.pending_events() == 0


def test_a_missing_subscription_is_not_found(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    with pytest.raises(NotFound, match="webhook subscription 7 not found"):
        in_transaction(
            uow,
            lambda: subscriptions.delete_subscription(
                uow=uow, actor=ADMIN, subscription_id=7, now=clock.now()
            ),
        )
