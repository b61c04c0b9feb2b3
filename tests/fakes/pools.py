"""Pools' terms and reclaim's set-based reads and writes, in memory."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta

from fenpei.domain.customers import Customer, Stage
from fenpei.domain.pools import Pool, ReclaimRule
from fenpei.domain.reclaim import Cutoff
from fenpei.services.ports import ReclaimRow
from tests.fakes.store import Store


class FakePools:
    def __init__(self, store: Store) -> None:
        self._store = store

    def add(self, pool: Pool) -> None:
        self._store.add(self._store.pools, pool)

    def get(self, key: str, *, lock: bool = False) -> Pool | None:
        found = next((p for p in self._store.pools if p.key == key), None)
        if lock and found is not None:
            self._store.lock("pool", [found.id or 0])
        return found

    def all(self) -> list[Pool]:
        return sorted(self._store.pools, key=lambda p: p.key)


class FakeReclaim:
    """``ports.ReclaimRepository`` over the stored customers, by the same conditions."""

    def __init__(self, store: Store) -> None:
        self._store = store

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
        found = []

        def order(c: Customer) -> tuple[datetime | int, int]:
            if not earliest or c.assigned_at is None:  # never due: last
                return (0 if not earliest else datetime.max.replace(tzinfo=UTC), c.id or 0)
            due = _clock(c, cutoff.rule) + timedelta(days=cutoff.days)
            protected = c.assigned_at + timedelta(days=terms.protection_days)
            return (max(due, protected), c.id or 0)

        for c in sorted(self._store.customers, key=order):
            assert c.id is not None
            if not self._matches(c, cutoff, terms, owner_ids, protected_before):
                continue
            if c.id <= after_id or (unwarned and not _unwarned(c)):
                continue
            assert c.owner_id is not None
            found.append(
                ReclaimRow(c.id, c.name, c.owner_id, c.level, c.stage, c.key_account,
                           c.assigned_at, c.last_follow_up_at, c.stage_changed_at)
            )  # fmt: skip
            if len(found) == limit:
                break
        if lock:
            self._store.lock("customer", [row.id for row in found])
        return found

    def count_due(
        self,
        cutoffs: Sequence[Cutoff],
        *,
        terms: Pool,
        owner_ids: Collection[int],
        protected_before: datetime,
    ) -> int:
        return sum(
            1
            for c in self._store.customers
            if any(self._matches(c, cut, terms, owner_ids, protected_before) for cut in cutoffs)
        )

    @staticmethod
    def _matches(
        c: Customer,
        cutoff: Cutoff,
        terms: Pool,
        owner_ids: Collection[int],
        protected_before: datetime,
    ) -> bool:
        before, rule = cutoff.before, cutoff.rule
        later = {
            ReclaimRule.no_follow_up: c.last_follow_up_at,
            ReclaimRule.stuck: c.stage_changed_at,
            ReclaimRule.not_won: None,
        }[rule]
        if c.deleted_at is not None or c.owner_id not in owner_ids or c.assigned_at is None:
            return False
        if c.assigned_at > min(before, protected_before) or (later and later > before):
            return False
        if (terms.exempt_won or rule is ReclaimRule.not_won) and c.stage is Stage.won:
            return False
        if terms.exempt_key_accounts and c.key_account:
            return False
        if cutoff.level is not None:
            return c.level == cutoff.level
        return c.level is None or c.level not in cutoff.other_levels

    def release_many(self, customer_ids: Collection[int], *, pool: str, now: datetime) -> int:
        released = 0
        for customer_id in customer_ids:
            c = self._store.customers.rows.get(customer_id)
            if c is not None and c.owner_id is not None:
                c.owner_id, c.pool, c.queue_reason, c.queued_at = None, pool, None, None
                c.reclaim_warned_at, c.updated_at, c.key_account = None, now, False
                released += 1
        return released

    def mark_warned(self, customer_ids: Collection[int], *, now: datetime) -> None:
        for customer_id in customer_ids:
            self._store.customers.rows[customer_id].reclaim_warned_at = now

    def key_accounts_held(self, rep_id: int) -> int:
        return sum(
            1
            for c in self._store.customers
            if c.owner_id == rep_id and c.key_account and c.deleted_at is None
        )


def _unwarned(c: Customer) -> bool:
    warned = c.reclaim_warned_at
    return warned is None or any(
        later is not None and warned < later for later in (c.last_follow_up_at, c.stage_changed_at)
    )


def _clock(c: Customer, rule: ReclaimRule) -> datetime:
    if c.assigned_at is None:  # never due: last
        return datetime.max.replace(tzinfo=UTC)
    later = {ReclaimRule.no_follow_up: c.last_follow_up_at, ReclaimRule.stuck: c.stage_changed_at}
    found = later.get(rule)
    return max(c.assigned_at, found) if found is not None else c.assigned_at
