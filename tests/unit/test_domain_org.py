"""Small rules of the org, category and user objects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fenpei.domain.categories import CategoryValue
from fenpei.domain.org import Leave
from fenpei.domain.users import SYSTEM, Actor, Role

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def test_a_leave_covers_its_start_but_not_its_end() -> None:
    leave = Leave(rep_id=1, starts_at=START, ends_at=START + timedelta(hours=4))
    assert leave.covers(START)
    assert leave.covers(START + timedelta(hours=3, minutes=59))
    assert not leave.covers(START + timedelta(hours=4))
    assert not leave.covers(START - timedelta(seconds=1))


def test_a_category_value_is_usable_until_retired_or_merged() -> None:
    assert CategoryValue(category_id=1, code="A", label="A").usable
    assert not CategoryValue(category_id=1, code="A", label="A", retired=True).usable
    assert not CategoryValue(category_id=1, code="A", label="A", merged_into_id=2).usable


def test_only_admins_and_the_system_have_admin_rights() -> None:
    assert SYSTEM.is_admin
    assert Actor("root", Role.admin).is_admin
    assert not any(Actor("alice", role).is_admin for role in (Role.manager, Role.rep, Role.auditor))
