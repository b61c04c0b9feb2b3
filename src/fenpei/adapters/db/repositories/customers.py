"""Customers and their assignment records."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.adapters.db.repositories._base import (
    ROW_LOCK,
    Repository,
    conflicts_as_domain_errors,
    core_row,
)
from fenpei.adapters.db.repositories._due_sort import due_order
from fenpei.adapters.db.repositories.loads import count_intake
from fenpei.domain.assignments import Assignment, AssignMethod
from fenpei.domain.customers import Customer
from fenpei.domain.due import DUE_SORT
from fenpei.services.ports import CUSTOMER_SORT_KEYS, CustomerQuery

_INSERT_ASSIGNMENT = sa.insert(t.assignments).returning(t.assignments.c.id)
COUNTABLE = {"level", "industry", "source", "customer_type", "region", "stage"}


class SqlCustomers(Repository):
    def add(self, customer: Customer) -> None:
        self._add(customer)

    def add_many(self, batch: Sequence[Customer]) -> None:
        self._add_all(t.customers, batch)

    def get(self, customer_id: int, *, lock: bool = False) -> Customer | None:
        return self.session.get(Customer, customer_id, with_for_update=ROW_LOCK if lock else None)

    def lock_many(self, customer_ids: Collection[int]) -> list[Customer]:
        # Always lock in id order so concurrent bulk operations cannot deadlock.
        stmt = (
            sa.select(Customer)
            .where(t.customers.c.id.in_(sorted(set(customer_ids))))
            .order_by(t.customers.c.id)
            .with_for_update(key_share=True)
        )
        return list(self.session.scalars(stmt))

    def ids_by_external_id(self, external_ids: Collection[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        wanted = list(external_ids)
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = self.session.execute(
                sa.select(t.customers.c.external_id, t.customers.c.id).where(
                    t.customers.c.external_id.in_(chunk)
                )
            )
            found.update({ext: cid for ext, cid in rows if ext is not None})
        return found

    def search(self, query: CustomerQuery) -> tuple[list[Customer], int]:
        c = t.customers.c
        conditions = _conditions(query)
        total = (
            self.session.scalar(
                sa.select(sa.func.count()).select_from(t.customers).where(*conditions)
            )
            or 0
        )
        key = query.sort.lstrip("-")
        descending = query.sort.startswith("-")
        column = c[key] if key in CUSTOMER_SORT_KEYS - {DUE_SORT} else c.created_at
        order = column.desc() if descending else column.asc()
        if key == "next_follow_up_at":  # what is due first; nothing planned last, anywhere
            order = order.nulls_last()
        if key == DUE_SORT:  # the earliest of follow-up, SLA clock and reclaim
            dialect = self.session.get_bind().dialect.name
            order = due_order(dialect, query.due_terms or (), descending=descending)
        stmt = (
            sa.select(Customer)
            .where(*conditions)
            .order_by(order, c.id.desc())
            .offset(query.offset)
            .limit(query.limit)
        )
        return list(self.session.scalars(stmt)), total

    def owners_matching(self, query: CustomerQuery, *, limit: int) -> dict[int, int | None]:
        # Locked as they are selected, in id order like lock_many: on PostgreSQL a row that
        # changed meanwhile is re-checked against the filter before it is locked, so what
        # is returned matches the filter now and keeps matching until commit.
        c = t.customers.c
        stmt = (
            sa.select(c.id, c.owner_id)
            .where(*_conditions(query))
            .order_by(c.id)
            .limit(limit)
            .with_for_update(key_share=True)
        )
        return {customer_id: owner_id for customer_id, owner_id in self.session.execute(stmt)}

    def count_by(self, field: str) -> dict[str | None, int]:
        if field not in COUNTABLE:
            raise ValueError(f"cannot count customers by {field!r}")
        column = t.customers.c[field]
        rows = self.session.execute(
            sa.select(column, sa.func.count())
            .where(t.customers.c.deleted_at.is_(None))
            .group_by(column)
        )
        return {value: count for value, count in rows}

    def recode(self, field: str, old: str, new: str) -> int:
        if field not in COUNTABLE:
            raise ValueError(f"cannot recode customers' {field!r}")
        result = self.session.execute(
            sa.update(t.customers).where(t.customers.c[field] == old).values({field: new}),
            execution_options={"synchronize_session": "fetch"},
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def with_keys(self, keys: Mapping[str, str], *, limit: int) -> list[Customer]:
        c = t.customers.c
        if not keys:
            return []
        # One indexed equality per key (ix_customers_<key>), combined: an index union.
        ids = sa.union(
            *(sa.select(c.id).where(c[column] == key) for column, key in sorted(keys.items()))
        ).subquery()
        stmt = (
            sa.select(Customer)
            .where(t.customers.c.id.in_(sa.select(ids.c.id)), c.deleted_at.is_(None))
            .order_by(c.id)
            .limit(limit)
        )
        return list(self.session.scalars(stmt))

    def taken_keys(self, column: str, keys: Collection[str]) -> set[str]:
        if column not in ("phone_key", "email_key", "company_key"):
            raise ValueError(f"{column!r} is not a duplicate-check key")
        found: set[str] = set()
        wanted = sorted(set(keys))
        key_column = t.customers.c[column]
        for start in range(0, len(wanted), 500):
            rows = self.session.scalars(
                sa.select(key_column)
                .where(key_column.in_(wanted[start : start + 500]))
                .where(t.customers.c.deleted_at.is_(None))
                .distinct()
            )
            found.update(key for key in rows if key is not None)
        return found


def _conditions(query: CustomerQuery) -> list[sa.ColumnElement[bool]]:
    """The WHERE clauses of ``query``'s filters and data scope (its sort and page aside)."""
    c = t.customers.c
    conditions: list[sa.ColumnElement[bool]] = [c.deleted_at.is_(None)]
    if query.text:
        escaped = re.sub(r"([\\%_])", r"\\\1", query.text.strip())
        like = f"%{escaped}%"
        conditions.append(
            sa.or_(
                c.name.ilike(like, escape="\\"),
                c.company_name.ilike(like, escape="\\"),
                c.email.ilike(like, escape="\\"),
                c.phone.ilike(like, escape="\\"),
                c.external_id.ilike(like, escape="\\"),
            )
        )
    if query.within_rep_ids is not None:
        conditions.append(
            sa.or_(
                c.owner_id.in_(sorted(query.within_rep_ids)),
                c.team_id.in_(sorted(query.within_team_ids)),
            )
        )
    if query.owner_id is not None:
        conditions.append(c.owner_id == query.owner_id)
    if query.unowned:
        conditions.append(c.owner_id.is_(None))
    if query.pool is not None:
        conditions += [c.pool == query.pool, c.owner_id.is_(None)]
    for column, value in (
        (c.team_id, query.team_id),
        (c.stage, query.stage),
        (c.level, query.level),
        (c.region, query.region),
        (c.industry, query.industry),
        (c.source, query.source),
    ):
        if value is not None:
            conditions.append(column == value)
    if query.created_from is not None:
        conditions.append(c.created_at >= query.created_from)
    if query.created_to is not None:
        conditions.append(c.created_at < query.created_to)
    if query.assigned_after is not None:
        conditions.append(c.assigned_at > query.assigned_after)
    if query.updated_to is not None:
        conditions.append(sa.func.coalesce(c.updated_at, c.created_at) <= query.updated_to)
    return conditions


