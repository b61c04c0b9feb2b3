"""Duplicate pairs, merges, and the rows a merge moves from one customer to another."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.adapters.db.repositories._base import Repository
from fenpei.domain.dedupe import CustomerMerge, DuplicatePair, PairStatus
from fenpei.engine.dedupe import KeyedCustomer

# What a merge carries from the merged-away customer to the survivor: (table, column).
# A table with an ``id`` moves by id; one whose key includes the column (a link table)
# moves by the rest of its key, and a link the survivor already has is dropped (and put
# back by an undo). Add a line here for each new table that belongs to a customer.
MOVES: tuple[tuple[str, str], ...] = (
    ("assignments", "customer_id"),
    ("follow_ups", "customer_id"),
    ("stage_changes", "customer_id"),
    ("sla_clocks", "customer_id"),
    ("tasks", "customer_id"),
    ("task_customers", "customer_id"),
    ("attachments", "customer_id"),
)
_CHUNK = 500


def _table(name: str) -> sa.Table:
    return t.metadata.tables[name]


def _key_columns(table: sa.Table, column: str) -> list[str]:
    if "id" in table.c:
        return ["id"]
    return [c.name for c in table.primary_key.columns if c.name != column]


def _pair(row: sa.Row[Any]) -> DuplicatePair:
    m = row._mapping
    return DuplicatePair(
        id=m["id"], low_id=m["low_id"], high_id=m["high_id"], score=m["score"],
        similarity=m["similarity"], reasons=list(m["reasons"] or []),
        status=PairStatus(m["status"]), found_at=m["found_at"], decided_at=m["decided_at"],
        decided_by=m["decided_by"],
    )  # fmt: skip


def _merge(row: sa.Row[Any]) -> CustomerMerge:
    m = row._mapping
    return CustomerMerge(**{c.name: m[c.name] for c in t.customer_merges.columns})


class SqlDedupe(Repository):
    def keyed_customers(self, *, ids: Sequence[int] | None = None) -> list[KeyedCustomer]:
        c = t.customers.c
        query = sa.select(c.id, c.phone_key, c.email_key, c.company_key, c.company_name).where(
            c.deleted_at.is_(None)
        )
        if ids is not None:
            query = query.where(c.id.in_(list(ids)))
        rows = self.session.execute(query.order_by(c.id))
        return [KeyedCustomer(*row) for row in rows]

    def _live(self, query: sa.Select[Any]) -> sa.Select[Any]:
        p, low, high = t.duplicate_pairs.c, t.customers.alias("low"), t.customers.alias("high")
        return (
            query.join(low, low.c.id == p.low_id)
            .join(high, high.c.id == p.high_id)
            .where(low.c.deleted_at.is_(None), high.c.deleted_at.is_(None))
        )

    def pairs(self, *, status: PairStatus | None, limit: int, offset: int) -> list[DuplicatePair]:
        p = t.duplicate_pairs.c
        query = self._live(sa.select(t.duplicate_pairs))
        if status is not None:
            query = query.where(p.status == status.value)
        query = query.order_by(p.score.desc(), p.id).limit(limit).offset(offset)
        return [_pair(row) for row in self.session.execute(query)]

    def count_pairs(self, *, status: PairStatus | None) -> int:
        p = t.duplicate_pairs.c
        query = self._live(sa.select(sa.func.count()).select_from(t.duplicate_pairs))
        if status is not None:
            query = query.where(p.status == status.value)
        return int(self.session.execute(query).scalar_one())

    def all_pairs(self) -> list[DuplicatePair]:
        return [_pair(row) for row in self.session.execute(sa.select(t.duplicate_pairs))]

    def get_pair(self, pair_id: int, *, lock: bool = False) -> DuplicatePair | None:
        query = sa.select(t.duplicate_pairs).where(t.duplicate_pairs.c.id == pair_id)
        if lock:
            query = query.with_for_update()
        row = self.session.execute(query).first()
        return _pair(row) if row is not None else None

    def find_pair(self, low_id: int, high_id: int) -> DuplicatePair | None:
        p = t.duplicate_pairs.c
        query = sa.select(t.duplicate_pairs).where(p.low_id == low_id, p.high_id == high_id)
        row = self.session.execute(query).first()
        return _pair(row) if row is not None else None

    def add_pairs(self, pairs: Sequence[DuplicatePair]) -> None:
        rows = [
            {
                "low_id": p.low_id, "high_id": p.high_id, "score": p.score,
                "similarity": p.similarity, "reasons": p.reasons, "status": p.status.value,
                "found_at": p.found_at, "decided_at": p.decided_at, "decided_by": p.decided_by,
            }
            for p in pairs
        ]  # fmt: skip
        for start in range(0, len(rows), _CHUNK):
            self.session.execute(sa.insert(t.duplicate_pairs), rows[start : start + _CHUNK])

    def update_pair(self, pair: DuplicatePair) -> None:
        self.session.execute(
            sa.update(t.duplicate_pairs)
            .where(t.duplicate_pairs.c.id == pair.id)
            .values(
                score=pair.score, similarity=pair.similarity, reasons=pair.reasons,
                status=pair.status.value, decided_at=pair.decided_at, decided_by=pair.decided_by,
            )
        )  # fmt: skip

    def delete_pairs(self, ids: Sequence[int]) -> None:
        for start in range(0, len(ids), _CHUNK):
            chunk = list(ids[start : start + _CHUNK])
            self.session.execute(
                sa.delete(t.duplicate_pairs).where(t.duplicate_pairs.c.id.in_(chunk))
            )

    def move_rows(self, *, from_id: int, to_id: int) -> dict[str, list[Any]]:
        moved: dict[str, list[Any]] = {}
        for name, column in MOVES:
            table = _table(name)
            keys = _key_columns(table, column)
            col = table.c[column]
            rows = self.session.execute(sa.select(table).where(col == from_id)).all()
            if not rows:
                continue
            done: list[Any] = []
            for row in rows:
                key = {k: row._mapping[k] for k in keys}
                where = [table.c[k] == v for k, v in key.items()]
                if keys == ["id"]:
                    self.session.execute(sa.update(table).where(*where).values({column: to_id}))
                    done.append(key["id"])
                    continue
                taken = self.session.execute(
                    sa.select(sa.func.count()).select_from(table).where(*where, col == to_id)
                ).scalar_one()
                full = {c.name: row._mapping[c.name] for c in table.c}
                if taken:  # the survivor has this link already: drop the duplicate link
                    self.session.execute(sa.delete(table).where(*where, col == from_id))
                    done.append({"key": key, "dropped": full})
                else:
                    self.session.execute(
                        sa.update(table).where(*where, col == from_id).values({column: to_id})
                    )
                    done.append({"key": key})
            moved[name] = done
        return moved

    def move_back(self, *, moved: dict[str, list[Any]], from_id: int, to_id: int) -> list[str]:
        missing: list[str] = []
        for name, entries in moved.items():
            table = _table(name)
            column = dict(MOVES).get(name, "customer_id")
            col = table.c[column]
            if "id" in table.c:
                found = self._count(table, col, to_id, [table.c.id.in_(entries)])
                if found != len(entries):
                    missing.append(name)
                continue
            for entry in entries:
                if "dropped" in entry:
                    continue
                where = [table.c[k] == v for k, v in entry["key"].items()]
                if self._count(table, col, to_id, where) != 1:
                    missing.append(name)
                    break
        if missing:
            return missing
        for name, entries in moved.items():
            table = _table(name)
            column = dict(MOVES).get(name, "customer_id")
            col = table.c[column]
            if "id" in table.c:
                for start in range(0, len(entries), _CHUNK):
                    chunk = entries[start : start + _CHUNK]
                    self.session.execute(
                        sa.update(table).where(table.c.id.in_(chunk)).values({column: from_id})
                    )
                continue
            for entry in entries:
                if "dropped" in entry:
                    self.session.execute(sa.insert(table).values(entry["dropped"]))
                    continue
                where = [table.c[k] == v for k, v in entry["key"].items()]
                self.session.execute(
                    sa.update(table).where(*where, col == to_id).values({column: from_id})
                )
        return []

    def _count(self, table: sa.Table, col: sa.Column[Any], value: int, where: list[Any]) -> int:
        query = sa.select(sa.func.count()).select_from(table).where(*where, col == value)
        return int(self.session.execute(query).scalar_one())

    def add_merge(self, merge: CustomerMerge) -> CustomerMerge:
        values = {c.name: getattr(merge, c.name) for c in t.customer_merges.columns}
        values.pop("id")
        merge.id = self.session.execute(
            sa.insert(t.customer_merges).values(values).returning(t.customer_merges.c.id)
        ).scalar_one()
        return merge

    def get_merge(self, merge_id: int, *, lock: bool = False) -> CustomerMerge | None:
        query = sa.select(t.customer_merges).where(t.customer_merges.c.id == merge_id)
        if lock:
            query = query.with_for_update()
        row = self.session.execute(query).first()
        return _merge(row) if row is not None else None

    def merges(self, *, limit: int, offset: int) -> list[CustomerMerge]:
        m = t.customer_merges.c
        query = sa.select(t.customer_merges).order_by(m.id.desc()).limit(limit).offset(offset)
        return [_merge(row) for row in self.session.execute(query)]

    def later_merges(self, merge: CustomerMerge) -> list[CustomerMerge]:
        m = t.customer_merges.c
        ids = [merge.survivor_id, merge.loser_id]
        query = sa.select(t.customer_merges).where(
            m.id > merge.id,
            m.undone_at.is_(None),
            sa.or_(m.survivor_id.in_(ids), m.loser_id.in_(ids)),
        )
        return [_merge(row) for row in self.session.execute(query)]

    def mark_undone(self, merge_id: int, *, at: datetime, by: str) -> None:
        self.session.execute(
            sa.update(t.customer_merges)
            .where(t.customer_merges.c.id == merge_id)
            .values(undone_at=at, undone_by=by)
        )
