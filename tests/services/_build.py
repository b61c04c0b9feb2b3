"""Arranging state for service tests through the services themselves, one commit each."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pytest

from fenpei.domain.assignments import Assignment
from fenpei.domain.customers import Customer
from fenpei.domain.errors import FenpeiError, ValidationFailed
from fenpei.domain.org import Rep
from fenpei.domain.users import SYSTEM, Actor
from fenpei.services.assignments import assign
from fenpei.services.customers import create_customer
from fenpei.services.org import create_rep
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction

E = TypeVar("E", bound=FenpeiError)


def a_rep(uow: FakeUnitOfWork, clock: FixedClock, name: str = "Wang Fang", **fields: object) -> Rep:
    return in_transaction(
        uow,
        lambda: create_rep(uow=uow, fields={"name": name, **fields}, actor=SYSTEM, now=clock.now()),
    )


def a_customer(
    uow: FakeUnitOfWork, clock: FixedClock, name: str = "Li Lei", **fields: object
) -> Customer:
    return in_transaction(
        uow,
        lambda: create_customer(
            uow=uow, fields={"name": name, **fields}, actor=SYSTEM, now=clock.now()
        ),
    )


def assigned(
    uow: FakeUnitOfWork,
    clock: FixedClock,
    customer: Customer,
    rep: Rep,
    *,
    actor: Actor = SYSTEM,
    **options: object,
) -> Assignment:
    """Assign ``customer`` to ``rep`` now and commit."""
    assert customer.id is not None and rep.id is not None
    customer_id, rep_id = customer.id, rep.id
    return in_transaction(
        uow,
        lambda: assign(
            uow=uow,
            customer_id=customer_id,
            rep_id=rep_id,
            actor=actor,
            now=clock.now(),
            **options,  # type: ignore[arg-type]
        ),
    )


def refused(uow: FakeUnitOfWork, error: type[E], work: Callable[[], object]) -> E:
    """Run ``work`` in a block; it must raise ``error`` before writing anything."""
    with uow:
        before = uow.dump()
        with pytest.raises(error) as caught:
            work()
        assert uow.dump() == before, "the service wrote before it refused"
        assert not uow.committed
    return caught.value


def bad_fields(error: ValidationFailed) -> set[str]:
    return {e.field for e in error.errors}


def message_for(error: ValidationFailed, field: str) -> str:
    return next(e.message for e in error.errors if e.field == field)
