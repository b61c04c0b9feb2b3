"""Reclaim (回收) set-based: select the due customers of one (pool, rule, level) group by
their cutoff in SQL, lock them, and release a whole batch in one UPDATE."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.adapters.db.repositories._base import Repository
from fenpei.adapters.db.repositories._due_sort import day_number, greatest
from fenpei.domain.customers import Stage
from fenpei.domain.pools import Pool, ReclaimRule
from fenpei.domain.reclaim import Cutoff
from fenpei.services.ports import ReclaimRow

_c = t.customers.c
_ROW = (
    _c.id, _c.name, _c.owner_id, _c.level, _c.stage, _c.key_account, _c.assigned_at,
    _c.last_follow_up_at, _c.stage_changed_at,
)  # fmt: skip


def due_conditions(
    cutoff: Cutoff, *, terms: Pool, protected_before: datetime
) -> list[sa.ColumnElement[bool]]:
    """The WHERE clauses of one group: owned, past protection, clock at or before the
    cutoff, not exempt, of the group's level (the owners are added by the caller)."""
    before = cutoff.before
    conditions: list[sa.ColumnElement[bool]] = [
        _c.deleted_at.is_(None),
        _c.owner_id.is_not(None),
        _c.assigned_at <= min(before, protected_before),
    ]
    if cutoff.rule is ReclaimRule.no_follow_up:
        conditions.append(sa.or_(_c.last_follow_up_at.is_(None), _c.last_follow_up_at <= before))
    elif cutoff.rule is ReclaimRule.stuck:
        conditions.append(sa.or_(_c.stage_changed_at.is_(None), _c.stage_changed_at <= before))
    if terms.exempt_won or cutoff.rule is ReclaimRule.not_won:
        conditions.append(_c.stage != Stage.won)
    if terms.exempt_key_accounts:
        conditions.append(_c.key_account.is_(sa.false()))
    if cutoff.level is not None:
        conditions.append(_c.level == cutoff.level)
    elif cutoff.other_levels:
        conditions.append(sa.or_(_c.level.is_(None), _c.level.not_in(sorted(cutoff.other_levels))))
    return conditions


def _clock(rule: ReclaimRule) -> sa.ColumnElement[Any]:
    """When the rule's clock started (``domain.reclaim``): the later of the assignment and
    the last follow-up (no_follow_up) or stage change (stuck); the assignment (not_won)."""
    later = {
        ReclaimRule.no_follow_up: _c.last_follow_up_at,
        ReclaimRule.stuck: _c.stage_changed_at,
    }.get(rule)
    if later is None:
        return _c.assigned_at
    return sa.case((later > _c.assigned_at, later), else_=_c.assigned_at)


class SqlReclaim(Repository):
    def due(
        self,
        cutoff: Cutoff,
        *,
        terms: Pool,
        owner_ids: Collection[int],
        protected_before: datetime,
        limit: int,
        after_id: int = 0,
        lock: bool = False,
        unwarned: bool = False,
        earliest: bool = False,
    ) -> list[ReclaimRow]:
        if not owner_ids:
            return []
        conditions = due_conditions(cutoff, terms=terms, protected_before=protected_before)
        conditions += [_c.owner_id.in_(sorted(owner_ids)), _c.id > after_id]
        if unwarned:  # a warning before the latest follow-up or stage change is spent
            warned = _c.reclaim_warned_at
            conditions.append(
                sa.or_(
                    warned.is_(None),
                    warned < _c.last_follow_up_at,
                    warned < _c.stage_changed_at,
                )
            )
        order = (self._due(cutoff, terms), _c.id) if earliest else (_c.id,)
        query = sa.select(*_ROW).where(*conditions).order_by(*order).limit(limit)
        if lock:
            # A row another transaction holds (a claim, a transfer, a second reclaim) is
            # skipped, not waited for: it is re-checked on the next run.
            query = query.with_for_update(skip_locked=True, key_share=True)
        return [ReclaimRow(*row) for row in self.session.execute(query)]

    def _due(self, cutoff: Cutoff, terms: Pool) -> sa.ColumnElement[Any]:
        """The group's due date (``domain.reclaim.due_of`` for this rule and level), as a
        day number: the clock plus the days, not before the protection ends."""
        dialect = self.session.get_bind().dialect.name
        due = day_number(dialect, _clock(cutoff.rule)) + cutoff.days
        if terms.protection_days > 0:
            protected = day_number(dialect, _c.assigned_at) + terms.protection_days
            due = greatest(dialect, due, protected)
        return due  # type: ignore[no-any-return]

    def count_due(
        self,
        cutoffs: Sequence[Cutoff],
        *,
        terms: Pool,
        owner_ids: Collection[int],
        protected_before: datetime,
    ) -> int:
        if not owner_ids or not cutoffs:
            return 0
        due = [
            sa.and_(*due_conditions(c, terms=terms, protected_before=protected_before))
            for c in cutoffs
        ]
        query = sa.select(sa.func.count()).where(_c.owner_id.in_(sorted(owner_ids)), sa.or_(*due))
        return int(self.session.scalar(query) or 0)

    def release_many(self, customer_ids: Collection[int], *, pool: str, now: datetime) -> int:
        # The owners' load counters first, in rep id order: the UPDATE's triggers move
        # them row by row, and two runs releasing customers of the same reps in another
        # order would deadlock on them (customers are already locked, by id).
        owners = sa.select(_c.owner_id).where(_c.id.in_(sorted(customer_ids)))
        self.session.execute(
            sa.select(t.rep_loads.c.rep_id)
            .where(t.rep_loads.c.rep_id.in_(owners.scalar_subquery()))
            .order_by(t.rep_loads.c.rep_id)
            .with_for_update()
        )
        result = self.session.execute(
            sa.update(t.customers)
            .where(_c.id.in_(sorted(customer_ids)), _c.owner_id.is_not(None))
            .values(
                owner_id=None,
                pool=pool,
                queue_reason=None,
                queued_at=None,
                reclaim_warned_at=None,
                key_account=False,  # the owner's lock (重点客户) ends with the ownership
                updated_at=now,
            ),
            execution_options={"synchronize_session": False},
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def mark_warned(self, customer_ids: Collection[int], *, now: datetime) -> None:
        self.session.execute(
            sa.update(t.customers)
            .where(_c.id.in_(sorted(customer_ids)))
            .values(reclaim_warned_at=now),
            execution_options={"synchronize_session": False},
        )

    def key_accounts_held(self, rep_id: int) -> int:
        query = sa.select(sa.func.count()).where(
            _c.owner_id == rep_id, _c.key_account.is_(sa.true()), _c.deleted_at.is_(None)
        )
        return int(self.session.scalar(query) or 0)
