"""SQL repositories: queries only. They flush to get ids but never commit."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from fenpei.adapters.db import tables as t
from fenpei.domain.assignments import Assignment
from fenpei.domain.audit import AuditEntry
from fenpei.domain.categories import Category, CategoryValue
from fenpei.domain.companies import Company
from fenpei.domain.custom_fields import CustomField
from fenpei.domain.customers import OPEN_STAGES, Customer
from fenpei.domain.errors import Conflict
from fenpei.domain.org import Leave, Rep, Team
from fenpei.domain.users import User
from fenpei.engine.capacity import Usage, intake_window_starts
from fenpei.services.ports import CUSTOMER_SORT_KEYS, CustomerQuery

# FOR NO KEY UPDATE, not FOR UPDATE: it still serialises writers of the row, but it lets
# other transactions insert rows that reference it (assignments name the rep a customer
# leaves). FOR UPDATE would block those foreign-key checks and deadlock two transfers
# going opposite ways between the same reps.
ROW_LOCK = {"key_share": True}

COUNTABLE = {"level", "industry", "source", "customer_type", "region", "stage"}


class _HasId(Protocol):
    id: int | None


@contextmanager
def conflicts_as_domain_errors() -> Iterator[None]:
    """A unique key taken by a concurrent writer is a Conflict the caller can report."""
    try:
        yield
    except sa.exc.IntegrityError as exc:
        detail = str(exc.orig).splitlines()[0] if exc.orig else "constraint violated"
        raise Conflict(f"the data changed while saving ({detail}); try again") from exc


class _Repository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _add_all(self, table: sa.Table, batch: Sequence[_HasId]) -> None:
        """Insert many rows fast: ids are drawn up front so no RETURNING is needed, and
        the driver can send one short statement many times (psycopg caches only short
        statements; multi-row INSERT ... RETURNING pages are long and re-parsed)."""
        fresh = [obj for obj in batch if obj.id is None]
        for obj, new_id in zip(fresh, self._allocate_ids(table, len(fresh)), strict=True):
            obj.id = new_id
        self.session.add_all(batch)
        with conflicts_as_domain_errors():
            self.session.flush()

    def _allocate_ids(self, table: sa.Table, count: int) -> list[int]:
        if count == 0:
            return []
        if self.session.get_bind().dialect.name == "postgresql":
            return list(
                self.session.scalars(
                    sa.text(
                        "SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                        "FROM generate_series(1, :count)"
                    ),
                    {"table": table.name, "count": count},
                )
            )
        # SQLite: this transaction holds the database write lock (BEGIN IMMEDIATE), so
        # nobody else can insert between reading the largest id and using the next ones.
        start = (self.session.scalar(sa.select(sa.func.max(table.c.id))) or 0) + 1
        return list(range(start, start + count))

    def _add(self, obj: object) -> None:
        self.session.add(obj)
        with conflicts_as_domain_errors():
            self.session.flush()


class SqlCustomers(_Repository):
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
        if query.owner_id is not None:
            conditions.append(c.owner_id == query.owner_id)
        if query.unowned:
            conditions.append(c.owner_id.is_(None))
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
        total = (
            self.session.scalar(
                sa.select(sa.func.count()).select_from(t.customers).where(*conditions)
            )
            or 0
        )
        key = query.sort.lstrip("-")
        column = c[key] if key in CUSTOMER_SORT_KEYS else c.created_at
        order = column.desc() if query.sort.startswith("-") else column.asc()
        stmt = (
            sa.select(Customer)
            .where(*conditions)
            .order_by(order, c.id.desc())
            .offset(query.offset)
            .limit(query.limit)
        )
        return list(self.session.scalars(stmt)), total

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


class SqlReps(_Repository):
    def add(self, rep: Rep) -> None:
        self._add(rep)

    def get(self, rep_id: int, *, lock: bool = False) -> Rep | None:
        return self.session.get(Rep, rep_id, with_for_update=ROW_LOCK if lock else None)

    def lock_many(self, rep_ids: Collection[int]) -> list[Rep]:
        stmt = (
            sa.select(Rep)
            .where(t.reps.c.id.in_(sorted(set(rep_ids))))
            .order_by(t.reps.c.id)
            .with_for_update(key_share=True)
        )
        return list(self.session.scalars(stmt))

    def by_name(self, name: str) -> Rep | None:
        return self.session.scalar(sa.select(Rep).where(t.reps.c.name == name))

    def all(self, *, team_id: int | None = None) -> list[Rep]:
        stmt = sa.select(Rep).order_by(t.reps.c.name)
        if team_id is not None:
            stmt = stmt.where(t.reps.c.team_id == team_id)
        return list(self.session.scalars(stmt))

    def usage(self, rep_id: int, *, now: datetime) -> Usage:
        c, a = t.customers.c, t.assignments.c
        open_count = (
            self.session.scalar(
                sa.select(sa.func.count())
                .select_from(t.customers)
                .where(c.owner_id == rep_id, c.stage.in_(OPEN_STAGES), c.deleted_at.is_(None))
            )
            or 0
        )
        day, week, month = intake_window_starts(now)
        received = self.session.execute(
            sa.select(
                sa.func.count().filter(a.at >= day),
                sa.func.count().filter(a.at >= week),
                sa.func.count(),
            ).where(
                a.to_rep_id == rep_id,
                a.at >= month,
                sa.or_(a.from_rep_id.is_(None), a.from_rep_id != rep_id),
            )
        ).one()
        return Usage(open_count, received[0], received[1], received[2])

    def add_leave(self, leave: Leave) -> None:
        self._add(leave)

    def leaves(self, rep_id: int) -> list[Leave]:
        return list(
            self.session.scalars(
                sa.select(Leave).where(t.leaves.c.rep_id == rep_id).order_by(t.leaves.c.starts_at)
            )
        )


class SqlTeams(_Repository):
    def add(self, team: Team) -> None:
        self._add(team)

    def get(self, team_id: int) -> Team | None:
        return self.session.get(Team, team_id)

    def by_name(self, name: str) -> Team | None:
        return self.session.scalar(sa.select(Team).where(t.teams.c.name == name))

    def all(self) -> list[Team]:
        return list(self.session.scalars(sa.select(Team).order_by(t.teams.c.name)))


class SqlCompanies(_Repository):
    def add(self, company: Company) -> None:
        self._add(company)

    def get(self, company_id: int) -> Company | None:
        return self.session.get(Company, company_id)

    def by_name(self, name: str) -> Company | None:
        return self.session.scalar(sa.select(Company).where(t.companies.c.name == name))

    def all(self) -> list[Company]:
        return list(self.session.scalars(sa.select(Company).order_by(t.companies.c.name)))


class SqlCategories(_Repository):
    def add(self, category: Category) -> None:
        self._add(category)

    def get(self, key: str) -> Category | None:
        return self.session.scalar(sa.select(Category).where(t.categories.c.key == key))

    def all(self) -> list[Category]:
        return list(self.session.scalars(sa.select(Category).order_by(t.categories.c.key)))

    def add_value(self, value: CategoryValue) -> None:
        self._add(value)

    def values(self, category_id: int) -> list[CategoryValue]:
        v = t.category_values.c
        return list(
            self.session.scalars(
                sa.select(CategoryValue)
                .where(v.category_id == category_id)
                .order_by(v.position, v.id)
            )
        )


class SqlCustomFields(_Repository):
    def add(self, definition: CustomField) -> None:
        self._add(definition)

    def all(self) -> list[CustomField]:
        return list(self.session.scalars(sa.select(CustomField).order_by(t.custom_fields.c.key)))


class SqlAssignments(_Repository):
    def add(self, assignment: Assignment) -> None:
        self._add(assignment)

    def add_many(self, batch: Sequence[Assignment]) -> None:
        self._add_all(t.assignments, batch)

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


class SqlAudit(_Repository):
    def add(self, entry: AuditEntry) -> None:
        self._add(entry)

    def all(
        self, *, object_type: str | None = None, object_id: str | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        a = t.audit_log.c
        stmt = sa.select(AuditEntry).order_by(a.at.desc(), a.id.desc()).limit(limit)
        if object_type is not None:
            stmt = stmt.where(a.object_type == object_type)
        if object_id is not None:
            stmt = stmt.where(a.object_id == object_id)
        return list(self.session.scalars(stmt))


class SqlUsers(_Repository):
    def add(self, user: User) -> None:
        self._add(user)

    def by_username(self, username: str) -> User | None:
        return self.session.scalar(sa.select(User).where(t.users.c.username == username))
