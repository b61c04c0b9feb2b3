"""Reclaim (回收): owned customers whose pool's rules make them due go back to the pool.

Which pool's terms govern an owned customer: the pool it would return to (the owner's team
pool if configured, else public; ``domain.pools.return_pool``). Set-based: per (pool, rule,
level) group the due customers are selected in SQL by their cutoff and locked (skipping
rows another transaction holds), then each batch is one UPDATE of the customers, one
INSERT of the records (method ``reclaim``, the reason in words), one ``customer.pooled``
event per customer (to the previous owner) and one audit entry; the owners' loads move by
the ``rep_loads`` triggers of that UPDATE. With ``reroute`` the reclaimed customers are
then routed again through the engine's batch path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from random import Random

from fenpei.domain.assignments import Assignment, AssignMethod
from fenpei.domain.audit import AuditEntry
from fenpei.domain.events import EventType, ReminderKind, new_event
from fenpei.domain.pools import ReclaimAction, ReclaimRule
from fenpei.domain.reclaim import (
    Cutoff,
    GoverningTerms,
    cutoffs,
    due_of,
    governing_terms,
    protected_before,
    record_reason,
)
from fenpei.domain.tasks import TaskOrigin
from fenpei.domain.users import SYSTEM, Actor
from fenpei.engine.model import Outcome
from fenpei.services.notifications.events import emit_reminder
from fenpei.services.ports import ReclaimRow, UnitOfWork
from fenpei.services.routing import route_without
from fenpei.services.rulebook import RuleBook
from fenpei.services.tasks.origins import task_from_warning
from fenpei.services.tasks.owners import follow_customers

BATCH = 1_000
MAX_PLAN = 1_000


@dataclass(frozen=True)
class PlanItem:
    """A customer that would be reclaimed now, and why."""

    customer_id: int
    name: str
    owner_id: int
    pool: str
    rule: ReclaimRule
    level: str | None
    days: int
    since: datetime
    due: datetime
    action: ReclaimAction


@dataclass
class ReclaimReport:
    """What a run did: reclaimed per pool, warned, and the routing of the rerouted."""

    reclaimed: dict[str, int] = field(default_factory=dict)
    warned: int = 0
    rerouted: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        total = sum(self.reclaimed.values())
        parts = [f"{self.warned} warned", f"{total} reclaimed"]
        parts += [f"{n} from {key}" for key, n in sorted(self.reclaimed.items()) if n]
        parts += [f"rerouted: {n} {what}" for what, n in self.rerouted.items() if n]
        return ", ".join(parts)


def governed(uow: UnitOfWork, *, pool: str | None = None) -> list[GoverningTerms]:
    """The pools with reclaim on (only ``pool`` if named) and the reps each governs."""
    found = governing_terms(uow.pools.all(), uow.reps.all())
    return [group for group in found if pool in (None, group.pool.key)]


def _due(
    uow: UnitOfWork,
    group: GoverningTerms,
    cutoff: Cutoff,
    now: datetime,
    *,
    limit: int,
    lock: bool,
    after_id: int = 0,
) -> list[ReclaimRow]:
    return uow.reclaim.due(
        cutoff,
        terms=group.pool,
        owner_ids=group.owner_ids,
        protected_before=protected_before(group.pool, now),
        limit=limit,
        lock=lock,
        after_id=after_id,
    )


@dataclass(frozen=True)
class Plan:
    """A dry run: how many are due now in all (one COUNT per pool) and the earliest due
    of them (at most the limit asked for)."""

    items: list[PlanItem]
    total: int

    @property
    def partial(self) -> bool:
        """Whether more are due than listed ("showing the first N of M")."""
        return self.total > len(self.items)


def dry_run(
    *,
    uow: UnitOfWork,
    now: datetime,
    pool: str | None = None,
    limit: int = MAX_PLAN,
    owner_ids: frozenset[int] | None = None,
) -> Plan:
    """What reclaim would take now: everything due counted, the earliest due listed first
    (at most ``limit``), each with its rule, level, clock start and due; only the
    customers of ``owner_ids`` if given. Nothing changes."""
    items: dict[int, PlanItem] = {}
    total = 0
    for group in governed(uow, pool=pool):
        if owner_ids is not None:
            group = GoverningTerms(group.pool, group.owner_ids & owner_ids)
        cuts = cutoffs(group.pool, now)
        total += uow.reclaim.count_due(
            cuts, terms=group.pool, owner_ids=group.owner_ids,
            protected_before=protected_before(group.pool, now),
        )  # fmt: skip
        for cutoff in cuts:
            rows = uow.reclaim.due(
                cutoff, terms=group.pool, owner_ids=group.owner_ids,
                protected_before=protected_before(group.pool, now), limit=limit, earliest=True,
            )  # fmt: skip
            for row in rows:
                due = due_of(row, group.pool)
                if due is None or due.due > now:
                    continue
                item = PlanItem(
                    row.id, row.name, row.owner_id, group.pool.key, due.rule, due.level,
                    due.days, due.since, due.due, group.pool.reclaim_action,
                )  # fmt: skip
                if row.id not in items or item.due < items[row.id].due:
                    items[row.id] = item
    shown = sorted(items.values(), key=lambda item: (item.due, item.customer_id))[:limit]
    return Plan(shown, max(total, len(items)))


def plan(
    *, uow: UnitOfWork, now: datetime, pool: str | None = None, limit: int = MAX_PLAN
) -> list[PlanItem]:
    """A dry run's list: each customer that would be reclaimed now, with why, earliest
    due first (at most ``limit``); ``dry_run`` counts them all too."""
    return dry_run(uow=uow, now=now, pool=pool, limit=limit).items


def warn(
    *, uow: UnitOfWork, now: datetime, pool: str | None = None, batch_size: int = BATCH
) -> int:
    """Warn each owner once of the customers due within their pool's ``warn_days`` (and
    not due yet); how many were warned. One transaction: the caller commits (``reclaim``
    warns a batch per transaction instead, through ``warn_batches``)."""
    return sum(_warn_batches(lambda: uow, now, pool, batch_size, commit=False))


def warn_batches(
    *,
    uow_factory: Callable[[], UnitOfWork],
    now: datetime,
    pool: str | None = None,
    batch_size: int = BATCH,
) -> int:
    """``warn`` a batch of ``batch_size`` per transaction, like reclaim; how many warned."""
    return sum(_warn_batches(uow_factory, now, pool, batch_size, commit=True))


def _warn_batches(
    uow_factory: Callable[[], UnitOfWork],
    now: datetime,
    pool: str | None,
    batch_size: int,
    *,
    commit: bool,
) -> Iterator[int]:
    """Each batch's count of warned customers, each batch in ``uow_factory()`` (committed
    when ``commit``; else all in the caller's one unit of work)."""
    with _entered(uow_factory(), commit) as uow:
        groups = governed(uow, pool=pool)
    for group in groups:
        ahead = timedelta(days=group.pool.warn_days)
        if not ahead:
            continue
        for cutoff in cutoffs(group.pool, now, ahead=ahead):
            after = 0
            while True:
                with _entered(uow_factory(), commit) as uow:
                    rows = uow.reclaim.due(
                        cutoff, terms=group.pool, owner_ids=group.owner_ids,
                        protected_before=protected_before(group.pool, now) + ahead,
                        limit=batch_size, after_id=after, unwarned=True,
                    )  # fmt: skip
                    if not rows:
                        break
                    after = rows[-1].id
                    warned = _warn_rows(uow, group, rows, now)
                    if commit:
                        uow.commit()
                yield warned


