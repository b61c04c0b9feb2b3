"""Set-based reads for routing: reps' loads in one statement, the configuration's stamp,
leaves, account owners."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from fenpei.adapters.db import tables as t
from fenpei.adapters.db.repositories._base import Repository
from fenpei.adapters.db.types import UtcDateTime
from fenpei.domain.customers import OPEN_STAGES
from fenpei.domain.org import Leave
from fenpei.engine.capacity import Usage, intake_window_starts
from fenpei.services.ports import RepLoad

# What routing keeps between decisions (see ``services.rulebook.RuleBook``): a change to
# any row of these tables must change the stamp. Routing state (strategy cursors) and
# loads are per-decision data and deliberately not here.
CONFIG_TABLES = (
    t.rules, t.reps, t.teams, t.leaves, t.categories, t.category_values, t.custom_fields,
)  # fmt: skip


class SqlRoutingReads(Repository):
    def loads(self, *, now: datetime, rep_ids: Collection[int] | None = None) -> dict[int, RepLoad]:
        """Open customers held (count, expected value) and customers received in each window
        (transfers to oneself not counted), for ``rep_ids`` or every rep, in one statement."""
        only = sorted(set(rep_ids)) if rep_ids is not None else None
        day, week, month = intake_window_starts(now)
        params: dict[str, object] = {"day": day, "week": week, "month": month}
        if only is not None:
            params["rep_ids"] = only
        loads = {
            rep_id: RepLoad(Usage(count or 0, d or 0, w or 0, m or 0), Decimal(value or 0), last_at)
            for rep_id, count, value, d, w, m, last_at in self.session.execute(
                _loads_statement(
                    everyone=only is None, dialect=self.session.get_bind().dialect.name
                ),
                params,
            )
        }
        for rep_id in only or ():  # asked for, but no such rep: nothing held, nothing received
            loads.setdefault(rep_id, RepLoad(Usage(0), Decimal(0), None))
        return loads

    def config_stamp(self, *, now: datetime) -> str:
        """One statement. PostgreSQL: every row's id and ``xmin`` (the transaction that wrote
        that version of the row), so any committed or own write moves it, whoever made it.
        SQLite has no row versions: every row's content, hashed here."""
        statement = _stamp_sql(self.session.get_bind().dialect.name)
        rows = self.session.execute(statement, {"now": now}).all()
        digest = hashlib.blake2b(digest_size=16)
        for row in rows:
            digest.update("\x1e".join("" if v is None else str(v) for v in row).encode())
            digest.update(b"\x1d")
        return digest.hexdigest()

    def leaves_around(self, *, now: datetime) -> list[Leave]:
        return list(self.session.scalars(sa.select(Leave).where(t.leaves.c.ends_at > now)))

    def account_owners(
        self, *, company: str | None, email_domain: str | None, phone_digits: str | None
    ) -> dict[str, int]:
        """Owner of the most recently assigned open customer matching each key."""
        c = t.customers.c
        found: dict[str, int] = {}
        # Compare like with like: lower() on both sides, and phones without separators.
        bare_phone = sa.func.replace(
            sa.func.replace(
                sa.func.replace(
                    sa.func.replace(sa.func.replace(c.phone, "-", ""), " ", ""), "(", ""
                ),
                ")",
                "",
            ),
            ".",
            "",
        )
        probes = {
            "company": sa.func.lower(sa.func.trim(c.company_name)) == sa.func.lower(company)
            if company
            else None,
            "email_domain": sa.func.lower(c.email).like(f"%@{email_domain.lower()}")
            if email_domain
            else None,
            "phone": bare_phone.like(f"%{phone_digits[-8:]}") if phone_digits else None,
        }
        for key, condition in probes.items():
            if condition is None:
                continue
            owner = self.session.scalar(
                sa.select(c.owner_id)
                .where(condition, c.owner_id.is_not(None), c.deleted_at.is_(None))
                .order_by(c.assigned_at.desc().nulls_last(), c.id.desc())
                .limit(1)
            )
            if owner is not None:
                found[key] = owner
        return found

    def queued_customer_ids(self, *, limit: int) -> list[int]:
        c = t.customers.c
        return list(
            self.session.scalars(
                sa.select(c.id)
                .where(c.queued_at.is_not(None), c.owner_id.is_(None), c.deleted_at.is_(None))
                .order_by(c.queued_at, c.id)
                .limit(limit)
            )
        )

    def assignment_counts(self) -> list[tuple[str, int | None, int]]:
        """How many assignments were ever made, by method and rule."""
        a = t.assignments.c
        rows = self.session.execute(
            sa.select(a.method, a.rule_id, sa.func.count())
            .group_by(a.method, a.rule_id)
            .order_by(a.method, a.rule_id)
        )
        return [
            (str(getattr(method, "value", method)), rule_id, count)
            for method, rule_id, count in rows
        ]

    def queue_depth(self) -> int:
        """Customers waiting in the queue for a rep."""
        c = t.customers.c
        return (
            self.session.scalar(
                sa.select(sa.func.count()).where(
                    c.queued_at.is_not(None), c.owner_id.is_(None), c.deleted_at.is_(None)
                )
            )
            or 0
        )


