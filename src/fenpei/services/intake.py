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
    """Create a customer and, unless ``route`` is False, route it in the same transaction.

    The fields are validated against the kept configuration (its categories and custom
    fields, checked by stamp) and scored with its models, which routing then uses too: one
    stamp query, no re-reads."""
    config = rulebook.config(uow, now=now)
    customer = create_customer(
        uow=uow,
        fields=fields,
        actor=actor,
        now=now,
        categories=config.categories,
        custom_fields=config.custom_fields,
        scoring=config.scoring,
    )
    if not route:
        return customer, None
    assert customer.id is not None
    decision = route_customer(
        uow=uow,
        rulebook=rulebook,
        customer_id=customer.id,
        actor=actor,
        now=now,
        rng=rng,
        created=customer,
        config=config,
    )
    return customer, decision
