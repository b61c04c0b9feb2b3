"""Fake repositories over the store, mirroring ``fenpei.adapters.db.repositories``.

Same filters, order, rolling usage windows and ``lock_many`` results as the SQL ones.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from fenpei.adapters.db.repositories import COUNTABLE
from fenpei.domain.access import IdempotentRequest
from fenpei.domain.assignments import Assignment, AssignMethod
from fenpei.domain.audit import AuditEntry
from fenpei.domain.categories import Category, CategoryValue
from fenpei.domain.companies import Company
from fenpei.domain.custom_fields import CustomField
from fenpei.domain.customers import Customer
from fenpei.domain.due import DUE_SORT, due_items
from fenpei.domain.errors import Conflict
from fenpei.domain.org import Leave, Rep, Team
from fenpei.domain.sla import SlaClock
from fenpei.domain.users import User
from fenpei.engine.capacity import Usage
from fenpei.services import ports
from fenpei.services.ports import CUSTOMER_SORT_KEYS
from tests.fakes.routing import FakeRoutingReads
from tests.fakes.store import Store


class _Repository:
    def __init__(self, store: Store) -> None:
        self._store = store

    def _lock(self, kind: str, ids: Iterable[int]) -> None:
        self._store.lock(kind, ids)


class FakeCustomers(_Repository):
    def add(self, customer: Customer) -> None:
        self._store.add(self._store.customers, customer)

    def add_many(self, batch: Sequence[Customer]) -> None:
        for customer in batch:
            self.add(customer)

    def get(self, customer_id: int, *, lock: bool = False) -> Customer | None:
        if lock:
            self._lock("customer", [customer_id])
        return self._store.customers.rows.get(customer_id)

    def lock_many(self, customer_ids: Collection[int]) -> list[Customer]:
        rows = self._store.customers.rows
        found = [rows[i] for i in sorted(set(customer_ids)) if i in rows]
        self._lock("customer", [c.id for c in found if c.id is not None])
        return found

    def ids_by_external_id(self, external_ids: Collection[str]) -> dict[str, int]:
        wanted = set(external_ids)
        return {
            c.external_id: c.id
            for c in self._store.customers
            if c.external_id in wanted and c.external_id is not None and c.id is not None
        }

    def search(self, query: ports.CustomerQuery) -> tuple[list[Customer], int]:
        matching = [c for c in self._store.customers if _matches(c, query)]
        # ORDER BY <column> [DESC], id DESC: two stable sorts, the tie-break first. NULLs
        # sort as SQLite sorts them: first ascending, last descending.
        matching.sort(key=lambda c: c.id or 0, reverse=True)
        key = query.sort.lstrip("-")
        if key == DUE_SORT:  # the earliest due thing, as the SQL search orders; none last
            return self._by_due(matching, query), len(matching)
        column = key if key in CUSTOMER_SORT_KEYS else "created_at"
        matching.sort(
            key=lambda c: _nulls_first(getattr(c, column)), reverse=query.sort.startswith("-")
        )
        if column == "next_follow_up_at":  # NULLS LAST, as the SQL search asks for this key
            matching.sort(key=lambda c: c.next_follow_up_at is None)
        return matching[query.offset : query.offset + query.limit], len(matching)

    def _by_due(self, matching: list[Customer], query: ports.CustomerQuery) -> list[Customer]:
        newest: dict[int, SlaClock] = {}
        for clock in sorted(self._store.sla_clocks, key=lambda k: k.id or 0):
            newest[clock.customer_id] = clock
        terms = query.due_terms or ()
        firsts = {
            c.id: items[0].at if (items := due_items(c, newest.get(c.id or 0), terms))
            else None
            for c in matching
        }  # fmt: skip
        matching.sort(key=lambda c: _nulls_first(firsts[c.id]), reverse=query.sort.startswith("-"))
        matching.sort(key=lambda c: firsts[c.id] is None)
        return matching[query.offset : query.offset + query.limit]

    def owners_matching(self, query: ports.CustomerQuery, *, limit: int) -> dict[int, int | None]:
        matching = sorted(
            (c for c in self._store.customers if c.id is not None and _matches(c, query)),
            key=lambda c: c.id or 0,
        )
        chosen = matching[:limit]
        self._lock("customer", [c.id for c in chosen if c.id is not None])
        # Like PostgreSQL's FOR UPDATE: a row changed while waiting is checked again.
        return {c.id: c.owner_id for c in chosen if c.id is not None and _matches(c, query)}

    def count_by(self, field: str) -> dict[str | None, int]:
        if field not in COUNTABLE:
            raise ValueError(f"cannot count customers by {field!r}")
        return dict(
            Counter(getattr(c, field) for c in self._store.customers if c.deleted_at is None)
        )

    def recode(self, field: str, old: str, new: str) -> int:
        if field not in COUNTABLE:
            raise ValueError(f"cannot recode customers' {field!r}")
        # Like the SQL UPDATE: every row, soft-deleted ones included.
        moved = [c for c in self._store.customers if getattr(c, field) == old]
        for customer in moved:
            setattr(customer, field, new)
        return len(moved)

    def with_keys(self, keys: Mapping[str, str], *, limit: int) -> list[Customer]:
        found = [
            c
            for c in self._store.customers
            if c.deleted_at is None and any(getattr(c, k) == v for k, v in keys.items())
        ]
        return sorted(found, key=lambda c: c.id or 0)[:limit]

    def taken_keys(self, column: str, keys: Collection[str]) -> set[str]:
        if column not in ("phone_key", "email_key", "company_key"):
            raise ValueError(f"{column!r} is not a duplicate-check key")
        wanted = set(keys)
        return {
            key
            for c in self._store.customers
            if c.deleted_at is None and (key := getattr(c, column)) in wanted
        }


def _matches(customer: Customer, query: ports.CustomerQuery) -> bool:
    if customer.deleted_at is not None:
        return False
    if query.text:
        # The SQL escapes %, _ and \ in the ILIKE pattern: the text matches literally.
        needle = query.text.strip().lower()
        searched = (
            customer.name,
            customer.company_name,
            customer.email,
            customer.phone,
            customer.external_id,
        )
        if not any(value is not None and needle in value.lower() for value in searched):
            return False
    if query.within_rep_ids is not None and not (
        customer.owner_id in query.within_rep_ids or customer.team_id in query.within_team_ids
    ):
        return False
    if query.owner_id is not None and customer.owner_id != query.owner_id:
        return False
    if query.unowned and customer.owner_id is not None:
        return False
    if query.pool is not None and (customer.pool != query.pool or customer.owner_id is not None):
        return False
    equal = ("team_id", "stage", "level", "region", "industry", "source")
    if any(
        (wanted := getattr(query, name)) is not None and getattr(customer, name) != wanted
        for name in equal
    ):
        return False
    assigned = customer.assigned_at
    if query.assigned_after is not None and (assigned is None or assigned <= query.assigned_after):
        return False
    created = customer.created_at
    if query.created_from is not None and (created is None or created < query.created_from):
        return False
    changed = customer.updated_at or created
    if query.updated_to is not None and (changed is None or changed > query.updated_to):
        return False
    return query.created_to is None or (created is not None and created < query.created_to)


def _nulls_first(value: object) -> tuple[bool, Any]:
    return (value is not None, value)


class FakeReps(_Repository):
    def add(self, rep: Rep) -> None:
        self._store.add(self._store.reps, rep)

    def get(self, rep_id: int, *, lock: bool = False) -> Rep | None:
        if lock:
            self._lock("rep", [rep_id])
        return self._store.reps.rows.get(rep_id)

    def lock_many(self, rep_ids: Collection[int]) -> list[Rep]:
        rows = self._store.reps.rows
        found = [rows[i] for i in sorted(set(rep_ids)) if i in rows]
        self._lock("rep", [r.id for r in found if r.id is not None])
        return found

    def by_name(self, name: str) -> Rep | None:
        return next((r for r in self._store.reps if r.name == name), None)

    def all(self, *, team_id: int | None = None) -> list[Rep]:
        reps = [r for r in self._store.reps if team_id is None or r.team_id == team_id]
        return sorted(reps, key=lambda r: r.name)

    def usage(self, rep_id: int, *, now: datetime) -> Usage:
        return FakeRoutingReads(self._store).loads(now=now, rep_ids=[rep_id])[rep_id].usage

    def add_leave(self, leave: Leave) -> None:
        self._store.add(self._store.leaves, leave)

    def leaves(self, rep_id: int) -> list[Leave]:
        found = [v for v in self._store.leaves if v.rep_id == rep_id]
        return sorted(found, key=lambda v: v.starts_at)

    def get_leave(self, leave_id: int) -> Leave | None:
        return self._store.leaves.rows.get(leave_id)

    def delete_leave(self, leave: Leave) -> None:
        assert leave.id is not None
        self._store.delete(self._store.leaves, leave.id)


class FakeTeams(_Repository):
    def add(self, team: Team) -> None:
        self._store.add(self._store.teams, team)

    def get(self, team_id: int) -> Team | None:
        return self._store.teams.rows.get(team_id)

    def by_name(self, name: str) -> Team | None:
        return next((t for t in self._store.teams if t.name == name), None)

    def all(self) -> list[Team]:
        return sorted(self._store.teams, key=lambda t: t.name)

    def delete(self, team: Team) -> None:
        assert team.id is not None
        self._store.delete(self._store.teams, team.id)


class FakeCompanies(_Repository):
    def add(self, company: Company) -> None:
        self._store.add(self._store.companies, company)

    def get(self, company_id: int) -> Company | None:
        return self._store.companies.rows.get(company_id)

    def by_name(self, name: str) -> Company | None:
        return next((c for c in self._store.companies if c.name == name), None)

    def all(self) -> list[Company]:
        return sorted(self._store.companies, key=lambda c: c.name)


class FakeCategories(_Repository):
    def add(self, category: Category) -> None:
        self._store.add(self._store.categories, category)

    def get(self, key: str) -> Category | None:
        return next((c for c in self._store.categories if c.key == key), None)

    def all(self) -> list[Category]:
        return sorted(self._store.categories, key=lambda c: c.key)

    def add_value(self, value: CategoryValue) -> None:
        self._store.add(self._store.category_values, value)

    def values(self, category_id: int) -> list[CategoryValue]:
        found = [v for v in self._store.category_values if v.category_id == category_id]
        return sorted(found, key=lambda v: (v.position, v.id or 0))

    def all_values(self) -> list[CategoryValue]:
        found = list(self._store.category_values)
        return sorted(found, key=lambda v: (v.category_id, v.position, v.id or 0))


class FakeCustomFields(_Repository):
    def add(self, definition: CustomField) -> None:
        self._store.add(self._store.custom_fields, definition)

    def all(self) -> list[CustomField]:
        return sorted(self._store.custom_fields, key=lambda d: d.key)


class FakeAssignments(_Repository):
    def add(self, assignment: Assignment) -> None:
        self._store.add(self._store.assignments, assignment)

    def add_many(self, batch: Sequence[Assignment]) -> None:
        for assignment in batch:
            self.add(assignment)

    def for_customer(self, customer_id: int) -> list[Assignment]:
        found = [a for a in self._store.assignments if a.customer_id == customer_id]
        return sorted(found, key=lambda a: (a.at, a.id or 0))

    def by_idempotency_key(self, key: str) -> Assignment | None:
        return next((a for a in self._store.assignments if a.idempotency_key == key), None)

    def count_since(self, *, to_rep_id: int, method: AssignMethod, since: datetime) -> int:
        return sum(
            1
            for a in self._store.assignments
            if a.to_rep_id == to_rep_id and a.method == method and a.at >= since
        )


class FakeAudit(_Repository):
    def add(self, entry: AuditEntry) -> None:
        self._store.add(self._store.audit, entry)

    def find(
        self, *, object_type: str | None = None, object_id: str | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        found = [
            e
            for e in self._store.audit
            if (object_type is None or e.object_type == object_type)
            and (object_id is None or e.object_id == object_id)
        ]
        found.sort(key=lambda e: (e.at, e.id or 0), reverse=True)
        return found[:limit]

    def search(
        self,
        *,
        actor: str | None = None,
        object_type: str | None = None,
        object_id: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[list[AuditEntry], int]:
        wanted = {"actor": actor, "object_type": object_type, "object_id": object_id}
        wanted["action"] = action
        found = [
            e
            for e in self._store.audit
            if all(value is None or getattr(e, name) == value for name, value in wanted.items())
            and (since is None or e.at >= since)
            and (until is None or e.at < until)
        ]
        found.sort(key=lambda e: (e.at, e.id or 0), reverse=True)
        return found[offset : offset + limit], len(found)


class FakeUsers(_Repository):
    def add(self, user: User) -> None:
        self._store.add(self._store.users, user)

    def by_username(self, username: str) -> User | None:
        return next((u for u in self._store.users if u.username == username), None)

    def get(self, user_id: int) -> User | None:
        return self._store.users.rows.get(user_id)

    def all(self) -> list[User]:
        return sorted(self._store.users, key=lambda u: u.username)

    def for_reps(self, rep_ids: Collection[int]) -> list[User]:
        wanted = set(rep_ids)
        return sorted(
            (u for u in self._store.users if u.rep_id in wanted and u.active),
            key=lambda u: u.id or 0,
        )

    def bump_session_version(self, user: User) -> None:
        user.session_version += 1


class FakeIdempotency(_Repository):
    def get(self, key: str) -> IdempotentRequest | None:
        return self._store.idempotent_requests.rows.get(key)

    def claim(self, request: IdempotentRequest, *, wait: timedelta) -> None:
        """One transaction at a time here: a key present was committed by another."""
        if request.key in self._store.idempotent_requests.rows:
            raise Conflict(f"idempotency key {request.key!r} is taken")
        self._store.add(self._store.idempotent_requests, request)
