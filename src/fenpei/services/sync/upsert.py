"""One CRM record into fenpei: found by its link (or matched by phone / email, 查重),
created through the intake path (validated, scored, routed when the CRM names no rep) or
updated with what changed; an owner the CRM changed is given through ``give()``."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from random import Random
from typing import Any

from fenpei.domain.assignments import AssignMethod
from fenpei.domain.customers import Customer
from fenpei.domain.duplicates import email_key, phone_key
from fenpei.domain.errors import NotFound
from fenpei.domain.sync import CrmRecord, SyncCounts
from fenpei.domain.users import Actor
from fenpei.services.assignments import give
from fenpei.services.customers import update_customer
from fenpei.services.intake import create_and_route
from fenpei.services.ports import UnitOfWork
from fenpei.services.rulebook import RuleBook


def _same(old: object, new: object) -> bool:
    if isinstance(old, Decimal | int | float) and isinstance(new, int | float | str | Decimal):
        try:
            return Decimal(str(old)) == Decimal(str(new))
        except ArithmeticError:
            return False
    return old == new or (old is None and new == "") or (str(old) == str(new) and new is not None)


def _changes(customer: Customer, fields: dict[str, Any]) -> dict[str, Any]:
    changed = {
        k: v
        for k, v in fields.items()
        if k != "custom" and not _same(getattr(customer, k, None), v)
    }
    custom = fields.get("custom")
    if isinstance(custom, dict):
        diff = {k: v for k, v in custom.items() if customer.custom.get(k) != v}
        if diff:
            changed["custom"] = diff
    return changed


def _matching(uow: UnitOfWork, fields: dict[str, Any]) -> Customer | None:
    keys: dict[str, str] = {}
    for field, keyer, column in (
        ("phone", phone_key, "phone_key"),
        ("email", email_key, "email_key"),
    ):
        value = fields.get(field)
        key = keyer(value) if isinstance(value, str) and value else None
        if key:
            keys[column] = key
    if not keys:
        return None
    found = uow.customers.with_keys(keys, limit=2)
    return found[0] if len(found) == 1 else None


def upsert_record(
    uow: UnitOfWork,
    *,
    rulebook: RuleBook,
    connection: str,
    module: str,
    record: CrmRecord,
    rep_id: int | None,
    actor: Actor,
    now: datetime,
    rng: Random,
    counts: SyncCounts,
) -> Customer:
    """Create or update the customer ``record`` names; give it to ``rep_id`` (the CRM's
    owner as a rep) when that differs. Raises ``ValidationFailed`` naming a bad field."""
    fields = {k: v for k, v in record.fields.items() if not (v is None and k == "name")}
    customer_id = uow.sync.customer_of(connection, module, record.external_id)
    if customer_id is None and (match := _matching(uow, fields)) is not None:
        assert match.id is not None
        if not uow.sync.externals_of(connection, module, [match.id]):
            uow.sync.link(connection, module, record.external_id, match.id, now)
            customer_id = match.id
            counts.linked += 1
    if customer_id is None:
        create = {k: v for k, v in fields.items() if v is not None}
        customer, _ = create_and_route(
            uow=uow, rulebook=rulebook, fields=create, actor=actor, now=now, rng=rng,
            route=rep_id is None,
        )  # fmt: skip
        assert customer.id is not None
        uow.sync.link(connection, module, record.external_id, customer.id, now)
        counts.created += 1
    else:
        customer = uow.customers.get(customer_id, lock=True)  # type: ignore[assignment]
        if customer is None or customer.deleted_at is not None:
            raise NotFound("customer", customer_id)
        changes = _changes(customer, fields)
        if changes:
            customer = update_customer(
                uow=uow, customer_id=customer_id, fields=changes, actor=actor, now=now
            )
            counts.updated += 1
    if rep_id is not None and customer.owner_id != rep_id:
        rep = uow.reps.get(rep_id, lock=True)
        if rep is not None:
            give(
                uow,
                customer=customer,
                rep=rep,
                method=AssignMethod.sync,
                actor=actor,
                reason=f"owner changed in {connection}",
                now=now,
                explanation={"kind": "sync", "connection": connection, "chosen": rep.name},
            )
            counts.owner_changes += 1
    return customer