class SqlAssignments(Repository):
    def add(self, assignment: Assignment) -> None:
        """Written at once by a Core INSERT, its id read back: records are immutable, so
        the session need not track them (no unit-of-work bookkeeping). A key taken by a
        concurrent request is a Conflict here. The INSERT flushes the customer's new owner
        first, whose trigger moves both reps' counters lower id first; only then is the
        intake counted: the other order deadlocks two opposite transfers
        (tests/integration/test_opposite_transfers.py)."""
        with conflicts_as_domain_errors():
            assignment.id = self.session.scalar(
                _INSERT_ASSIGNMENT, core_row(t.assignments, assignment)
            )
        count_intake(self.session, [assignment])

    def add_many(self, batch: Sequence[Assignment]) -> None:
        self._add_all(t.assignments, batch)
        count_intake(self.session, batch)

    def for_customer(self, customer_id: int) -> list[Assignment]:
        a = t.assignments.c
        return list(
            self.session.scalars(
                sa.select(Assignment).where(a.customer_id == customer_id).order_by(a.at, a.id)
            )
        )

    def by_idempotency_key(self, key: str) -> Assignment | None:
        return self.session.scalar(
            sa.select(Assignment).where(t.assignments.c.idempotency_key == key)
        )

    def count_since(self, *, to_rep_id: int, method: AssignMethod, since: datetime) -> int:
        a = t.assignments.c
        query = sa.select(sa.func.count()).where(
            a.to_rep_id == to_rep_id, a.at >= since, a.method == method
        )
        return int(self.session.scalar(query) or 0)
