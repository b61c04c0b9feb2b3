"""Read-only figures for the dashboard, each in one statement (``ports.AnalyticsReads``)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.adapters.db.repositories._base import Repository
from fenpei.domain.customers import Stage
from fenpei.services.ports import ClosedCounts, IntakeCounts, WaitingCustomer

_c = t.customers.c


def _in_scope(
    rep_ids: Collection[int] | None, team_ids: Collection[int]
) -> list[sa.ColumnElement[bool]]:
    """Owned by one of ``rep_ids`` or held for one of ``team_ids``; no condition for None."""
    if rep_ids is None:
        return []
    return [sa.or_(_c.owner_id.in_(sorted(rep_ids)), _c.team_id.in_(sorted(team_ids)))]


class SqlAnalyticsReads(Repository):
    def intake(
        self,
        *,
        since: datetime,
        until: datetime,
        rep_ids: Collection[int] | None,
        team_ids: Collection[int],
    ) -> IntakeCounts:
        """Customers created in ``[since, until)``, owned or waiting now; assignments to a
        rep in the same window (to a rep in scope)."""
        owned = sa.func.count(_c.owner_id)
        created, owned_count = self.session.execute(
            sa.select(sa.func.count(), owned).where(
                _c.deleted_at.is_(None),
                _c.created_at >= since,
                _c.created_at < until,
                *_in_scope(rep_ids, team_ids),
            )
        ).one()
        a = t.assignments.c
        assigned: list[sa.ColumnElement[bool]] = [
            a.to_rep_id.is_not(None),
            a.at >= since,
            a.at < until,
        ]
        if rep_ids is not None:
            assigned.append(a.to_rep_id.in_(sorted(rep_ids)))
        assignments = self.session.scalar(
            sa.select(sa.func.count()).select_from(t.assignments).where(*assigned)
        )
        return IntakeCounts(
            created=created or 0,
            owned=owned_count or 0,
            waiting=(created or 0) - (owned_count or 0),
            assignments=assignments or 0,
        )

    def closed_by_rep(
        self, *, rep_ids: Collection[int] | None, closed_since: datetime | None
    ) -> list[ClosedCounts]:
        """Won and lost customers per owner (closed since ``closed_since`` if given)."""
        conditions: list[sa.ColumnElement[bool]] = [
            _c.deleted_at.is_(None),
            _c.owner_id.is_not(None),
            _c.stage.in_([Stage.won, Stage.lost]),
        ]
        if rep_ids is not None:
            conditions.append(_c.owner_id.in_(sorted(rep_ids)))
        if closed_since is not None:
            conditions.append(_c.closed_at >= closed_since)
        won = sa.func.sum(sa.case((_c.stage == Stage.won, 1), else_=0))
        lost = sa.func.sum(sa.case((_c.stage == Stage.lost, 1), else_=0))
        rows = self.session.execute(
            sa.select(_c.owner_id, won, lost)
            .where(*conditions)
            .group_by(_c.owner_id)
            .order_by(_c.owner_id)
        )
        return [ClosedCounts(rep_id, int(w or 0), int(lo or 0)) for rep_id, w, lo in rows]

    def closed_span(self, *, rep_ids: Collection[int] | None) -> tuple[datetime, datetime] | None:
        """The first and the last close time of the won and lost customers owned by
        ``rep_ids`` (None: anyone's), or None when none has one."""
        conditions: list[sa.ColumnElement[bool]] = [
            _c.deleted_at.is_(None),
            _c.owner_id.is_not(None),
            _c.stage.in_([Stage.won, Stage.lost]),
            _c.closed_at.is_not(None),
        ]
        if rep_ids is not None:
            conditions.append(_c.owner_id.in_(sorted(rep_ids)))
        first, last = self.session.execute(
            sa.select(sa.func.min(_c.closed_at), sa.func.max(_c.closed_at)).where(*conditions)
        ).one()
        return None if first is None or last is None else (first, last)

    def waiting(
        self, *, team_ids: Collection[int] | None, limit: int
    ) -> tuple[list[WaitingCustomer], int]:
        """Unowned customers with a queue reason or a pool, the longest waiting first."""
        conditions: list[sa.ColumnElement[bool]] = [
            _c.deleted_at.is_(None),
            _c.owner_id.is_(None),
            sa.or_(_c.queue_reason.is_not(None), _c.pool.is_not(None)),
        ]
        if team_ids is not None:
            conditions.append(_c.team_id.in_(sorted(team_ids)))
        since = sa.func.coalesce(_c.queued_at, _c.created_at)
        total = self.session.scalar(
            sa.select(sa.func.count()).select_from(t.customers).where(*conditions)
        )
        rows = self.session.execute(
            sa.select(
                _c.id,
                _c.name,
                _c.queue_reason,
                _c.pool,
                _c.team_id,
                sa.type_coerce(since, _c.created_at.type),
            )
            .where(*conditions)
            .order_by(since, _c.id)
            .limit(limit)
        )
        found = [WaitingCustomer(*row) for row in rows]
        return found, total or 0
