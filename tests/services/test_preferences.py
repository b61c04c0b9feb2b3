"""The notification preferences service on the fakes: what a user sees before and after
choosing, validation by field with nothing written, admins alone set role defaults, and
every change audited."""

from __future__ import annotations

import pytest

from fenpei.domain.errors import PermissionDenied, ValidationFailed
from fenpei.domain.users import Actor, Role, User
from fenpei.services.notifications import preferences
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction

ALL = [
    "customer.assigned", "customer.reassigned", "customer.pooled", "customer.reminder",
    "task.assigned", "task.reminder", "customer.merged",
]  # fmt: skip


def _user(uow: FakeUnitOfWork, role: Role = Role.rep) -> Actor:
    def add() -> Actor:
        user = User(username=f"u-{role.value}", password_hash="x", role=role)
        uow.users.add(user)
        return Actor(user.username, role, user_id=user.id)

    return in_transaction(uow, add)


def _set(uow: FakeUnitOfWork, actor: Actor, clock: FixedClock, **fields: object) -> object:
    values: dict[str, object] = {"email_events": None, "quiet_start": None, "quiet_end": None}
    values.update(fields)
    return in_transaction(
        uow,
        lambda: preferences.set_own_preferences(
            uow=uow,
            actor=actor,
            now=clock.now(),
            **values,  # type: ignore[arg-type]
        ),
    )


def test_before_choosing_a_user_gets_every_event_and_no_quiet_hours(uow: FakeUnitOfWork) -> None:
    actor = _user(uow)
    with uow:
        view = preferences.own_preferences(uow=uow, actor=actor)
    assert view.email_events == ALL and view.uses_role_default
    assert view.quiet_start is None and view.updated_at is None


def test_a_choice_is_stored_deduplicated_and_audited(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    actor = _user(uow)
    _set(uow, actor, clock, email_events=["customer.pooled", "customer.pooled"],
         quiet_start="22:00", quiet_end="07:00")  # fmt: skip
    _set(uow, actor, clock, email_events=["customer.assigned"])

    with uow:
        view = preferences.own_preferences(uow=uow, actor=actor)
    assert view.email_events == ["customer.assigned"] and not view.uses_role_default
    assert view.quiet_start is None
    entries = uow.audit.find(object_type="notificationpreferences")
    made, changed = sorted(entries, key=lambda e: bool(e.before))
    assert {e.action for e in entries} == {"notification_preferences.set"}
    assert made.after["email_events"] == ["customer.pooled"] and made.before == {}
    assert changed.before == {
        "email_events": ["customer.pooled"], "quiet_start": "22:00", "quiet_end": "07:00"
    }  # fmt: skip
    assert changed.after == {
        "email_events": ["customer.assigned"], "quiet_start": None, "quiet_end": None
    }  # fmt: skip


def test_bad_values_are_named_by_field_and_nothing_is_written(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    actor = _user(uow)
    with pytest.raises(ValidationFailed) as caught:
        _set(uow, actor, clock, email_events=["customer.assigned", "x"], quiet_start="7:00")

    fields = [e.field for e in caught.value.errors]
    assert fields == ["email_events[1]", "quiet_start", "quiet_end"]
    assert "HH:MM" in str(caught.value) and "both a start and an end" in str(caught.value)
    assert actor.user_id is not None and uow.preferences.get(actor.user_id) is None


def test_the_role_default_shows_until_the_user_chooses(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    admin, rep = Actor("root", Role.admin), _user(uow)
    in_transaction(
        uow,
        lambda: preferences.set_role_default(
            uow=uow, actor=admin, role=Role.rep, email_events=["customer.pooled"], now=clock.now()
        ),
    )
    with uow:
        view = preferences.own_preferences(uow=uow, actor=rep)
        defaults = preferences.role_defaults(uow=uow, actor=admin)
    assert view.email_events == ["customer.pooled"] and view.uses_role_default
    assert [(d.role, d.is_set) for d in defaults] == [
        (Role.admin, False), (Role.manager, False), (Role.rep, True), (Role.auditor, False)
    ]  # fmt: skip
    assert uow.audit.find(object_type="rolenotificationdefaults")[0].action == (
        "notification_defaults.set"
    )


@pytest.mark.parametrize("role", [Role.manager, Role.rep, Role.auditor])
def test_only_admins_see_or_set_role_defaults(
    uow: FakeUnitOfWork, clock: FixedClock, role: Role
) -> None:
    actor = Actor("someone", role, user_id=1)
    with uow, pytest.raises(PermissionDenied):
        preferences.set_role_default(
            uow=uow, actor=actor, role=Role.rep, email_events=[], now=clock.now()
        )
    with uow, pytest.raises(PermissionDenied):
        preferences.role_defaults(uow=uow, actor=actor)


def test_preferences_belong_to_a_signed_in_user(uow: FakeUnitOfWork) -> None:
    with uow, pytest.raises(PermissionDenied, match="signed-in user"):
        preferences.own_preferences(uow=uow, actor=Actor("system"))
