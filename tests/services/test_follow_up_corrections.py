"""Correcting a follow-up (更正跟进记录): its author for a day, an admin at any time; kind,
content, outcome and next date only, checked as a new one is; a new next date reminds anew
and plans the customer's next follow-up when it is the latest one; audited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from fenpei.domain.errors import NotFound, PermissionDenied, ValidationFailed
from fenpei.domain.follow_ups import FollowUp
from fenpei.domain.users import Actor, Role
from fenpei.services.follow_ups.corrections import correct_follow_up, may_correct
from fenpei.services.follow_ups.reminders import remind_due_follow_ups
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import a_rep, bad_fields, refused
from tests.services.test_follow_ups import ADMIN, _log, _owned, _rep_actor, _stored


def _correcting(
    uow: FakeUnitOfWork, clock: FixedClock, follow_up: FollowUp, actor: Actor, **changes: object
) -> Callable[[], FollowUp]:
    return lambda: correct_follow_up(
        uow=uow, customer_id=follow_up.customer_id, follow_up_id=follow_up.id or 0,
        actor=actor, changes=changes, now=clock.now(),
    )  # fmt: skip


def _fresh(uow: FakeUnitOfWork, follow_up: FollowUp) -> FollowUp:
    with uow:
        found = uow.follow_ups.get(follow_up.id or 0)
    assert found is not None
    return found


def test_the_author_corrects_a_follow_up_and_the_audit_keeps_what_it_said(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep, customer = _owned(uow, clock)
    wang = _rep_actor(rep)
    logged = _log(uow, clock, customer, wang, outcome="要报价")
    clock.advance(timedelta(hours=3))

    fixed = in_transaction(uow, _correcting(uow, clock, logged, wang, content="谈了价格和交期",
                                            kind="visit", outcome=None))  # fmt: skip

    assert (fixed.kind, fixed.content, fixed.outcome) == ("visit", "谈了价格和交期", None)
    assert fixed.edited_at == clock.now() and fixed.at == logged.at
    with uow:
        entry = uow.audit.find(object_type="followup", object_id=str(logged.id))[0]
    assert entry.action == "update" and entry.before is not None
    assert entry.before["content"] == "谈了报价" and entry.before["outcome"] == "要报价"


def test_a_new_next_date_is_reminded_anew_and_plans_the_customer_only_from_the_latest(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep, customer = _owned(uow, clock)
    wang = _rep_actor(rep)
    older = _log(uow, clock, customer, wang, at=clock.now() - timedelta(hours=1),
                 next_at=clock.now() + timedelta(minutes=30))  # fmt: skip
    latest = _log(uow, clock, customer, wang, next_at=clock.now() + timedelta(days=2))
    clock.advance(timedelta(hours=1))
    in_transaction(uow, lambda: remind_due_follow_ups(uow=uow, now=clock.now()))
    assert _fresh(uow, older).reminded_at == clock.now()

    later = clock.now() + timedelta(days=1)
    in_transaction(uow, _correcting(uow, clock, older, wang, next_at=later))
    assert _fresh(uow, older).reminded_at is None  # its new date is reminded when it comes
    assert _stored(uow, customer).next_follow_up_at == latest.next_at  # the latest plans
    sooner = clock.now() + timedelta(hours=20)
    in_transaction(uow, _correcting(uow, clock, latest, wang, next_at=sooner))
    assert _stored(uow, customer).next_follow_up_at == sooner
    in_transaction(uow, _correcting(uow, clock, latest, wang, next_at=None))
    assert _stored(uow, customer).next_follow_up_at is None

    clock.advance(timedelta(days=1))
    run = in_transaction(uow, lambda: remind_due_follow_ups(uow=uow, now=clock.now()))
    assert (run.follow_ups, run.reminders) == (1, 1)


def test_after_a_day_only_an_admin_corrects_and_nobody_else_ever_does(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep, customer = _owned(uow, clock)
    wang = _rep_actor(rep)
    logged = _log(uow, clock, customer, wang)
    another_admin = Actor("second", Role.admin)
    clock.advance(timedelta(hours=24))
    assert may_correct(logged, wang, clock.now())
    assert may_correct(logged, another_admin, clock.now())

    clock.advance(timedelta(minutes=1))
    late = refused(uow, PermissionDenied, _correcting(uow, clock, logged, wang, content="改"))
    assert "24 hours" in str(late) and not may_correct(logged, wang, clock.now())
    refused(uow, PermissionDenied, _correcting(uow, clock, logged, Actor("a", Role.auditor)))
    other = _rep_actor(a_rep(uow, clock, "Zhao"))
    refused(uow, NotFound, _correcting(uow, clock, logged, other, content="改"))
    assert not may_correct(logged, Actor("boss", Role.manager), clock.now())

    fixed = in_transaction(uow, _correcting(uow, clock, logged, ADMIN, content="管理员更正"))
    assert fixed.content == "管理员更正" and may_correct(logged, ADMIN, clock.now())


def test_a_follow_up_of_another_customer_is_not_found(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep, customer = _owned(uow, clock)
    _, elsewhere = _owned(uow, clock, "Zhao")
    logged = _log(uow, clock, customer, _rep_actor(rep))

    refused(uow, NotFound, lambda: correct_follow_up(
        uow=uow, customer_id=elsewhere.id or 0, follow_up_id=logged.id or 0, actor=ADMIN,
        changes={"content": "x"}, now=clock.now(),
    ))  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "bad"),
    [
        ({"at": "2026-01-01T00:00:00+00:00"}, {"at"}),
        ({"author": "someone else", "content": ""}, {"author", "content"}),
        ({"kind": "telepathy", "outcome": "x" * 501}, {"kind", "outcome"}),
        ({"content": "a\x00b", "kind": ""}, {"content", "kind"}),
    ],
)
def test_a_bad_correction_names_every_field_and_changes_nothing(
    uow: FakeUnitOfWork, clock: FixedClock, changes: dict[str, object], bad: set[str]
) -> None:
    rep, customer = _owned(uow, clock)
    logged = _log(uow, clock, customer, _rep_actor(rep))

    error = refused(uow, ValidationFailed, _correcting(uow, clock, logged, ADMIN, **changes))

    assert bad_fields(error) == bad


def test_a_next_date_before_the_contact_is_refused(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    rep, customer = _owned(uow, clock)
    logged = _log(uow, clock, customer, _rep_actor(rep))
    before = logged.at - timedelta(minutes=1)

    error = refused(uow, ValidationFailed, _correcting(uow, clock, logged, ADMIN, next_at=before))

    assert bad_fields(error) == {"next_at"}


def test_a_follow_up_of_a_retired_type_keeps_it_when_its_content_is_corrected(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep, customer = _owned(uow, clock)
    logged = _log(uow, clock, customer, _rep_actor(rep), kind="sms")

    def retire() -> None:
        category = uow.categories.get("follow_up_type")
        assert category is not None and category.id is not None
        next(v for v in uow.categories.values(category.id) if v.code == "sms").retired = True

    in_transaction(uow, retire)
    fixed = in_transaction(uow, _correcting(uow, clock, logged, ADMIN, content="短信已回"))
    assert (fixed.kind, fixed.content) == ("sms", "短信已回")
