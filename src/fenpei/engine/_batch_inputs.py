"""What a batch_optimal solve reads: p(win) as a matrix, each rep's room, and the reps'
states after the batch (``engine.batch_routing``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Protocol

import numpy as np
import numpy.typing as npt

from fenpei.domain.customers import Customer
from fenpei.engine.capacity import Usage
from fenpei.engine.items import WorkItem
from fenpei.engine.model import RepState
from fenpei.engine.scoring.contract import Affinity


class AffinityMatrix(Protocol):
    """An affinity that answers for many customers at once (a learned model's vectorised
    path): p(win) as a customers × reps array, rows and columns in the order given."""

    def p_dense(
        self, customers: Sequence[WorkItem], rep_ids: Sequence[int]
    ) -> npt.NDArray[np.float64]: ...


def p_matrix(
    affinity: Affinity, customers: Sequence[WorkItem], rep_ids: Sequence[int]
) -> npt.NDArray[np.float64]:
    """p(win) for every customer × rep: the model's own matrix if it has one, else its
    ``p_win`` customer by customer (missing reps count 0)."""
    vectorised = getattr(affinity, "p_dense", None)
    if callable(vectorised):
        return np.asarray(vectorised(customers, rep_ids), dtype=np.float64)
    rows = np.zeros((len(customers), len(rep_ids)), dtype=np.float64)
    for row, customer in enumerate(customers):
        p = affinity.p_win(customer, rep_ids)
        rows[row] = [float(p.get(rep_id, 0.0)) for rep_id in rep_ids]
    return rows


def room(state: RepState, unlimited: int) -> int:
    """How many more customers a rep may receive before any limit (``unlimited`` if none)."""
    rep, usage = state.rep, state.usage
    left = [
        limit - used
        for limit, used in (
            (rep.max_open, usage.open_count),
            (rep.max_per_day, usage.received_day),
            (rep.max_per_week, usage.received_week),
            (rep.max_per_month, usage.received_month),
        )
        if limit is not None
    ]
    return max(0, min([unlimited, *left]))


def received_all(state: RepState, taken: Sequence[Customer], *, now: datetime) -> RepState:
    """``bulk.received`` for several customers at once."""
    held = [c for c in taken if c.is_open]
    value = sum((c.expected_value for c in held if c.expected_value is not None), Decimal(0))
    usage = state.usage
    return replace(
        state,
        usage=Usage(
            usage.open_count + len(held),
            usage.received_day + len(taken),
            usage.received_week + len(taken),
            usage.received_month + len(taken),
        ),
        open_value=state.open_value + value,
        last_assigned_at=now,
    )
