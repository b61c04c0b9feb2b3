"""A customer arrives (any path: API, web form, CLI, import): store it and route it at once."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from random import Random

from fenpei.domain.customers import Customer
from fenpei.domain.users import Actor
from fenpei.engine.model import Decision
from fenpei.services.customers import create_customer
from fenpei.services.ports import UnitOfWork
from fenpei.services.routing import route_customer
from fenpei.services.rulebook import RuleBook


def create_and_route(
    *,
    uow: UnitOfWork,
    rulebook: RuleBook,
    fields: Mapping[str, object],
    actor: Actor,
    now: datetime,
    rng: Random,
    route: bool = True,
) -> tuple[Customer, Decision | None]:
    """Create a customer and, unless ``route`` is False, route it in the same transaction."""
    customer = create_customer(uow=uow, fields=fields, actor=actor, now=now)
    if not route:
        return customer, None
    assert customer.id is not None
    decision = route_customer(
        uow=uow, rulebook=rulebook, customer_id=customer.id, actor=actor, now=now, rng=rng
    )
    return customer, decision
