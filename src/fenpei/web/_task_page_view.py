"""A task's page in words: why its assignee has it (the routing decision, in the same
lines as a customer's assignment) and its history, newest first."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fenpei.domain.assignments import AssignMethod
from fenpei.domain.tasks import Task, TaskEvent, TaskEventKind
from fenpei.domain.users import Role, User
from fenpei.http.reads import Names
from fenpei.http.schemas import AssignmentRead
from fenpei.services.ports import UnitOfWork
from fenpei.web._explain import Line, actor_name, explain_lines
from fenpei.web.i18n import Translate
from fenpei.web.pages import rule_conditions


def decision_lines(
    t: Translate, uow: UnitOfWork, task: Task, events: list[TaskEvent], names: Names
) -> list[Line]:
    """Why the assignee has the task: the engine's decision when it routed it, else who
    gave it by hand (from the history's last assignment line)."""
    assignee = names.rep(task.assignee_id) or ""
    data: Mapping[str, Any] = task.decision or {}
    if data.get("reason_code") == "customer_owner":
        return [Line("chosen", t("tasks.why.customer_owner", rep=assignee))]
    if data:
        rule_id = data.get("rule_id")
        record = AssignmentRead(
            id=0, customer_id=task.customer_id or 0, method=AssignMethod.rule,
            from_rep_id=None, to_rep_id=task.assignee_id, to_rep_name=assignee,
            rule_id=rule_id if isinstance(rule_id, int) else None,
            strategy=str(data.get("strategy") or "") or None, reason=None, actor="system",
            at=task.updated_at or task.created_at, capacity_override=False,
            explanation=dict(data),
        )  # fmt: skip
        return explain_lines(t, record, rule_conditions(uow))
    given = next(
        (e for e in events if e.kind in (TaskEventKind.assigned, TaskEventKind.reassigned)), None
    )
    if given is not None and task.assignee_id is not None:
        reason = given.detail.get("reason")
        text = t("tasks.why.by_hand", actor=actor_name(t, given.actor), rep=assignee)
        return [Line("manual", text + (t("tasks.why.because", reason=reason) if reason else ""))]
    return [Line("note", t("tasks.why.nobody"))] if task.assignee_id is None else []


def _status_word(t: Translate, value: object) -> str:
    return t(f"tasks.status.{value}") if value else ""


def event_text(t: Translate, event: TaskEvent, names: Names) -> str:
    """One history line in words."""
    d = event.detail
    who = actor_name(t, event.actor)
    kind = TaskEventKind(event.kind)
    values: dict[str, object] = {"actor": who}
    if kind in (TaskEventKind.assigned, TaskEventKind.reassigned):
        values.update(
            to=names.rep(d.get("to_rep_id")) or "", was=names.rep(d.get("from_rep_id")) or ""
        )
    elif kind is TaskEventKind.status:
        values.update(
            was=_status_word(t, d.get("from_status")), to=_status_word(t, d.get("to_status"))
        )
    elif kind is TaskEventKind.progress:
        values.update(was=d.get("from_progress", 0), to=d.get("to_progress", 0))
    elif kind is TaskEventKind.completed:
        values.update(difficulty=d.get("difficulty") or "-")
    elif kind is TaskEventKind.rated:
        values.update(quality=d.get("quality", "-"), satisfaction=d.get("satisfaction", "-"))
    elif kind is TaskEventKind.edited:
        values.update(fields=len(d.get("fields") or []))
    text = t(f"tasks.event.{kind.value}", **values)
    said = d.get("note") or d.get("reason")
    if kind in (TaskEventKind.assigned, TaskEventKind.reassigned) and d.get("method") != "manual":
        said = None  # the engine's reason is the explanation above, in words
    return text + (t("tasks.event.note", note=said) if said else "")


def permissions(user: User, task: Task) -> dict[str, bool]:
    """What the viewer may do here: work it (anyone who sees it but an auditor), oversee
    it (rate, 催办: its creator, a manager over it, an admin), complete it (its assignee,
    or an overseer)."""
    work = user.role is not Role.auditor
    creator = user.id is not None and task.created_by_user_id == user.id
    oversee = work and (user.role is not Role.rep or creator)
    assignee = user.rep_id is not None and user.rep_id == task.assignee_id
    return {"work": work, "oversee": oversee, "complete": work and (assignee or oversee)}
