"""Customer records: create, update, delete (soft), read, list."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, tzinfo

from fenpei.domain.custom_fields import CustomField, clean_custom_values
from fenpei.domain.customers import Customer, Stage, clean_customer_fields_partly
from fenpei.domain.due import DUE_SORT
from fenpei.domain.errors import NotFound, ValidationFailed
from fenpei.domain.follow_ups import move_stage
from fenpei.domain.users import Actor
from fenpei.services import _audit, scope
from fenpei.services.categories import CategoryIndex, load_category_index
from fenpei.services.due import due_terms
from fenpei.services.pool import listing
from fenpei.services.ports import CUSTOMER_SORT_KEYS, CustomerQuery, UnitOfWork
from fenpei.services.scoring.rescore import Scoring, load_scoring, rescore
from fenpei.services.sla import clocks as sla_clocks


def validate_customer_fields(
    uow: UnitOfWork,
    raw: Mapping[str, object],
    *,
    partial: bool,
    prefix: str = "",
    categories: CategoryIndex | None = None,
    custom_fields: Sequence[CustomField] | None = None,
    zone: tzinfo = UTC,
) -> dict[str, object]:
    """Clean fields, resolve category values and custom attributes; raise naming every bad one.

    Pass ``categories`` and ``custom_fields`` when validating many customers, so they are
    loaded once. On create (``partial=False``) required custom attributes must be present.
    """
    fields, errors = clean_customer_fields_partly(raw, partial=partial, prefix=prefix, zone=zone)
    errors += (categories or load_category_index(uow)).resolve(fields, prefix=prefix)
    custom = fields.get("custom", None if partial else {})
    if isinstance(custom, dict):
        definitions = uow.custom_fields.all() if custom_fields is None else custom_fields
        try:
            fields["custom"] = clean_custom_values(definitions, custom, prefix=prefix)
        except ValidationFailed as exc:
            errors += exc.errors
    if errors:
        raise ValidationFailed(errors)
    return fields


def _link_company(uow: UnitOfWork, fields: dict[str, object]) -> None:
    name = fields.get("company_name")
    if isinstance(name, str):
        company = uow.companies.by_name(name)
        fields["company_id"] = company.id if company else None
    elif "company_name" in fields:
        fields["company_id"] = None


def _check_external_id_free(uow: UnitOfWork, fields: dict[str, object], own_id: int | None) -> None:
    external_id = fields.get("external_id")
    if isinstance(external_id, str):
        holder = uow.customers.ids_by_external_id([external_id]).get(external_id)
        if holder is not None and holder != own_id:
            raise ValidationFailed.one(
                "external_id", f"{external_id!r} is already used by customer {holder}"
            )


def create_customer(
    *,
    uow: UnitOfWork,
    fields: Mapping[str, object],
    actor: Actor,
    now: datetime,
    categories: CategoryIndex | None = None,
    custom_fields: Sequence[CustomField] | None = None,
    scoring: Scoring | None = None,
) -> Customer:
    """Validate and store a new customer (unowned); every bad field is named.

    ``categories`` and ``custom_fields`` are the ones to validate against, and ``scoring``
    the models to score with, if the caller holds them already (the kept routing
    configuration); otherwise they are read."""
    scope.require_writer(actor, "create customers")
    cleaned = validate_customer_fields(
        uow, fields, partial=False, categories=categories, custom_fields=custom_fields
    )
    _check_external_id_free(uow, cleaned, None)
    _link_company(uow, cleaned)
    cleaned.setdefault("created_at", now)
    # A manager's new customer stays in their data scope until routing gives it an owner.
    cleaned.setdefault("team_id", scope.home_team_id(uow=uow, actor=actor))
    customer = Customer(**cleaned, updated_at=now)  # type: ignore[arg-type]
    if not customer.is_open and customer.closed_at is None:
        customer.closed_at = now
    # Scored before it is stored, so the routing that follows can read score and grade.
    scoring = scoring or load_scoring(uow=uow, custom_fields=custom_fields)
    rescore(uow=uow, customers=[customer], now=now, scoring=scoring, created=True)
    uow.customers.add(customer)
    _audit.record(uow, actor=actor, action="create", obj=customer, now=now)
    return customer


def get_customer(*, uow: UnitOfWork, customer_id: int, lock: bool = False) -> Customer:
    """The customer with this id, unless it does not exist or was deleted (no scope check:
    for the services themselves; entrypoints use ``read_customer``)."""
    customer = uow.customers.get(customer_id, lock=lock)
    if customer is None or customer.deleted_at is not None:
        raise NotFound("customer", customer_id)
    return customer


def read_customer(
    *, uow: UnitOfWork, customer_id: int, actor: Actor, lock: bool = False
) -> Customer:
    """The customer with this id, if ``actor`` may see it; otherwise it is not found."""
    visible = scope.data_scope(uow=uow, actor=actor)
    return scope.visible_customer(visible, uow.customers.get(customer_id, lock=lock), customer_id)


def update_customer(
    *,
    uow: UnitOfWork,
    customer_id: int,
    fields: Mapping[str, object],
    actor: Actor,
    now: datetime,
    scoring: Scoring | None = None,
) -> Customer:
    """Change some fields of a customer; ownership changes go through assignments instead.
    ``scoring``: the models to rescore with, if the caller holds them (the kept routing
    configuration); otherwise they are read."""
    if "owner_id" in fields:
        raise ValidationFailed.one("owner_id", "change the owner with an assignment, not an edit")
    scope.require_writer(actor, "change customers")
    customer = read_customer(uow=uow, customer_id=customer_id, actor=actor, lock=True)
    raw = dict(fields)
    if isinstance(raw.get("custom"), dict):
        raw["custom"] = {**customer.custom, **raw["custom"]}  # type: ignore[dict-item]
    cleaned = validate_customer_fields(uow, raw, partial=True)
    _check_external_id_free(uow, cleaned, customer.id)
    _link_company(uow, cleaned)
    before = _audit.snapshot(customer)
    stage = cleaned.pop("stage", None)
    for name, value in cleaned.items():
        setattr(customer, name, value)
    # The same move, record and clocks as change_stage's (a reason is not asked here).
    change = (
        move_stage(customer, stage, reason=None, actor=actor.name, at=now)
        if isinstance(stage, Stage)
        else None
    )
    if change is not None:  # follow_ups.stages.record_change's steps (it imports this module)
        uow.stage_changes.add(change)
        sla_clocks.on_closed(uow, customer=customer, now=now)
    customer.updated_at = now
    rescore(uow=uow, customers=[customer], now=now, scoring=scoring)
    _audit.record(uow, actor=actor, action="update", obj=customer, now=now, before=before)
    return customer


def delete_customer(*, uow: UnitOfWork, customer_id: int, actor: Actor, now: datetime) -> None:
    """Soft-delete: the customer disappears from lists; its history stays for the audit."""
    scope.require_writer(actor, "delete customers")
    customer = read_customer(uow=uow, customer_id=customer_id, actor=actor, lock=True)
    before = _audit.snapshot(customer)
    customer.deleted_at = now
    customer.updated_at = now
    # Nobody works a deleted customer: its owner's first-contact clock stops, or the
    # sla-check job would remind and breach them about it.
    sla_clocks.cancel_open(uow, customer_id=customer_id, now=now)
    _audit.record(uow, actor=actor, action="delete", obj=customer, now=now, before=before)


MAX_OFFSET = 2**31 - 1


def list_customers(
    *, uow: UnitOfWork, query: CustomerQuery, actor: Actor
) -> tuple[list[Customer], int]:
    """One page of the customers ``actor`` may see matching ``query``, and the total."""
    if not 1 <= query.limit <= 500:
        raise ValidationFailed.one("limit", "must be between 1 and 500")
    if not 0 <= query.offset <= MAX_OFFSET:
        raise ValidationFailed.one("offset", f"must be between 0 and {MAX_OFFSET}")
    for name in ("text", "level", "region", "industry", "source"):
        value = getattr(query, name)
        if value is not None and ("\x00" in value or len(value) > 200):
            raise ValidationFailed.one(name, "must be at most 200 characters, without NUL")
    if query.sort.removeprefix("-") not in CUSTOMER_SORT_KEYS:
        keys = ", ".join(sorted(CUSTOMER_SORT_KEYS))
        raise ValidationFailed.one(
            "sort", f"{query.sort!r} is not one of {keys} (prefix - for descending)"
        )
    if query.sort.removeprefix("-") == DUE_SORT and query.due_terms is None:
        query = replace(query, due_terms=due_terms(uow=uow))
    found, total = uow.customers.search(visible_query(uow=uow, query=query, actor=actor))
    return listing.shown_to(uow, actor, found), total


def show_customer(*, uow: UnitOfWork, customer_id: int, actor: Actor) -> Customer:
    """The customer as ``actor`` may read it (``read_customer``, then contacts masked while
    it waits in a pool that masks them): for showing, never for changing."""
    customer = read_customer(uow=uow, customer_id=customer_id, actor=actor)
    return listing.shown_to(uow, actor, [customer])[0]


def visible_query(*, uow: UnitOfWork, query: CustomerQuery, actor: Actor) -> CustomerQuery:
    """``query`` narrowed to the customers ``actor`` may see (their data scope)."""
    visible = scope.data_scope(uow=uow, actor=actor)
    if visible.unrestricted:
        return query
    return replace(
        query, within_rep_ids=visible.rep_ids, within_team_ids=visible.team_ids or frozenset()
    )


def find_customer(*, uow: UnitOfWork, ref: str, actor: Actor) -> Customer:
    """A customer by id ("42") or by external id ("maven:1C1I7A6R"), if ``actor`` may see it."""
    ref = ref.strip()
    if ref.isdigit():
        return read_customer(uow=uow, customer_id=int(ref), actor=actor)
    customer_id = uow.customers.ids_by_external_id([ref]).get(ref)
    if customer_id is None:
        raise NotFound("customer", ref)
    return read_customer(uow=uow, customer_id=customer_id, actor=actor)
