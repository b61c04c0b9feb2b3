"""A made-up task for the rule tester: typed fields checked as a new task's are, and its
customer (an existing one, whose fields task rules read), never stored."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from fenpei.domain.errors import FieldError, ValidationFailed
from fenpei.domain.tasks import Task, TaskOrigin, new_task
from fenpei.services.ports import UnitOfWork
from fenpei.services.tasks.records import task_categories, task_types

TASK_PREFIX = "task."
TRIAL_FIELDS = ("title", "kind", "category", "priority", "urgency", "effort_hours", "origin",
                "start_at", "due_at", "customer_id")  # fmt: skip
_UNSAVED_TITLE = "(test)"


def made_up_task(*, uow: UnitOfWork, fields: Mapping[str, object], now: datetime) -> Task:
    """The task ``fields`` describe (title optional), checked as creating it would be; bad
    fields are named ``task.<field>`` all at once. Nothing is written."""
    errors = [
        FieldError(TASK_PREFIX + name, "is not a task field")
        for name in sorted(set(fields) - set(TRIAL_FIELDS))
    ]
    origin = TaskOrigin.manual
    if fields.get("origin"):
        try:
            origin = TaskOrigin(str(fields["origin"]))
        except ValueError:
            allowed = ", ".join(o.value for o in TaskOrigin)
            errors.append(FieldError("task.origin", f"must be one of {allowed}"))
    customer_id = fields.get("customer_id")
    if customer_id is not None:
        customer = (
            uow.customers.get(customer_id)
            if isinstance(customer_id, int) and not isinstance(customer_id, bool)
            and 1 <= customer_id < 2**31
            else None
        )  # fmt: skip
        if customer is None or customer.deleted_at is not None:
            errors.append(FieldError("task.customer_id", "no such customer"))
    moments = {name: _moment(name, fields.get(name), errors) for name in ("start_at", "due_at")}
    task: Task | None = None
    try:
        task = new_task(
            title=str(fields.get("title") or "").strip() or _UNSAVED_TITLE,
            created_by="(test)", now=now,
            kinds={v.code for v in task_types(uow)},
            categories={v.code for v in task_categories(uow)},
            kind=_text(fields.get("kind")), category=_text(fields.get("category")),
            priority=_text(fields.get("priority")),
            urgency=fields.get("urgency"),  # type: ignore[arg-type]  # new_task names a bad one
            customer_ids=[customer_id] if isinstance(customer_id, int) else [],
            start_at=moments["start_at"], due_at=moments["due_at"],
            effort_hours=fields.get("effort_hours"), origin=origin,
        )  # fmt: skip
    except ValidationFailed as exc:
        errors += [FieldError(TASK_PREFIX + e.field, e.message) for e in exc.errors]
    if errors:
        raise ValidationFailed(errors)
    assert task is not None
    return task


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None if value is None else str(value)


def _moment(name: str, value: object, errors: list[FieldError]) -> datetime | None:
    """A date-time as given, or read from ISO text (a form's); a bad one is named."""
    if value is None or value == "" or isinstance(value, datetime):
        return value or None  # type: ignore[return-value]
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        errors.append(FieldError(TASK_PREFIX + name, "must be a date and time, with its zone"))
        return None
