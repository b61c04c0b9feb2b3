"""What is due on owned customers (到期事项): the terms the "due" sort reads, and each
listed customer's due things for showing — a fixed number of queries for a whole page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fenpei.domain.customers import Customer
from fenpei.domain.due import DueItem, due_items
from fenpei.domain.reclaim import GoverningTerms, governing_terms
from fenpei.domain.sla import SlaClock
from fenpei.services.ports import UnitOfWork


def due_terms(*, uow: UnitOfWork) -> tuple[GoverningTerms, ...]:
    """The pools with reclaim on and the reps each governs (two queries; one if no pool
    has reclaim on)."""
    pools = uow.pools.all()
    if not any(pool.reclaim_enabled for pool in pools):
        return ()
    return tuple(governing_terms(pools, uow.reps.all()))


def dues_of(
    *,
    uow: UnitOfWork,
    customers: Sequence[Customer],
    terms: Sequence[GoverningTerms],
    clocks: Mapping[int, SlaClock] | None = None,
) -> dict[int, list[DueItem]]:
    """Each customer's due things, earliest first; ``clocks`` (each customer's newest SLA
    clock) are read in one query unless given."""
    ids = [c.id for c in customers if c.id is not None]
    if clocks is None:
        clocks = uow.sla.latest_by_customer(ids)
    return {
        customer.id: due_items(customer, clocks.get(customer.id), terms)
        for customer in customers
        if customer.id is not None
    }
