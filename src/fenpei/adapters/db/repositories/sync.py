"""CRM sync's rows (Core, no mapped classes): connection state, record links, pushes."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.adapters.db.repositories._base import Repository
from fenpei.domain.sync import AssignmentRow, PushRow, PushStatus, SyncState


class SqlSync(Repository):
    def state(self, connection: str, *, lock: bool = False) -> SyncState:
        query = sa.select(t.sync_state).where(t.sync_state.c.connection == connection)
        if lock:
            query = query.with_for_update()
        row = self.session.execute(query).mappings().first()
        if row is None:
            return SyncState(connection=connection)
        return SyncState(
            connection=connection,
            pull_cursor=row["pull_cursor"],
            push_cursor=row["push_cursor"],
            last_run_at=row["last_run_at"],
            last_counts=dict(row["last_counts"] or {}),
            last_error=row["last_error"],
        )

    def save_state(self, state: SyncState) -> None:
        values = {
            "pull_cursor": state.pull_cursor,
            "push_cursor": state.push_cursor,
            "last_run_at": state.last_run_at,
            "last_counts": state.last_counts,
            "last_error": state.last_error,
        }
        c = t.sync_state.c
        done = self.session.execute(
            sa.update(t.sync_state).where(c.connection == state.connection).values(**values)
        )
        if done.rowcount == 0:  # type: ignore[attr-defined]
            self.session.execute(
                sa.insert(t.sync_state).values(connection=state.connection, **values)
            )

    def all_states(self) -> list[SyncState]:
        names = self.session.scalars(sa.select(t.sync_state.c.connection)).all()
        return [self.state(name) for name in names]

    def customer_of(self, connection: str, module: str, external_id: str) -> int | None:
        c = t.sync_links.c
        return self.session.scalar(
            sa.select(c.customer_id).where(
                c.connection == connection, c.module == module, c.external_id == external_id
            )
        )

    def externals_of(
        self, connection: str, module: str, customer_ids: Collection[int]
    ) -> dict[int, str]:
        c = t.sync_links.c
        found: dict[int, str] = {}
        ids = sorted(set(customer_ids))
        for start in range(0, len(ids), 500):
            rows = self.session.execute(
                sa.select(c.customer_id, c.external_id).where(
                    c.connection == connection,
                    c.module == module,
                    c.customer_id.in_(ids[start : start + 500]),
                )
            )
            found.update({row.customer_id: row.external_id for row in rows})
        return found

    def link(
        self, connection: str, module: str, external_id: str, customer_id: int, now: datetime
    ) -> None:
        self.session.execute(
            sa.insert(t.sync_links).values(
                connection=connection,
                module=module,
                external_id=external_id,
                customer_id=customer_id,
                linked_at=now,
            )
        )

    def link_count(self, connection: str) -> int:
        c = t.sync_links.c
        return int(
            self.session.scalar(
                sa.select(sa.func.count())
                .select_from(t.sync_links)
                .where(c.connection == connection)
            )
            or 0
        )

    def assignments_after(self, after_id: int, *, limit: int) -> list[AssignmentRow]:
        c = t.assignments.c
        rows = self.session.execute(
            sa.select(c.id, c.customer_id, c.from_rep_id, c.to_rep_id, c.method, c.at)
            .where(c.id > after_id)
            .order_by(c.id)
            .limit(limit)
        )
        return [
            AssignmentRow(r.id, r.customer_id, r.from_rep_id, r.to_rep_id, str(r.method), r.at)
            for r in rows
        ]

    def add_push(
        self,
        *,
        connection: str,
        assignment_id: int,
        customer_id: int,
        external_id: str | None,
        owner_external_id: str | None,
        status: PushStatus,
        note: str | None,
        now: datetime,
    ) -> None:
        self.session.execute(
            sa.insert(t.sync_pushes).values(
                connection=connection,
                assignment_id=assignment_id,
                customer_id=customer_id,
                external_id=external_id,
                owner_external_id=owner_external_id,
                status=status.value,
                note=note,
                updated_at=now,
            )
        )

    def pushes(
        self, connection: str, statuses: Collection[PushStatus], *, limit: int
    ) -> list[PushRow]:
        c = t.sync_pushes.c
        rows = self.session.execute(
            sa.select(c.id, c.external_id, c.owner_external_id, c.assignment_id, c.status)
            .where(c.connection == connection, c.status.in_([s.value for s in statuses]))
            .order_by(c.id)
            .limit(limit)
        )
        return [
            PushRow(r.id, r.external_id, r.owner_external_id, r.assignment_id, PushStatus(r.status))
            for r in rows
        ]

    def set_push_status(
        self, push_ids: Collection[int], status: PushStatus, *, now: datetime, note: str | None
    ) -> None:
        ids = sorted(set(push_ids))
        for start in range(0, len(ids), 500):
            self.session.execute(
                sa.update(t.sync_pushes)
                .where(t.sync_pushes.c.id.in_(ids[start : start + 500]))
                .values(status=status.value, note=note, updated_at=now)
            )

    def push_counts(self, connection: str) -> dict[str, int]:
        c = t.sync_pushes.c
        rows = self.session.execute(
            sa.select(c.status, sa.func.count())
            .where(c.connection == connection)
            .group_by(c.status)
        )
        return {str(status): int(n) for status, n in rows}
