"""The task-reminders job: each open task's timers, in business time — reminded at its
start, N hours before due and at due; overdue (``task.overdue_at`` is set here, by the
scheduler, never on view); escalated to the assignee's manager; and reassigned away from
the assignee (``routing.route_task`` with them left out).

Set-based and once-only: candidates are read a batch at a time by id; each step is claimed
for a whole batch by one conditional UPDATE (``… WHERE <mark> IS NULL RETURNING id``), and
only the tasks that statement marked get the step's message and history line. Two workers
running at once therefore never send one message twice: the second one's UPDATE waits for
the first's commit and then finds the marks set.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from fenpei.domain.business_time import WorkCalendar
from fenpei.domain.events import TaskReminderKind
from fenpei.domain.task_timers import (
    ASSIGNEE_STAGES,
    Marks,
    Stage,
    TimerPolicy,
    message_stage,
    stages_reached,
)
from fenpei.domain.tasks import Task, TaskEventKind, TaskPriority
from fenpei.domain.users import SYSTEM
from fenpei.services.ports import UnitOfWork
from fenpei.services.tasks.events import emit_task_reminder
from fenpei.services.tasks.policies import task_calendar, timer_policies
from fenpei.services.tasks.records import log
from fenpei.services.tasks.routing import route_task
from fenpei.services.tasks.workflow import managers_of

BATCH = 500
MAX_BATCHES = 200  # a run handles at most this many batches; the next run goes on


@dataclass
class TimerRun:
    reminded: int = 0  # messages to assignees
    overdue: int = 0
    escalated: int = 0
    reassigned: int = 0
    kept: int = 0  # due for reassignment, but nobody else could take it

    def summary(self) -> str:
        return (
            f"{self.reminded} reminded, {self.overdue} overdue, {self.escalated} escalated, "
            f"{self.reassigned} reassigned, {self.kept} kept"
        )


def _plan(
    uow: UnitOfWork, tasks: list[Task], policies: dict[TaskPriority, TimerPolicy], now: datetime
) -> dict[int, list[Stage]]:
    """The steps each task has reached; a calendar per assignee, built once per batch."""
    calendars: dict[int | None, WorkCalendar] = {}
    reassigned = uow.task_timers.reassigned([task.id for task in tasks if task.id is not None])
    plan: dict[int, list[Stage]] = {}
    for task in tasks:
        assert task.id is not None
        if task.assignee_id not in calendars:
            calendars[task.assignee_id] = task_calendar(uow, task, now)
        marks = Marks.of(task, reassigned.get(task.id))
        policy = policies[TaskPriority(task.priority)]
        stages = stages_reached(task, marks, policy, calendars[task.assignee_id], now)
        if task.assignee_id is None:  # nobody to remind yet: those wait for an assignee
            stages = [s for s in stages if s not in ASSIGNEE_STAGES or s is Stage.overdue]
        if stages:
            plan[task.id] = stages
    return plan


def _claim(uow: UnitOfWork, plan: dict[int, list[Stage]], now: datetime) -> dict[int, list[Stage]]:
    """Claim every planned step, one statement per step; what this run won, by task."""
    won: dict[int, list[Stage]] = {}
    for stage in Stage:
        ids = [task_id for task_id, stages in plan.items() if stage in stages]
        for task_id in uow.task_timers.claim(stage, ids, now=now):
            won.setdefault(task_id, []).append(stage)
    return won


def _act(uow: UnitOfWork, task: Task, stages: list[Stage], now: datetime, run: TimerRun) -> None:
    """The messages and history lines of the steps claimed for ``task``."""
    told = message_stage(stages)
    if told is not None and task.assignee_id is not None:
        kind = TaskReminderKind(told.value)
        emit_task_reminder(uow, kind=kind, task=task, now=now, rep_ids=[task.assignee_id])
        log(uow, task, TaskEventKind.reminded, SYSTEM.name, now, reminder=kind.value)
        run.reminded += 1
    if Stage.overdue in stages:
        log(uow, task, TaskEventKind.overdue, SYSTEM.name, now, due=_iso(task.due_at))
        run.overdue += 1
    if Stage.escalated in stages:
        managers = managers_of(uow, task)
        if managers:
            emit_task_reminder(uow, kind=TaskReminderKind.escalated, task=task, now=now,
                               user_ids=managers)  # fmt: skip
        log(uow, task, TaskEventKind.escalated, SYSTEM.name, now, to=managers,
            reassigned_to=None)  # fmt: skip
        run.escalated += 1
    if Stage.reassigned in stages:
        before = task.assignee_id
        locked = uow.tasks.lock(task.id or 0) or task
        exclude = [before] if before is not None else []
        route_task(uow=uow, task=locked, actor=SYSTEM, now=now, exclude_rep_ids=exclude)
        moved = locked.assignee_id != before
        log(uow, locked, TaskEventKind.escalated, SYSTEM.name, now, to=[],
            reassigned_to=locked.assignee_id if moved else None)  # fmt: skip
        run.reassigned += moved
        run.kept += not moved


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def run_task_timers(
    *, uow_factory: Callable[[], UnitOfWork], now: datetime, batch: int = BATCH
) -> TimerRun:
    """One run over every open task with a step due, a batch per transaction."""
    run = TimerRun()
    after_id = 0
    for _ in range(MAX_BATCHES):
        with uow_factory() as uow:
            tasks = uow.task_timers.candidates(now=now, after_id=after_id, limit=batch)
            if not tasks:
                break
            after_id = max(task.id or 0 for task in tasks)
            policies = timer_policies(uow)
            won = _claim(uow, _plan(uow, tasks, policies, now), now)
            by_id = {task.id: task for task in tasks}
            for task_id, stages in sorted(won.items()):
                _act(uow, by_id[task_id], stages, now, run)
            uow.commit()
        if len(tasks) < batch:
            break
    return run