@contextmanager
def _entered(uow: UnitOfWork, enter: bool) -> Iterator[UnitOfWork]:
    """``uow`` entered (a transaction of its own) when ``enter``; else used as it is."""
    if not enter:
        yield uow
        return
    with uow:
        yield uow


def _warn_rows(
    uow: UnitOfWork, group: GoverningTerms, rows: Sequence[ReclaimRow], now: datetime
) -> int:
    warned = 0
    soon = [(row, d) for row in rows if (d := due_of(row, group.pool)) and d.due > now]
    for customer in uow.customers.lock_many([row.id for row, _ in soon]):
        due = next(d for row, d in soon if row.id == customer.id)
        if customer.owner_id is None:
            continue
        emit_reminder(
            uow, kind=ReminderKind.reclaim_warning, customer=customer, now=now,
            rep_ids=[customer.owner_id], due=due.due, reason=record_reason(due),
        )  # fmt: skip
        ref = f"reclaim:{customer.id}"
        task_from_warning(uow, origin=TaskOrigin.reclaim, customer=customer,
                          due=due.due, now=now, ref=ref)  # fmt: skip
        customer.reclaim_warned_at = now
        warned += 1
    return warned


def _release(
    uow: UnitOfWork, group: GoverningTerms, rows: Sequence[ReclaimRow], now: datetime, actor: Actor
) -> dict[int, int]:
    """One batch: one UPDATE, one INSERT of records, an event each, one audit entry;
    returns each released customer's previous owner."""
    pool = group.pool
    dues = {row.id: due_of(row, pool) for row in rows}
    rows = [row for row in rows if (d := dues[row.id]) is not None and d.due <= now]
    if not rows:
        return {}
    released = uow.reclaim.release_many([row.id for row in rows], pool=pool.key, now=now)
    uow.sla.cancel_open_many([row.id for row in rows], now=now)  # no owner, no SLA clock
    previous = {row.id: row.owner_id for row in rows}
    follow_customers(uow, previous, None, actor=actor, now=now)  # the owners' system tasks
    records = []
    for row in rows:
        due = dues[row.id]
        assert due is not None
        records.append(
            Assignment(
                customer_id=row.id, from_rep_id=row.owner_id, to_rep_id=None,
                method=AssignMethod.reclaim, at=now, reason=record_reason(due),
                explanation={
                    "kind": "reclaim", "pool": pool.key, "rule": due.rule.value,
                    "level": due.level, "days": due.days, "since": due.since.isoformat(),
                    "action": pool.reclaim_action.value,
                    **({"key_account_cleared": True} if row.key_account else {}),
                },
                actor=actor.name,
            )
        )  # fmt: skip
    uow.assignments.add_many(records)
    for row, record in zip(rows, records, strict=True):
        payload = {
            "customer_id": row.id, "customer_name": row.name, "from_rep_id": row.owner_id,
            "to_rep_id": None, "pool": pool.key, "method": AssignMethod.reclaim.value,
            "rule_id": None, "strategy": None, "reason": record.reason, "actor": actor.name,
            "at": now.isoformat(),
        }  # fmt: skip
        uow.outbox.add(new_event(EventType.pooled, payload, now=now))
    uow.audit.add(
        AuditEntry(
            actor=actor.name, action="pool.reclaim", object_type="pool", object_id=pool.key,
            at=now,
            after={
                "customer_ids": [row.id for row in rows], "count": released,
                "key_accounts_cleared": [row.id for row in rows if row.key_account],
            },
        )
    )  # fmt: skip
    return previous


