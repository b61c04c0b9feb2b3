"""分配给…: a manager or an admin pushes customers waiting in a pool to one rep in their scope.

Each customer goes through the same push as one (``claims.claim`` with ``rep_id``): the
rep's capacity and the pool's holding cap, checked under the rep's lock, each customer
counting towards the next. All or nothing, like every bulk path here (moves, bulk assign):
every customer that cannot go is named with the reason in words and nothing is pushed. The
customers are locked in id order first (customers before reps, the lock order of every
ownership change); each push is an assignment record (``manual``), its event and an audit
entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from fenpei.domain.assignments import Assignment
from fenpei.domain.errors import (
    CapacityExceeded,
    ClaimRefused,
    FieldError,
    NotFound,
    ValidationFailed,
)
from fenpei.domain.phrases import Phrase
from fenpei.domain.users import Actor
from fenpei.services import scope
from fenpei.services.pool.claims import claim
from fenpei.services.pool.terms import visible_pool
from fenpei.services.ports import UnitOfWork

MAX_PUSH = 500
WHY = {
    "taken": "someone else owns it now",
    "holding_cap": "the rep holds as many customers as the pool allows",
    "key_account_cap": "the rep holds as many key accounts as the pool allows",
    "capacity": "the rep has no room left",
    "not_waiting": "it is not waiting in this pool",
}


def _refused(customer_id: int, name: str | None, kind: str, said: object = None) -> FieldError:
    """Why one customer cannot go; named only if it waits in a pool the actor sees."""
    why = said if isinstance(said, Phrase) else Phrase(f"pool.push.why.{kind}", WHY.get(kind, kind))
    if name is None:
        text = "customer {id} cannot go: {why}"
        return FieldError(
            "customer_ids", Phrase("pool.push.refused_id", text, id=customer_id, why=why)
        )
    text = "customer {id} ({name}) cannot go: {why}"
    return FieldError(
        "customer_ids", Phrase("pool.push.refused", text, id=customer_id, name=name, why=why)
    )


def push_many(
    *,
    uow: UnitOfWork,
    actor: Actor,
    customer_ids: Sequence[int],
    rep_id: int,
    now: datetime,
    from_pool: str | None = None,
) -> list[Assignment]:
    """Push the customers (waiting in ``from_pool`` if given) to rep ``rep_id``; every one
    refused is named with why and nothing is pushed. The caller commits (or rolls back)."""
    scope.require_writer(actor, "push customers from a pool")
    wanted = sorted(set(customer_ids))
    if not 1 <= len(wanted) <= MAX_PUSH:
        raise ValidationFailed.one("customer_ids", f"give 1 to {MAX_PUSH} customers")
    if from_pool is not None:
        visible_pool(uow, actor, from_pool)
    rep = scope.visible_rep(scope.data_scope(uow=uow, actor=actor), uow.reps.get(rep_id), rep_id)
    if not rep.active:
        raise ValidationFailed.one("rep_id", "an inactive rep cannot take customers")
    locked = {c.id: c for c in uow.customers.lock_many(wanted)}
    pushed: list[Assignment] = []
    errors: list[FieldError] = []
    for customer_id in wanted:
        found = locked.get(customer_id)
        if (
            found is None
            or found.deleted_at is not None
            or found.pool is None
            or (from_pool is not None and found.pool != from_pool)
        ):
            errors.append(_refused(customer_id, None, "not_waiting"))
            continue
        name = found.name
        try:
            pushed.append(
                claim(uow=uow, customer_id=customer_id, actor=actor, now=now, rep_id=rep_id)
            )
        except ClaimRefused as refused:
            errors.append(_refused(customer_id, name, refused.kind, refused.args[0]))
        except CapacityExceeded:
            errors.append(_refused(customer_id, name, "capacity"))
        except NotFound:  # a pool the actor may not see: not told more
            errors.append(_refused(customer_id, None, "not_waiting"))
    if errors:
        raise ValidationFailed(errors)
    return pushed
