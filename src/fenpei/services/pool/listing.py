"""What waits in a pool, for whoever may see the pool, contacts masked where it says so."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta

from fenpei.domain.customers import Customer
from fenpei.domain.pools import Pool
from fenpei.domain.users import Actor, Role
from fenpei.services.pool.terms import terms_of, visible_pool
from fenpei.services.ports import CustomerQuery, UnitOfWork

MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class PoolPage:
    """One page of a pool's customers, the total waiting, and whether contacts are hidden."""

    pool: Pool
    customers: list[Customer]
    total: int
    masked: bool


def mask_phone(phone: str) -> str:
    """``13800138000`` → ``138****8000``: enough to recognise, not to call. A short
    number keeps only its last two digits."""
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * max(len(digits) - 2, 2) + digits[-2:] if len(digits) > 2 else "**"
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_email(email: str) -> str:
    """``li.lei@example.com`` → ``l***@example.com``."""
    name, at, domain = email.partition("@")
    return (name[:1] + "***" + at + domain) if at else "***"


def masked(customer: Customer) -> Customer:
    """A copy with phone, email and WeChat hidden (the stored customer is untouched)."""
    return dataclasses.replace(
        customer,
        phone=mask_phone(customer.phone) if customer.phone else customer.phone,
        email=mask_email(customer.email) if customer.email else customer.email,
        wechat="***" if customer.wechat else customer.wechat,
    )


def shown_to(uow: UnitOfWork, actor: Actor, customers: list[Customer]) -> list[Customer]:
    """``customers`` as ``actor`` may read them: contacts masked on those waiting in a pool
    whose terms say ``mask_contacts``, unless ``actor`` is an admin. Every read of
    customers outside the pool page (lists, one customer, API and web) goes through here."""
    if actor.role is Role.admin:
        return customers
    masking: dict[str, bool] = {}
    for key in {c.pool for c in customers if c.pool is not None and c.owner_id is None}:
        masking[key] = terms_of(uow, key).mask_contacts
    return [
        masked(c) if c.owner_id is None and c.pool is not None and masking[c.pool] else c
        for c in customers
    ]


@dataclass(frozen=True)
class PoolFilter:
    """What narrows a pool's list: text, level, region, source (codes), and waiting at
    least ``waiting_days`` days (since it last changed: entered the pool, or was edited)."""

    text: str | None = None
    level: str | None = None
    region: str | None = None
    source: str | None = None
    waiting_days: int | None = None


def pool_customers(
    *,
    uow: UnitOfWork,
    key: str,
    actor: Actor,
    text: str | None = None,
    offset: int = 0,
    limit: int = 50,
    narrow: PoolFilter | None = None,
    now: datetime | None = None,
) -> PoolPage:
    """The customers waiting in pool ``key`` (oldest first: longest waiting first);
    ``narrow`` (with ``now`` for its days) narrows them."""
    pool = visible_pool(uow, actor, key)
    narrow = narrow or PoolFilter(text=text)
    waited = None
    if narrow.waiting_days is not None and now is not None:
        waited = now - timedelta(days=narrow.waiting_days)
    query = CustomerQuery(
        pool=key, text=narrow.text or text, level=narrow.level or None,
        region=narrow.region or None, source=narrow.source or None, updated_to=waited,
        sort="created_at", offset=offset, limit=min(limit, MAX_PAGE_SIZE),
    )  # fmt: skip
    found, total = uow.customers.search(query)
    hide = pool.mask_contacts and actor.role is not Role.admin
    return PoolPage(pool, [masked(c) for c in found] if hide else found, total, hide)
