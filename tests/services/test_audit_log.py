"""Reading the audit log: admins and auditors only, filtered by actor, object, action and
time, newest first, in pages; and listing users, an admin's alone."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fenpei.domain.audit import AuditEntry
from fenpei.domain.errors import PermissionDenied, ValidationFailed
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services import users
from fenpei.services.audit_log import AuditFilter, find_entries
from tests.fakes import FakeHasher, FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import refused

AUDITOR = Actor("audrey", Role.auditor, user_id=9)


def _log(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    """Five entries a minute apart: ada creates team 1 and rep 2, bob updates both, ada
    deletes team 1."""
    entries = [
        ("ada", "create", "team", "1"),
        ("ada", "create", "rep", "2"),
        ("bob", "update", "team", "1"),
        ("bob", "update", "rep", "2"),
        ("ada", "delete", "team", "1"),
    ]

    def write() -> None:
        for minutes, (actor, action, kind, key) in enumerate(entries):
            at = clock.now() + timedelta(minutes=minutes)
            uow.audit.add(AuditEntry(actor, action, kind, key, at))

    in_transaction(uow, write)


def _found(uow: FakeUnitOfWork, where: AuditFilter, **paging: int) -> list[tuple[str, str]]:
    with uow:
        page = find_entries(uow=uow, actor=AUDITOR, where=where, **paging)
    return [(e.action, e.object_type) for e in page.items]


def test_entries_are_filtered_by_actor_object_action_and_time_newest_first(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    _log(uow, clock)
    assert _found(uow, AuditFilter(actor="ada")) == [
        ("delete", "team"),
        ("create", "rep"),
        ("create", "team"),
    ]
    assert _found(uow, AuditFilter(object_type="team", object_id="1", action="update")) == [
        ("update", "team")
    ]
    since, until = clock.now() + timedelta(minutes=1), clock.now() + timedelta(minutes=3)
    assert _found(uow, AuditFilter(since=since, until=until)) == [
        ("update", "team"),
        ("create", "rep"),
    ]


def test_pages_hold_per_page_entries_and_count_every_match(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    _log(uow, clock)
    with uow:
        second = find_entries(
            uow=uow, actor=AUDITOR, where=AuditFilter(actor="ada"), page=2, per_page=2
        )
    assert second.total == 3 and second.pages == 2
    assert [(e.action, e.object_type) for e in second.items] == [("create", "team")]


@pytest.mark.parametrize("role", [Role.rep, Role.manager])
def test_only_admins_and_auditors_read_the_log(
    uow: FakeUnitOfWork, clock: FixedClock, role: Role
) -> None:
    _log(uow, clock)
    with uow, pytest.raises(PermissionDenied):
        find_entries(uow=uow, actor=Actor("someone", role, user_id=3), where=AuditFilter())


def test_times_without_a_zone_or_in_the_wrong_order_are_refused(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    naive = clock.now().replace(tzinfo=None)
    with uow, pytest.raises(ValidationFailed, match="since: needs a time zone"):
        find_entries(uow=uow, actor=AUDITOR, where=AuditFilter(since=naive))
    backwards = AuditFilter(since=clock.now(), until=clock.now() - timedelta(hours=1))
    with uow, pytest.raises(ValidationFailed, match="until: must be after since"):
        find_entries(uow=uow, actor=AUDITOR, where=backwards)


def test_only_an_admin_lists_creates_or_resets_users(
    uow: FakeUnitOfWork, hasher: FakeHasher, clock: FixedClock
) -> None:
    def create(actor: Actor, name: str) -> object:
        return users.create_user(
            uow=uow, hasher=hasher, username=name, password="long enough password",
            role=Role.auditor, actor=actor, now=clock.now(),
        )  # fmt: skip

    in_transaction(uow, lambda: create(SYSTEM, "zoe"))
    in_transaction(uow, lambda: create(SYSTEM, "amy"))
    with uow:
        assert [u.username for u in users.list_users(uow=uow, actor=SYSTEM)] == ["amy", "zoe"]
    manager = Actor("mia", Role.manager, user_id=5)
    with uow, pytest.raises(PermissionDenied):
        users.list_users(uow=uow, actor=manager)
    refused(uow, PermissionDenied, lambda: create(manager, "eve"))
    refused(
        uow,
        PermissionDenied,
        lambda: users.reset_password(
            uow=uow,
            hasher=hasher,
            username="zoe",
            password="another long one",
            actor=manager,
            now=clock.now(),
        ),
    )
