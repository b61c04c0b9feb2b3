"""Export reads: rows in id order after a given id (keyset), plain Core rows, no ORM.

Core rows (named tuples) and no identity map: a million rows cost a million tuples, read
and dropped a batch at a time, never a million tracked objects.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.adapters.db.repositories._base import Repository
from fenpei.adapters.db.repositories.customers import _conditions
from fenpei.services.exports.ports import CUSTOMER_FIELDS, RecordFilter
from fenpei.services.ports import CustomerQuery

_c = t.customers.c
_CUSTOMER_COLUMNS = [_c[name] for name in CUSTOMER_FIELDS]


class SqlExports(Repository):
    def count_customers(self, query: CustomerQuery) -> int:
        stmt = sa.select(sa.func.count()).select_from(t.customers).where(*_conditions(query))
        return int(self.session.scalar(stmt) or 0)

    def customer_rows(self, query: CustomerQuery, *, after_id: int, limit: int) -> list[Any]:
        stmt = (
            sa.select(*_CUSTOMER_COLUMNS)
            .where(_c.id > after_id, *_conditions(query))
            .order_by(_c.id)
            .limit(limit)
        )
        return list(self.session.execute(stmt))

    def reps_may_export(self) -> bool | None:
        found = self.session.scalar(
            sa.select(t.export_settings.c.reps_may_export).order_by(t.export_settings.c.id)
        )
        return None if found is None else bool(found)

    def save_reps_may_export(self, value: bool, *, by: str, at: datetime) -> None:
        s = t.export_settings
        values = {"reps_may_export": value, "updated_by": by, "updated_at": at}
        first = self.session.scalar(sa.select(s.c.id).order_by(s.c.id).with_for_update())
        if first is None:
            self.session.execute(sa.insert(s).values(values))
        else:
            self.session.execute(sa.update(s).where(s.c.id == first).values(values))

    def count_records(self, table: str, where: RecordFilter) -> int:
        base = _record_select(table, where, [sa.func.count()])
        return int(self.session.scalar(base) or 0)

    def record_rows(
        self, table: str, where: RecordFilter, *, after_id: int, limit: int
    ) -> list[Any]:
        source = _TABLES[table]
        stmt = (
            _record_select(table, where, _record_columns(table))
            .where(source.c.id > after_id)
            .order_by(source.c.id)
            .limit(limit)
        )
        return list(self.session.execute(stmt))


_TABLES = {"assignments": t.assignments, "follow_ups": t.follow_ups, "tasks": t.tasks}


def _record_columns(table: str) -> list[Any]:
    source = _TABLES[table]
    customer_name = _c.name.label("customer_name")
    if table == "assignments":
        a = source.c
        return [a.id, a.customer_id, customer_name, a.from_rep_id, a.to_rep_id, a.method,
                a.rule_id, a.strategy, a.reason, a.explanation, a.actor, a.at]  # fmt: skip
    if table == "follow_ups":
        f = source.c
        return [f.id, f.customer_id, customer_name, f.rep_id, f.author, f.kind, f.at,
                f.content, f.outcome, f.next_at, f.edited_at]  # fmt: skip
    k = source.c
    return [k.id, k.title, k.status, k.priority, k.assignee_id, k.team_id, k.customer_id,
            customer_name, k.created_by, k.due_at, k.completed_at, k.progress,
            k.created_at]  # fmt: skip


def _record_select(table: str, where: RecordFilter, columns: list[Any]) -> sa.Select[Any]:
    source = _TABLES[table]
    s = source.c
    if table == "tasks":
        joined = source.outerjoin(t.customers, _c.id == s.customer_id)
        at, rep = s.created_at, s.assignee_id
    else:
        joined = source.join(t.customers, _c.id == s.customer_id)
        at, rep = s.at, (s.to_rep_id if table == "assignments" else s.rep_id)
    stmt = sa.select(*columns).select_from(joined)
    if table != "tasks":
        stmt = stmt.where(_c.deleted_at.is_(None))
    if where.rep_ids is not None:
        if table == "tasks":
            visible: list[sa.ColumnElement[bool]] = [
                s.assignee_id.in_(sorted(where.rep_ids)),
                s.team_id.in_(sorted(where.team_ids)),
            ]
            if where.creator_user_id is not None:
                visible.append(s.created_by_user_id == where.creator_user_id)
        else:
            visible = [
                _c.owner_id.in_(sorted(where.rep_ids)),
                _c.team_id.in_(sorted(where.team_ids)),
            ]
        stmt = stmt.where(sa.or_(*visible))
    if where.since is not None:
        stmt = stmt.where(at >= where.since)
    if where.until is not None:
        stmt = stmt.where(at < where.until)
    if where.rep_id is not None:
        stmt = stmt.where(rep == where.rep_id)
    return stmt
