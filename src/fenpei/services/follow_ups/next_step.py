"""A follow-up's "next step" (下一步): logging a follow-up with one creates a task about
the customer, due when the next follow-up is planned, routed like any new task (normally
to the customer's owner). Follow-up and task are written together or not at all."""

from __future__ import annotations

from datetime import datetime

from fenpei.domain.errors import FieldError, ValidationFailed
from fenpei.domain.follow_ups import FollowUp
from fenpei.domain.tasks import MAX_TITLE, Task, TaskOrigin, clean_text
from fenpei.domain.users import Actor
from fenpei.services.follow_ups.records import record_follow_up
from fenpei.services.ports import UnitOfWork
from fenpei.services.tasks.intake import create_and_route
from fenpei.services.tasks.records import TaskInput


def record_with_next_step(
    *,
    uow: UnitOfWork,
    customer_id: int,
    actor: Actor,
    kind: str,
    at: datetime,
    content: str,
    now: datetime,
    outcome: str | None = None,
    next_at: datetime | None = None,
    stage: str | None = None,
    reason: str | None = None,
    next_step: str | None = None,
) -> tuple[FollowUp, Task | None]:
    """Log the follow-up (``record_follow_up``) and, when ``next_step`` is given, the task
    it names. Every bad field of both is named at once; the caller commits nothing then."""
    errors: list[FieldError] = []
    step = clean_text("next_step", next_step, MAX_TITLE, errors)
    # With a bad next step the follow-up is still checked (to name all its bad fields at
    # once), in a savepoint undone afterwards: nothing is left written.
    attempt = uow.savepoint() if errors else None
    try:
        follow_up = record_follow_up(
            uow=uow, customer_id=customer_id, actor=actor, kind=kind, at=at, content=content,
            now=now, outcome=outcome, next_at=next_at, stage=stage, reason=reason,
        )  # fmt: skip
    except ValidationFailed as exc:
        if attempt is not None:
            attempt.rollback()
        raise ValidationFailed([*exc.errors, *errors]) from None
    if attempt is not None:
        attempt.rollback()
        raise ValidationFailed(errors)
    if step is None:
        return follow_up, None
    data = TaskInput(
        title=step,
        customer_ids=[customer_id],
        due_at=follow_up.next_at,
        origin=TaskOrigin.follow_up,
        origin_ref=f"follow_up:{follow_up.id}",
    )
    return follow_up, create_and_route(uow=uow, actor=actor, data=data, now=now)
