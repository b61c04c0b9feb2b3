"""Who may work a customer: its owner rep, or an admin or a manager whose scope covers it."""

from __future__ import annotations

from fenpei.domain.customers import Customer
from fenpei.domain.errors import NotFound, PermissionDenied
from fenpei.domain.users import Actor, Role
from fenpei.services.customers import read_customer
from fenpei.services.ports import UnitOfWork


def workable_customer(uow: UnitOfWork, actor: Actor, customer_id: int, what: str) -> Customer:
    """The customer, locked, if ``actor`` may log work on it. Out of scope (a rep's
    customer someone else owns, a manager's outside their teams): not found, so nothing
    leaks; an auditor sees it but may not write."""
    customer = read_customer(uow=uow, customer_id=customer_id, actor=actor, lock=True)
    if actor.role is Role.auditor:
        raise PermissionDenied(f"an auditor may not {what}")
    if actor.role is Role.rep and (actor.rep_id is None or customer.owner_id != actor.rep_id):
        raise NotFound("customer", customer_id)
    return customer
