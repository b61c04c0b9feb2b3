"""Follow-ups (跟进记录) and stage changes."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.adapters.db.repositories._base import Repository
from fenpei.domain.follow_ups import FollowUp, StageChange


class SqlFollowUps(Repository):
    def add(self, follow_up: FollowUp) -> None:
        self._add(follow_up)

    def get(self, follow_up_id: int, *, lock: bool = False) -> FollowUp | None:
        query = sa.select(FollowUp).where(t.follow_ups.c.id == follow_up_id)
        return self.session.scalar(query.with_for_update() if lock else query)

    def for_customer(self, customer_id: int, *, limit: int) -> list[FollowUp]:
        c = t.follow_ups.c
        query = (
            sa.select(FollowUp)
            .where(c.customer_id == customer_id)
            .order_by(c.at.desc(), c.id.desc())
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def count_for(self, customer_id: int) -> int:
        c = t.follow_ups.c
        query = sa.select(sa.func.count()).where(c.customer_id == customer_id)
        return self.session.scalar(query) or 0

    def due_for_reminder(self, *, now: datetime, limit: int) -> list[FollowUp]:
        c = t.follow_ups.c
        query = (
            sa.select(FollowUp)
            .where(c.reminded_at.is_(None), c.next_at.is_not(None), c.next_at <= now)
            .order_by(c.next_at, c.id)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def mark_reminded(self, follow_up_ids: Collection[int], *, at: datetime) -> list[int]:
        if not follow_up_ids:
            return []
        c = t.follow_ups.c
        # Conditional: a row another transaction marked first is not marked (nor returned)
        # again, so its reminder is written once.
        statement = (
            sa.update(t.follow_ups)
            .where(c.id.in_(sorted(set(follow_up_ids))), c.reminded_at.is_(None))
            .values(reminded_at=at)
            .returning(c.id)
        )
        marked = sorted(self.session.scalars(statement))
        # The ORM may hold some of these rows: let them show the new value.
        for follow_up in self.session.identity_map.values():
            if isinstance(follow_up, FollowUp) and follow_up.id in marked:
                self.session.expire(follow_up, ["reminded_at"])
        return marked


class SqlStageChanges(Repository):
    def add(self, change: StageChange) -> None:
        self._add(change)

    def for_customer(self, customer_id: int, *, limit: int) -> list[StageChange]:
        c = t.stage_changes.c
        query = (
            sa.select(StageChange)
            .where(c.customer_id == customer_id)
            .order_by(c.at.desc(), c.id.desc())
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def count_for(self, customer_id: int) -> int:
        c = t.stage_changes.c
        query = sa.select(sa.func.count()).where(c.customer_id == customer_id)
        return self.session.scalar(query) or 0