@cache
def _stamp_sql(dialect: str) -> sa.TextClause:
    """The stamp statement for a dialect: one row per table. Leaves count only while they
    matter (not ended). Rows are concatenated in the order the table is read (id order in
    practice); an order that varied would only cost a re-read, never a stale copy."""
    parts = []
    for table in CONFIG_TABLES:
        where = " WHERE ends_at > :now" if table is t.leaves else ""
        if dialect == "postgresql":
            parts.append(
                f"SELECT '{table.name}', count(*), md5(coalesce(string_agg("
                f"id::text || ':' || xmin::text, ',' ORDER BY id), '')) FROM {table.name}{where}"
            )
        else:
            row = " || char(31) || ".join(f'quote("{column.name}")' for column in table.columns)
            parts.append(
                f"SELECT '{table.name}', count(*), group_concat(row, char(30)) "
                f"FROM (SELECT {row} AS row FROM {table.name}{where})"
            )
    return sa.text("\nUNION ALL ".join(parts)).bindparams(sa.bindparam("now", type_=UtcDateTime()))


# rep id, open customers and their value, received in 24 h / 7 days / 30 days, latest
LoadRow = tuple[
    int, int | None, Decimal | None, int | None, int | None, int | None, datetime | None
]


@cache
def _loads_statement(*, everyone: bool, dialect: str) -> sa.Select[*LoadRow]:
    """Built once: building this select costs more than PostgreSQL takes to run it."""
    c, a, r = t.customers.c, t.assignments.c, t.reps.c
    # PostgreSQL: ``= ANY(:rep_ids)``, one array parameter, so the text is the same whatever
    # the number of reps (psycopg prepares it once; no IN list expanded per execution).
    rep_ids_array: ARRAY[int] = ARRAY(sa.Integer())
    ids: sa.BindParameter[Any] = (
        sa.bindparam("rep_ids", type_=rep_ids_array)
        if dialect == "postgresql"
        else sa.bindparam("rep_ids", expanding=True)
    )

    def among(column: sa.ColumnElement[int]) -> sa.ColumnElement[bool]:
        return column == sa.any_(ids) if dialect == "postgresql" else column.in_(ids)

    day, week, month = (
        sa.bindparam(name, type_=UtcDateTime()) for name in ("day", "week", "month")
    )
    held = (
        sa.select(
            c.owner_id.label("rep_id"),
            sa.func.count().label("open_count"),
            sa.func.coalesce(sa.func.sum(c.expected_value), 0).label("open_value"),
        )
        .where(
            c.owner_id.is_not(None) if everyone else among(c.owner_id),
            c.stage.in_(OPEN_STAGES),
            c.deleted_at.is_(None),
        )
        .group_by(c.owner_id)
        .subquery("held")
    )
    received = (
        sa.select(
            a.to_rep_id.label("rep_id"),
            sa.func.count().filter(a.at >= day).label("day"),
            sa.func.count().filter(a.at >= week).label("week"),
            sa.func.count().label("month"),
            sa.func.max(a.at, type_=UtcDateTime()).label("last_at"),
        )
        .where(
            a.to_rep_id.is_not(None) if everyone else among(a.to_rep_id),
            a.at >= month,
            sa.or_(a.from_rep_id.is_(None), a.from_rep_id != a.to_rep_id),
        )
        .group_by(a.to_rep_id)
        .subquery("received")
    )
    return (
        sa.select(
            r.id,
            held.c.open_count,
            held.c.open_value,
            received.c.day,
            received.c.week,
            received.c.month,
            received.c.last_at,
        )
        .outerjoin(held, held.c.rep_id == r.id)
        .outerjoin(received, received.c.rep_id == r.id)
        .where(sa.true() if everyone else among(r.id))
    )
