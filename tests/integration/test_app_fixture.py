"""The shared ``app`` fixture (tests/conftest.py): a copy of the migrated template when the
clock starts at its default moment, migrated afresh with the categories stamped at the
test's own time when a fixture moved the clock before asking for ``app`` — on SQLite and on
PostgreSQL, where ``database_url`` already made the copy (the clock was still at the default)
and ``app`` must start over from an empty database."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.bootstrap import Fenpei
from tests.conftest import DEFAULT_AT
from tests.fakes import FixedClock

LATER = DEFAULT_AT + timedelta(days=40, hours=3)


def _stamps(app: Fenpei) -> set[datetime]:
    with app.engine.connect() as connection:
        return set(connection.scalars(sa.select(t.categories.c.created_at)))


def test_the_app_is_a_migrated_copy_with_the_categories_at_the_default_time(app: Fenpei) -> None:
    assert _stamps(app) == {DEFAULT_AT}


@pytest.fixture
def moved(clock: FixedClock) -> FixedClock:
    clock.at = LATER
    return clock


def test_a_clock_moved_before_the_app_gets_categories_stamped_at_its_time(
    moved: FixedClock, app: Fenpei
) -> None:
    assert _stamps(app) == {LATER}
    with app.uow() as uow:
        assert uow.categories.get("level") is not None


def test_a_clock_moved_after_the_database_was_made_still_gets_its_own_stamps(
    database_url: str, moved: FixedClock, app: Fenpei
) -> None:
    assert _stamps(app) == {LATER}
    with app.uow() as uow:
        assert uow.categories.get("level") is not None
