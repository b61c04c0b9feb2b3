"""Service tests run on the in-memory fakes: a unit of work holding the default categories."""

from __future__ import annotations

import pytest

from fenpei.domain.users import SYSTEM
from fenpei.services.categories import ensure_default_categories
from tests.fakes import FakeHasher, FakeUnitOfWork, FixedClock, in_transaction


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def uow(clock: FixedClock) -> FakeUnitOfWork:
    """An empty store with the built-in categories (level A-D, type, source, ...)."""
    fake = FakeUnitOfWork()
    in_transaction(fake, lambda: ensure_default_categories(uow=fake, actor=SYSTEM, now=clock.now()))
    return fake


@pytest.fixture
def hasher() -> FakeHasher:
    return FakeHasher()
