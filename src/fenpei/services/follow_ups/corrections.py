"""Correct a follow-up (更正跟进记录): its author within a day, an admin at any time.

The kind, content, outcome and next date may change; when it happened may not (the SLA and
reclaim clocks read it). A new next date is reminded anew, is the customer's next
follow-up if this is its latest follow-up, and moves the due date of the next-step task
(下一步) the follow-up made, while that is open. Audited with the values before.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from fenpei.domain.errors import NotFound, PermissionDenied, ValidationFailed
from fenpei.domain.follow_ups import FollowUp, correct, correction_refused
from fenpei.domain.phrases import Phrase
from fenpei.domain.tasks import TaskOrigin
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services import _audit
from fenpei.services.follow_ups._access import workable_customer
from fenpei.services.follow_ups.records import follow_up_types
from fenpei.services.ports import UnitOfWork
from fenpei.services.tasks.editing import edit_task


def _refusal(follow_up: FollowUp, actor: Actor, now: datetime) -> Phrase | None:
    return correction_refused(follow_up, author=actor.name, admin=actor.role is Role.admin, now=now)


def may_correct(follow_up: FollowUp, actor: Actor, now: datetime) -> bool:
    """Whether the customer page offers ``actor`` to correct ``follow_up``."""
    return _refusal(follow_up, actor, now) is None and actor.role is not Role.auditor


def correct_follow_up(
    *,
    uow: UnitOfWork,
    customer_id: int,
    follow_up_id: int,
    actor: Actor,
    changes: Mapping[str, object],
    now: datetime,
) -> FollowUp:
    """Correct follow-up ``follow_up_id`` of customer ``customer_id`` (one ``actor`` may
    work) with ``changes``; every bad field is named and nothing is written."""
    customer = workable_customer(uow, actor, customer_id, "correct follow-ups")
    follow_up = uow.follow_ups.get(follow_up_id, lock=True)
    if follow_up is None or follow_up.customer_id != customer_id:
        raise NotFound("follow-up", follow_up_id)
    refused = _refusal(follow_up, actor, now)
    if refused is not None:
        raise PermissionDenied(refused)
    before = _audit.snapshot(follow_up)
    kinds = {value.code for value in follow_up_types(uow)}
    # A next-step task that cannot follow the new date refuses it: all is undone then.
    attempt = uow.savepoint() if "next_at" in changes else None
    try:
        changed = correct(follow_up, dict(changes), now=now, kinds=kinds)
        if "next_at" in changed:
            _move_next_step(uow, follow_up, now)
    except ValidationFailed:
        if attempt is not None:
            attempt.rollback()
        raise
    if attempt is not None:
        attempt.release()
    if "next_at" in changed and customer.is_open:
        latest = uow.follow_ups.for_customer(customer_id, limit=1)
        if latest and latest[0] is follow_up:  # the latest follow-up plans the customer
            customer.next_follow_up_at = follow_up.next_at
            customer.updated_at = now
    if changed:
        _audit.record(uow, actor=actor, action="update", obj=follow_up, now=now, before=before)
    return follow_up


def _move_next_step(uow: UnitOfWork, follow_up: FollowUp, now: datetime) -> None:
    """The open next-step task of ``follow_up`` is due at its new next date; one that
    cannot be (it starts later) names ``next_at``."""
    ref = f"follow_up:{follow_up.id}"
    for task in uow.tasks.from_origin(follow_up.customer_id, TaskOrigin.follow_up, ref):
        try:
            # By the system: the task follows its follow-up, whoever may edit the task.
            edit_task(uow=uow, actor=SYSTEM, task_id=task.id or 0,
                      changes={"due_at": follow_up.next_at}, now=now)  # fmt: skip
        except ValidationFailed:
            raise ValidationFailed.one(
                "next_at",
                Phrase("follow_up.next_step_due", "its next-step task starts after that"),
            ) from None
