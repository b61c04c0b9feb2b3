"""Fake dashboard reads, mirroring ``repositories/analytics.py`` over the store."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from fenpei.domain.customers import Customer, Stage
from fenpei.services.ports import ClosedCounts, IntakeCounts, WaitingCustomer
from tests.fakes.store import Store


def _in_scope(c: Customer, rep_ids: Collection[int] | None, team_ids: Collection[int]) -> bool:
    return rep_ids is None or c.owner_id in rep_ids or c.team_id in team_ids


class FakeAnalyticsReads:
    def __init__(self, store: Store) -> None:
        self._store = store

    def intake(
        self,
        *,
        since: datetime,
        until: datetime,
        rep_ids: Collection[int] | None,
        team_ids: Collection[int],
    ) -> IntakeCounts:
        created = [
            c
            for c in self._store.customers
            if c.deleted_at is None
            and c.created_at is not None
            and since <= c.created_at < until
            and _in_scope(c, rep_ids, team_ids)
        ]
        owned = sum(c.owner_id is not None for c in created)
        assignments = sum(
            a.to_rep_id is not None
            and since <= a.at < until
            and (rep_ids is None or a.to_rep_id in rep_ids)
            for a in self._store.assignments
        )
        return IntakeCounts(len(created), owned, len(created) - owned, assignments)

    def closed_by_rep(
        self, *, rep_ids: Collection[int] | None, closed_since: datetime | None
    ) -> list[ClosedCounts]:
        counts: dict[int, tuple[int, int]] = {}
        for c in self._store.customers:
            if (
                c.deleted_at is not None
                or c.owner_id is None
                or Stage(c.stage) not in (Stage.won, Stage.lost)
                or (rep_ids is not None and c.owner_id not in rep_ids)
                # NULL >= x is not true in SQL: an unknown close time is left out
                or (
                    closed_since is not None and (c.closed_at is None or c.closed_at < closed_since)
                )
            ):
                continue
            won, lost = counts.get(c.owner_id, (0, 0))
            counts[c.owner_id] = (won + (c.stage == Stage.won), lost + (c.stage == Stage.lost))
        return [ClosedCounts(rep_id, *counts[rep_id]) for rep_id in sorted(counts)]

    def closed_span(self, *, rep_ids: Collection[int] | None) -> tuple[datetime, datetime] | None:
        times = [
            c.closed_at
            for c in self._store.customers
            if c.deleted_at is None
            and c.owner_id is not None
            and Stage(c.stage) in (Stage.won, Stage.lost)
            and c.closed_at is not None
            and (rep_ids is None or c.owner_id in rep_ids)
        ]
        return (min(times), max(times)) if times else None

    def waiting(
        self, *, team_ids: Collection[int] | None, limit: int
    ) -> tuple[list[WaitingCustomer], int]:
        found = [
            c
            for c in self._store.customers
            if c.deleted_at is None
            and c.owner_id is None
            and (c.queue_reason is not None or c.pool is not None)
            and (team_ids is None or c.team_id in team_ids)
        ]
        found.sort(key=lambda c: (c.queued_at or c.created_at, c.id))
        return (
            [
                WaitingCustomer(
                    id=c.id or 0,
                    name=c.name,
                    queue_reason=c.queue_reason,
                    pool=c.pool,
                    team_id=c.team_id,
                    waiting_since=c.queued_at or c.created_at,  # type: ignore[arg-type]
                )
                for c in found[:limit]
            ],
            len(found),
        )
