"""Key accounts (重点客户): marked by the owner's manager, an admin, or the owning rep
themself, within the holding cap (``max_key_accounts``) of the pool that governs the owner;
with ``exempt_key_accounts`` reclaim leaves them alone."""

from __future__ import annotations

from datetime import datetime

from fenpei.domain.customers import Customer
from fenpei.domain.errors import ClaimRefused, NotFound, PermissionDenied
from fenpei.domain.users import Actor, Role
from fenpei.services import _audit, scope
from fenpei.services.pool.terms import pool_for_return, terms_of
from fenpei.services.ports import UnitOfWork


def _customer(uow: UnitOfWork, customer_id: int, actor: Actor) -> Customer:
    """The customer, locked, if ``actor`` may mark it: an admin or manager in their
    scope, a rep only their own."""
    if actor.role in scope.WRITERS:
        visible = scope.data_scope(uow=uow, actor=actor)
        return scope.visible_customer(
            visible, uow.customers.get(customer_id, lock=True), customer_id
        )
    if actor.role is not Role.rep or actor.rep_id is None:
        raise PermissionDenied("only the owner, their manager or an admin marks key accounts")
    found = uow.customers.get(customer_id, lock=True)
    if found is None or found.deleted_at is not None or found.owner_id != actor.rep_id:
        raise NotFound("customer", customer_id)
    return found


def set_key_account(
    *, uow: UnitOfWork, customer_id: int, key_account: bool, actor: Actor, now: datetime
) -> Customer:
    """Mark or unmark a key account; marking one more than the owner's pool lets them hold
    is refused (``key_account_cap``). Audited; the caller commits."""
    customer = _customer(uow, customer_id, actor)
    if customer.key_account == key_account:
        return customer
    before = _audit.snapshot(customer)
    if key_account:
        if customer.owner_id is None:
            raise ClaimRefused("unowned", "only a customer with an owner can be a key account")
        rep = uow.reps.get(customer.owner_id, lock=True)  # the cap is exact: one at a time
        assert rep is not None
        pool = terms_of(uow, pool_for_return(uow, rep))
        held = uow.reclaim.key_accounts_held(rep.id or 0)
        if pool.max_key_accounts is not None and held >= pool.max_key_accounts:
            raise ClaimRefused(
                "key_account_cap",
                f"{rep.name} holds {held} key accounts, the most {pool.key} allows",
            )
    customer.key_account, customer.updated_at = key_account, now
    _audit.record(
        uow, actor=actor, action="customer.key_account", obj=customer, now=now, before=before
    )
    return customer