def reclaim(
    *,
    uow_factory: Callable[[], UnitOfWork],
    now: datetime,
    rulebook: RuleBook | None = None,
    rng: Random | None = None,
    pool: str | None = None,
    actor: Actor = SYSTEM,
    batch_size: int = BATCH,
) -> ReclaimReport:
    """Warn, then reclaim every due customer, a batch per transaction; then route again
    those whose pool says ``reroute`` (when a rulebook is given), never to the rep each
    was reclaimed from."""
    report = ReclaimReport()
    report.warned = warn_batches(uow_factory=uow_factory, now=now, pool=pool, batch_size=batch_size)
    with uow_factory() as uow:
        groups = governed(uow, pool=pool)
    reroute: dict[int, int] = {}  # customer → the owner it was reclaimed from
    for group in groups:
        count = 0
        for cutoff in cutoffs(group.pool, now):
            # Keyset by id: each batch starts after the last one, so none rescans the rows
            # before it (a row skipped while another transaction held it waits for the
            # next run).
            after = 0
            while True:
                with uow_factory() as uow:
                    rows = _due(
                        uow, group, cutoff, now, limit=batch_size, lock=True, after_id=after
                    )
                    if not rows:
                        break
                    released = _release(uow, group, rows, now, actor)
                    uow.commit()
                after = rows[-1].id
                count += len(released)
                if group.pool.reclaim_action is ReclaimAction.reroute:
                    reroute.update(released)
        report.reclaimed[group.pool.key] = count
    if reroute and rulebook is not None:
        report.rerouted = _reroute(uow_factory, rulebook, reroute, actor, now, rng or Random())
    return report


def _reroute(
    uow_factory: Callable[[], UnitOfWork],
    rulebook: RuleBook,
    previous: dict[int, int],
    actor: Actor,
    now: datetime,
    rng: Random,
) -> dict[str, int]:
    """Route each reclaimed customer again without the rep it was reclaimed from (one
    transaction each: a clash stops nothing else); one still in its pool and still
    unowned only — a rep may have claimed it meanwhile. Outcomes counted."""
    outcomes = {o.value: 0 for o in Outcome}
    for customer_id, rep_id in sorted(previous.items()):
        with uow_factory() as uow:
            locked = uow.customers.lock_many([customer_id])
            customer = locked[0] if locked else None
            if customer is None or customer.owner_id is not None or customer.deleted_at:
                continue
            decision = route_without(
                uow, rulebook=rulebook, customer=customer, rep_id=rep_id, actor=actor, now=now,
                rng=rng,
            )  # fmt: skip
            outcomes[(decision.outcome if decision else Outcome.queued).value] += 1
            uow.commit()
    return outcomes
