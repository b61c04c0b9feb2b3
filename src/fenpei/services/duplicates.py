"""The duplicate check (查重 / 撞单): is a phone, email or company already a customer's?

Matches are found by the normalised keys (``domain/duplicates``; one indexed lookup per
key) and told as the asker may know them (``DuplicateMatch``):

- in the asker's data scope: id, name, stage and owner;
- owned by someone outside it: only that it exists, the owner's name (whom to talk to)
  and, if the customer is in its protection period (保护期), until when — the terms of the
  pool it would return to (``pool_for_return``) decide; no id, name or contacts;
- waiting in a pool: which pool and whether the asker may see it; if they may, its id and
  name too (the pool's page lists it anyway, contacts masked as the pool says);
- waiting in the queue outside the scope: only that it exists.

Before a create, phone and email matches block (``DuplicateFound``) unless the caller
confirms; a company match is shown but does not block (one company, several contacts).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from fenpei.domain.customers import Customer
from fenpei.domain.duplicates import (
    BLOCKING,
    COMPANY_KEY_MAX,
    EMAIL_KEY_MAX,
    KEY_OF_FIELD,
    PHONE_KEY_MAX,
    DuplicateFound,
    DuplicateMatch,
    company_key,
    email_key,
    phone_key,
)
from fenpei.domain.errors import FieldError, ValidationFailed
from fenpei.domain.phrases import Phrase
from fenpei.domain.pools import protected_until
from fenpei.domain.users import Actor
from fenpei.services import scope
from fenpei.services.pool.terms import may_see, pool_for_return, terms_of
from fenpei.services.ports import UnitOfWork

MAX_MATCHES = 20
_KEYERS = {"phone": phone_key, "email": email_key, "company_name": company_key}
_LIMITS = {"phone": PHONE_KEY_MAX, "email": EMAIL_KEY_MAX, "company_name": COMPANY_KEY_MAX}


def _keys(values: Mapping[str, str | None], *, strict: bool) -> dict[str, str]:
    """Column -> key of the given values; ``strict``: a value with no key is an error."""
    keys: dict[str, str] = {}
    errors: list[FieldError] = []
    for field, value in values.items():
        if value is None or not value.strip():
            continue
        if len(value) > _LIMITS[field] or "\x00" in value:
            text = "must be at most {limit} characters, without NUL"
            errors.append(
                FieldError(field, Phrase("duplicates.too_long", text, limit=_LIMITS[field]))
            )
            continue
        key = _KEYERS[field](value)
        if key is not None:
            keys[KEY_OF_FIELD[field]] = key
        elif strict:
            text = "{value!r} has nothing to compare (a phone needs 7 digits or more)"
            errors.append(FieldError(field, Phrase("duplicates.no_key", text, value=value)))
    if errors:
        raise ValidationFailed(errors)
    if strict and not keys:
        text = "give a phone, an email or a company name to check"
        raise ValidationFailed.one("phone", Phrase("duplicates.nothing", text))
    return keys


def _told(
    uow: UnitOfWork,
    actor: Actor,
    in_scope: scope.DataScope,
    customer: Customer,
    matched: tuple[str, ...],
    now: datetime,
) -> DuplicateMatch:
    visible = in_scope.covers_customer(customer)
    owner = uow.reps.get(customer.owner_id) if customer.owner_id is not None else None
    until = None
    if owner is not None:
        until = protected_until(customer.assigned_at, terms_of(uow, pool_for_return(uow, owner)))
        until = until if until is not None and until > now else None
    pool = terms_of(uow, customer.pool) if customer.pool and owner is None else None
    pool_visible = pool is not None and may_see(uow, actor, pool)
    known = visible or pool_visible
    return DuplicateMatch(
        matched=matched,
        visible=visible,
        customer_id=customer.id if known else None,
        name=customer.name if known else None,
        stage=str(customer.stage) if visible else None,
        owner_name=owner.name if owner is not None else None,
        protected_until=until,
        pool=pool.key if pool is not None else None,
        pool_name=pool.name if pool is not None else None,
        pool_visible=pool_visible,
    )


def _matches(
    uow: UnitOfWork, actor: Actor, keys: Mapping[str, str], exclude_id: int | None, now: datetime
) -> list[DuplicateMatch]:
    found = uow.customers.with_keys(keys, limit=MAX_MATCHES + 1)
    in_scope = scope.data_scope(uow=uow, actor=actor)
    told = []
    for customer in found:
        if customer.id == exclude_id:
            continue
        matched = tuple(
            field for field, column in KEY_OF_FIELD.items()
            if column in keys and getattr(customer, column) == keys[column]
        )  # fmt: skip
        told.append(_told(uow, actor, in_scope, customer, matched, now))
    return told[:MAX_MATCHES]


def find_duplicates(
    *,
    uow: UnitOfWork,
    actor: Actor,
    now: datetime,
    phone: str | None = None,
    email: str | None = None,
    company_name: str | None = None,
    exclude_id: int | None = None,
) -> list[DuplicateMatch]:
    """Existing customers with this phone, email or company (by key), as ``actor`` may
    know them; at most ``MAX_MATCHES``, oldest first."""
    keys = _keys({"phone": phone, "email": email, "company_name": company_name}, strict=True)
    return _matches(uow, actor, keys, exclude_id, now)


def check_before_create(
    *, uow: UnitOfWork, actor: Actor, now: datetime, fields: Mapping[str, object]
) -> list[DuplicateMatch]:
    """The duplicates of a customer about to be created from ``fields``; raises
    ``DuplicateFound`` if a phone or email matches (the caller confirms to go on). Values
    that are not text are left to the create's own validation."""
    values = {f: v if isinstance(v, str) else None for f, v in fields.items() if f in _KEYERS}
    try:
        keys = _keys(values, strict=False)
    except ValidationFailed:
        return []  # the create names the bad field
    matches = _matches(uow, actor, keys, None, now) if keys else []
    if any(m.blocking for m in matches):
        raise DuplicateFound(matches)
    return matches


def protected_clash(
    *, uow: UnitOfWork, actor: Actor, customer: Customer, rep_id: int, now: datetime
) -> DuplicateMatch | None:
    """撞单 at claim time: another customer with ``customer``'s phone or email (by key)
    owned by someone other than rep ``rep_id`` and in its protection period (保护期), told
    as the 查重 box tells it to ``actor`` (``_told``); None when there is none."""
    keys = {
        column: value
        for field, column in KEY_OF_FIELD.items()
        if field in BLOCKING and (value := getattr(customer, column)) is not None
    }
    if not keys:
        return None
    in_scope = scope.data_scope(uow=uow, actor=actor)
    for other in uow.customers.with_keys(keys, limit=MAX_MATCHES + 1):
        if other.id == customer.id or other.owner_id is None or other.owner_id == rep_id:
            continue
        matched = tuple(
            field for field, column in KEY_OF_FIELD.items()
            if column in keys and getattr(other, column) == keys[column]
        )  # fmt: skip
        told = _told(uow, actor, in_scope, other, matched, now)
        if told.protected_until is not None:
            return told
    return None
