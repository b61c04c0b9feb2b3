"""Moving customers between pools in bulk (移至公海…): managers within their scope, admins.

Only customers waiting in a pool the actor may see move; an owned one is refused (return
it first: that is the owner's or a manager's return, with its reason and cooldown), as is
one in the routing queue or already in the target pool. All or nothing: any refused id is
named and nothing moves. The customers are locked in id order (like every bulk change);
each move is an assignment record (``move``, nobody to nobody), its event and an audit
entry, through ``assignments.release``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from fenpei.domain.assignments import Assignment, AssignMethod
from fenpei.domain.errors import FieldError, ValidationFailed
from fenpei.domain.phrases import Phrase
from fenpei.domain.users import Actor
from fenpei.services import scope
from fenpei.services.assignments import MAX_REASON, release
from fenpei.services.pool.terms import may_see, terms_of, visible_pool
from fenpei.services.ports import UnitOfWork

MAX_MOVE = 500


def _reason(reason: str | None) -> str | None:
    text = (reason or "").strip() or None
    if text is not None and (len(text) > MAX_REASON or "\x00" in text):
        limit = f"must be at most {MAX_REASON} characters, without NUL"
        raise ValidationFailed.one("reason", limit)
    return text


def move_to_pool(
    *,
    uow: UnitOfWork,
    actor: Actor,
    customer_ids: Sequence[int],
    to_pool: str,
    reason: str | None,
    now: datetime,
    from_pool: str | None = None,
) -> list[Assignment]:
    """Move customers waiting in pools ``actor`` may see (in ``from_pool`` if given) to
    pool ``to_pool`` (which they may see too); every refused customer is named and
    nothing moves."""
    scope.require_writer(actor, "move customers between pools")
    wanted = sorted(set(customer_ids))
    if not 1 <= len(wanted) <= MAX_MOVE:
        raise ValidationFailed.one("customer_ids", f"give 1 to {MAX_MOVE} customers")
    text = _reason(reason)
    target = visible_pool(uow, actor, to_pool)
    if from_pool is not None:
        visible_pool(uow, actor, from_pool)
    locked = {c.id: c for c in uow.customers.lock_many(wanted)}
    visible: dict[str, bool] = {}
    in_scope = scope.data_scope(uow=uow, actor=actor)

    def refusal(customer_id: int) -> Phrase | None:
        found = locked.get(customer_id)
        customer = found if found is not None and found.deleted_at is None else None
        if customer is not None and customer.owner_id and in_scope.covers_customer(customer):
            text = "customer {id} has an owner: return it to a pool first"
            return Phrase("pool.move.owned", text, id=customer_id)
        pool = customer.pool if customer is not None and not customer.owner_id else None
        if pool is not None and pool not in visible:
            visible[pool] = may_see(uow, actor, terms_of(uow, pool))
        if pool is None or not visible[pool]:  # a pool hidden from the actor: not told
            text = "customer {id} is not waiting in a pool"
            return Phrase("pool.move.not_waiting", text, id=customer_id)
        if from_pool is not None and pool != from_pool:
            text = "customer {id} is not waiting in {pool}"
            return Phrase("pool.move.elsewhere", text, id=customer_id, pool=from_pool)
        if pool == target.key:
            text = "customer {id} already waits in {pool}"
            return Phrase("pool.move.already", text, id=customer_id, pool=target.name)
        return None

    errors = [
        FieldError("customer_ids", problem)
        for problem in (refusal(customer_id) for customer_id in wanted)
        if problem is not None
    ]
    if errors:
        raise ValidationFailed(errors)
    moved = []
    for customer_id in wanted:
        customer = locked[customer_id]
        explanation = {
            "kind": "move", "from_pool": customer.pool, "pool": target.key,
            "batch_size": len(wanted),
        }  # fmt: skip
        moved.append(
            release(
                uow,
                customer=customer,
                pool=target.key,
                method=AssignMethod.move,
                actor=actor,
                reason=text,
                now=now,
                audit_action="pool.move",
                explanation=explanation,
            )
        )
    return moved
