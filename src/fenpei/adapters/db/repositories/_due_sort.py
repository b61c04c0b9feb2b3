"""The "due" sort of customers in SQL: the earliest of the next follow-up, the running SLA
clock and the reclaim (回收), as ``domain.due.due_items`` finds them — in one expression,
so a page is still one query whatever its size.

Instants are compared as day numbers (SQLite ``julianday``, PostgreSQL the epoch in days),
so a reclaim's ``since + N days`` is a sum; a thing that is not due is ``_NEVER``, kept
apart from NULL because SQLite's ``min(a, b)`` is NULL when either is (PostgreSQL's
``LEAST`` skips NULLs). A pool's per-level days are a CASE over the level.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.domain.customers import Stage
from fenpei.domain.pools import Pool, ReclaimRule
from fenpei.domain.reclaim import GoverningTerms, base_days
from fenpei.domain.sla import ClockState

_NEVER = 1e9  # a day number no instant reaches
_c = t.customers.c


def due_order(
    dialect: str, terms: Collection[GoverningTerms], *, descending: bool = False
) -> sa.UnaryExpression[Any]:
    """ORDER BY the earliest thing due (overdue ones are simply earliest); customers with
    nothing due, and unowned ones, last either way."""
    earliest = _least(dialect, _follow_up(dialect), _sla(dialect), _reclaim(dialect, terms))
    key = sa.case((_c.owner_id.is_(None), None), else_=sa.func.nullif(earliest, _NEVER))
    return (key.desc() if descending else key.asc()).nulls_last()


def day_number(dialect: str, instant: Any) -> Any:
    if dialect == "sqlite":
        return sa.func.julianday(instant, type_=sa.Float)
    return sa.func.extract("epoch", instant) / 86400.0


def _least(dialect: str, *values: Any) -> Any:
    if len(values) == 1:  # SQLite's one-argument min() is the aggregate
        return values[0]
    return sa.func.min(*values) if dialect == "sqlite" else sa.func.least(*values)


def greatest(dialect: str, *values: Any) -> Any:
    if len(values) == 1:
        return values[0]
    return sa.func.max(*values) if dialect == "sqlite" else sa.func.greatest(*values)


def _or_never(value: Any) -> Any:
    return sa.func.coalesce(value, _NEVER)


def _follow_up(dialect: str) -> Any:
    return _or_never(day_number(dialect, _c.next_follow_up_at))


def _sla(dialect: str) -> Any:
    """The due time of the customer's newest clock if it runs against its owner."""
    clocks = t.sla_clocks.c
    newer = t.sla_clocks.alias("newer_clock")
    newest = (
        sa.select(sa.func.max(newer.c.id))
        .where(newer.c.customer_id == _c.id)
        .correlate(t.customers)
        .scalar_subquery()
    )
    due_at = (
        sa.select(clocks.due_at)
        .where(
            clocks.id == newest,
            clocks.rep_id == _c.owner_id,
            clocks.state.in_([ClockState.open, ClockState.breached]),
            clocks.met_at.is_(None),
            clocks.paused_at.is_(None),
        )
        .correlate(t.customers)
        .scalar_subquery()
    )
    return _or_never(day_number(dialect, due_at))


def _reclaim(dialect: str, terms: Collection[GoverningTerms]) -> Any:
    """The reclaim due under the pool governing the owner (``_NEVER`` if none governs)."""
    if not terms:
        return sa.literal(_NEVER)
    whens = [
        (_c.owner_id.in_(sorted(group.owner_ids)), _pool_due(dialect, group.pool))
        for group in terms
        if group.owner_ids
    ]
    return sa.case(*whens, else_=_NEVER) if whens else sa.literal(_NEVER)


def _since(later: Any) -> Any:
    """max(assigned_at, later), ``later`` NULL counting as never."""
    return sa.case((later > _c.assigned_at, later), else_=_c.assigned_at)


def _days(pool: Pool, rule: ReclaimRule) -> Any:
    """The rule's days for the row's level (a CASE when levels have their own), or None."""
    base = base_days(pool)[rule]
    own = [(level, days[rule.value]) for level, days in sorted(pool.level_days.items())
           if rule.value in days]  # fmt: skip
    if not own:
        return None if base is None else sa.literal(base)
    return sa.case(*((_c.level == level, n) for level, n in own), else_=base)


def _pool_due(dialect: str, pool: Pool) -> Any:
    """``domain.reclaim.due_of`` in SQL: the earliest rule's due, not before protection."""
    starts = {
        ReclaimRule.no_follow_up: _since(_c.last_follow_up_at),
        ReclaimRule.not_won: sa.case((_c.stage != Stage.won, _c.assigned_at), else_=None),
        ReclaimRule.stuck: _since(_c.stage_changed_at),
    }
    dues = []
    for rule, start in starts.items():
        days = _days(pool, rule)
        if days is not None:
            dues.append(_or_never(day_number(dialect, start) + days))
    if not dues:
        return sa.literal(_NEVER)
    due = _least(dialect, *dues)
    if pool.protection_days > 0:
        protected = _or_never(day_number(dialect, _c.assigned_at) + pool.protection_days)
        due = greatest(dialect, due, protected)
    exempt: list[sa.ColumnElement[bool]] = []
    if pool.exempt_key_accounts:
        exempt.append(_c.key_account.is_(sa.true()))
    if pool.exempt_won:
        exempt.append(_c.stage == Stage.won)
    return sa.case((sa.or_(*exempt), _NEVER), else_=due) if exempt else due
