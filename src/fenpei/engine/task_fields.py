"""The fields a task rule can test: the task's own, named ``task.<field>``, and its first
customer's under their usual names (``region``, ``level``, ``custom.x`` …).

Same types and same promises as ``fields`` (a getter returns the one shape its type says),
so the condition language, its compiler and its explanations serve tasks unchanged: a
failed condition reads ``task.priority = 'urgent' (was 'low')``. A task without a
customer has every customer field missing (``is_empty`` holds, ``eq`` fails).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from fenpei.domain.custom_fields import CustomField
from fenpei.domain.rules import RuleSubject
from fenpei.domain.tasks import TaskOrigin, TaskPriority
from fenpei.engine.fields import FieldSpec, FieldType, field_catalog
from fenpei.engine.items import TaskItem

TASK_PREFIX = "task."
TASK_TEXT_FIELDS = ("title", "kind", "category")
TASK_DATETIME_FIELDS = ("due_at", "start_at", "created_at")


def _text(name: str) -> Callable[[TaskItem], object]:
    def get(item: TaskItem) -> object:
        value = getattr(item.task, name)
        return None if value is None else str(value)

    return get


def _number(name: str) -> Callable[[TaskItem], object]:
    def get(item: TaskItem) -> object:
        value = getattr(item.task, name)
        return None if value is None else float(value) if not isinstance(value, int) else value

    return get


def _moment(name: str) -> Callable[[TaskItem], object]:
    def get(item: TaskItem) -> object:
        moment: datetime | None = getattr(item.task, name)
        if moment is None or moment.tzinfo is not None:
            return moment
        return moment.replace(tzinfo=UTC)

    return get


def _of_customer(spec: FieldSpec) -> FieldSpec:
    """A customer field read off the task's first customer; missing without one."""
    get = spec.get
    missing: object = [] if spec.type is FieldType.list_of_text else None

    def lifted(item: TaskItem) -> object:
        return missing if item.customer is None else get(item.customer)

    return FieldSpec(spec.name, spec.type, lifted, spec.choices)


def task_field_catalog(custom_fields: Sequence[CustomField] = ()) -> Mapping[str, FieldSpec]:
    """Every field a task rule may name: ``task.*`` first, then the customer's."""
    own: list[tuple[str, FieldType, Callable[[TaskItem], object], tuple[str, ...]]] = [
        *((name, FieldType.text, _text(name), ()) for name in TASK_TEXT_FIELDS),
        ("priority", FieldType.choice, _text("priority"), tuple(p.value for p in TaskPriority)),
        ("urgency", FieldType.number, _number("urgency"), ()),
        ("effort_hours", FieldType.number, _number("effort_hours"), ()),
        ("origin", FieldType.choice, _text("origin"), tuple(o.value for o in TaskOrigin)),
        *((name, FieldType.datetime, _moment(name), ()) for name in TASK_DATETIME_FIELDS),
    ]
    specs: dict[str, FieldSpec] = {}
    for name, kind, get, choices in own:
        getter: Callable[[Any], object] = get
        specs[TASK_PREFIX + name] = FieldSpec(TASK_PREFIX + name, kind, getter, choices)
    for spec in field_catalog(custom_fields).values():
        specs[spec.name] = _of_customer(spec)
    return specs


def subject_catalog(
    subject: str, custom_fields: Sequence[CustomField] = ()
) -> Mapping[str, FieldSpec]:
    """The fields rules of ``subject`` (``RuleSubject``: customer or task) may test."""
    if subject == RuleSubject.task:
        return task_field_catalog(custom_fields)
    return field_catalog(custom_fields)
