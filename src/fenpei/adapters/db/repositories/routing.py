"""Set-based reads for routing: reps' loads (kept counters), the configuration's stamp,
leaves, account owners."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from datetime import datetime
from functools import cache

import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.adapters.db.repositories._base import Repository
from fenpei.adapters.db.repositories.loads import lock_all, read_loads, recount, store
from fenpei.adapters.db.types import UtcDateTime
from fenpei.domain.org import Leave
from fenpei.services.ports import RepLoad

# What routing keeps between decisions (see ``services.rulebook.RuleBook``): a change to
# any row of these tables must change the stamp. Routing state (strategy cursors) and
# loads are per-decision data and deliberately not here.
CONFIG_TABLES = (
    t.rules, t.reps, t.teams, t.leaves, t.categories, t.category_values, t.custom_fields,
    t.score_models, t.scoring_settings,
)  # fmt: skip
# Where a table's whole rows would be too much to hash on SQLite, the columns that tell a
# change: a model's params never change once kept; which one is active does.
_STAMP_COLUMNS = {t.score_models.name: ("id", "kind", "active", "activated_at")}


class SqlRoutingReads(Repository):
    def loads(self, *, now: datetime, rep_ids: Collection[int] | None = None) -> dict[int, RepLoad]:
        """Open customers held (count, expected value) and customers received in the rep's
        current local day, week and month (transfers to oneself not counted), for
        ``rep_ids`` or every rep: their kept counters, one row each."""
        return read_loads(self.session, now=now, rep_ids=rep_ids)

    def recount_loads(
        self, *, now: datetime, rep_ids: Collection[int] | None = None, lock: bool = False
    ) -> dict[int, RepLoad]:
        """Each rep's load counted from the records, what the counters must say; with
        ``lock``, no ownership change commits until this transaction ends."""
        if lock:
            lock_all(self.session)
        return recount(self.session, now=now, rep_ids=rep_ids)

    def store_loads(self, *, now: datetime, loads: Mapping[int, RepLoad]) -> None:
        store(self.session, now=now, loads=loads)

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
            names = _STAMP_COLUMNS.get(table.name) or [column.name for column in table.columns]
            row = " || char(31) || ".join(f'quote("{name}")' for name in names)
            parts.append(
                f"SELECT '{table.name}', count(*), group_concat(row, char(30)) "
                f"FROM (SELECT {row} AS row FROM {table.name}{where})"
            )
    return sa.text("\nUNION ALL ".join(parts)).bindparams(sa.bindparam("now", type_=UtcDateTime()))
