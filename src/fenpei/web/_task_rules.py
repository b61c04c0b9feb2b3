"""What the rule pages do differently for task rules: the targets they offer, the fields the
tester asks for (a task's, and its customer by id), and the subject a form or list is about.
"""

from __future__ import annotations

from starlette.datastructures import FormData

from fenpei.domain.errors import FieldError
from fenpei.domain.phrases import Phrase
from fenpei.domain.rules import RuleSubject
from fenpei.domain.tasks import TaskOrigin, TaskPriority
from fenpei.engine.model import TargetKind
from fenpei.web._rule_form import form_id

# The task attributes the tester panel asks for, in this order.
TASK_TESTER_FIELDS = ("title", "priority", "urgency", "effort_hours", "kind", "category",
                      "origin", "customer_id")  # fmt: skip
PRIORITIES = tuple(p.value for p in TaskPriority)
ORIGINS = tuple(o.value for o in TaskOrigin)


def subject_of(value: object) -> RuleSubject:
    """``task`` if that is what was asked for, else ``customer`` (the rule book's default)."""
    return RuleSubject.task if value == RuleSubject.task.value else RuleSubject.customer


def target_kinds(subject: str) -> list[str]:
    """The targets a rule of ``subject`` may name: "the customer's owner" is a task's."""
    return [
        kind.value
        for kind in TargetKind
        if kind is not TargetKind.customer_owner or subject == RuleSubject.task
    ]


def task_fields(form: FormData) -> tuple[dict[str, object], list[FieldError]]:
    """The tester's task, as typed (``task_<field>``); what cannot be read is named."""
    fields: dict[str, object] = {}
    errors: list[FieldError] = []
    for name in TASK_TESTER_FIELDS:
        value = form.get(f"task_{name}")
        if not isinstance(value, str) or not value.strip():
            continue
        text = value.strip()
        if name == "urgency":
            if text.isdigit() and len(text) < 3:
                fields[name] = int(text)
            else:
                errors.append(FieldError("task.urgency", Phrase("number", "must be a number")))
        elif name == "customer_id":
            found = form_id(text)
            if found is None:
                errors.append(FieldError("task.customer_id", "no such customer"))
            else:
                fields[name] = found
        else:
            fields[name] = text
    return fields, errors
