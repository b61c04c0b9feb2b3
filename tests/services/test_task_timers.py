"""Task timers on a controlled clock: reminded at start, before due (in business hours),
at due; overdue, escalated to the manager and reassigned after X / Y business hours past
due — across a weekend and China's National Day — each step once, however often the job
runs; an admin sets the timers per priority."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from fenpei.domain.errors import PermissionDenied, ValidationFailed
from fenpei.domain.events import EventType
from fenpei.domain.tasks import Task, TaskEventKind
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services import org, users
from fenpei.services.categories import ensure_default_categories
from fenpei.services.customers import create_customer
from fenpei.services.tasks.intake import create_and_route
from fenpei.services.tasks.policies import set_timer_policy, timer_policies
from fenpei.services.tasks.records import TaskInput
from fenpei.services.tasks.reminders import TimerRun, run_task_timers
from tests.fakes import FakeHasher, FakeUnitOfWork, FixedClock, in_transaction

SHANGHAI = ZoneInfo("Asia/Shanghai")
ADMIN = Actor("root", Role.admin)


def sh(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SHANGHAI)  # type: ignore[misc]


@dataclass
class World:
    uow: FakeUnitOfWork
    clock: FixedClock
    wang: int
    zhao: int
    boss: int  # the team manager's user
    customer: int  # owned by Zhao

    def task(self, *, assignee: int | None = None, **fields: Any) -> Task:
        data = TaskInput(title="Call back", customer_ids=[self.customer], **fields)
        return in_transaction(
            self.uow,
            lambda: create_and_route(uow=self.uow, actor=SYSTEM, data=data,
                                     now=self.clock.now(), assignee_id=assignee),
        )  # fmt: skip

    def run(self, at: datetime) -> TimerRun:
        self.clock.at = at
        return run_task_timers(uow_factory=lambda: self.uow, now=at)

    def messages(self) -> list[tuple[str, list[int], list[int]]]:
        """The task reminders written so far: kind, reps and users told."""
        return [
            (e.payload["kind"], e.payload["rep_ids"], e.payload["user_ids"])
            for e in self.uow._store.outbox_events
            if e.type is EventType.task_reminder
        ]

    def history(self, task: Task) -> list[tuple[str, dict[str, Any]]]:
        with self.uow:
            return [(str(e.kind), e.detail) for e in reversed(self.uow.tasks.history(task.id or 0))]

    def get(self, task: Task) -> Task:
        with self.uow:
            found = self.uow.tasks.get(task.id or 0)
        assert found is not None
        return found


@pytest.fixture
def w() -> World:
    uow = FakeUnitOfWork()
    clock = FixedClock(sh(2026, 12, 1, 8, 0))  # a Tuesday morning in Shanghai
    now = clock.now()
    with uow:
        ensure_default_categories(uow=uow, actor=SYSTEM, now=now)
        boss = users.create_user(uow=uow, hasher=FakeHasher(), username="boss",
                                 password="long enough password", role=Role.manager,
                                 actor=SYSTEM, now=now)  # fmt: skip
        team = org.create_team(uow=uow, name="East", actor=SYSTEM, now=now)
        team.manager_user_id = boss.id
        wang = org.create_rep(uow=uow, fields={"name": "Wang", "team_id": team.id},
                              actor=SYSTEM, now=now)  # fmt: skip
        zhao = org.create_rep(uow=uow, fields={"name": "Zhao", "team_id": team.id},
                              actor=SYSTEM, now=now)  # fmt: skip
        customer = create_customer(uow=uow, fields={"name": "Acme"}, actor=SYSTEM, now=now)
        customer.owner_id = zhao.id
        uow.commit()
    return World(uow, clock, wang.id or 0, zhao.id or 0, boss.id or 0, customer.id or 0)


def test_start_before_due_and_due_reminders_come_in_business_hours_once_each(w: World) -> None:
    # Medium: reminded 4 business hours before due; the 12:00-13:00 lunch does not count.
    task = w.task(assignee=w.wang, priority="medium", start_at=sh(2026, 12, 1, 10, 0),
                  due_at=sh(2026, 12, 1, 16, 0))  # fmt: skip
    assert w.run(sh(2026, 12, 1, 9, 59)).reminded == 0
    assert w.run(sh(2026, 12, 1, 10, 0)).reminded == 1
    assert w.run(sh(2026, 12, 1, 10, 59)).reminded == 0  # 5 business hours before due
    assert w.run(sh(2026, 12, 1, 11, 0)).reminded == 1  # 1h before lunch + 3h after = 4h
    assert w.run(sh(2026, 12, 1, 11, 30)).reminded == 0
    assert w.run(sh(2026, 12, 1, 16, 0)).reminded == 1
    assert w.run(sh(2026, 12, 1, 16, 0)).reminded == 0  # again: nothing more
    assert [m[0] for m in w.messages()] == ["starting", "due_soon", "due"]
    assert all(m[1] == [w.wang] for m in w.messages())
    reminded = [d["reminder"] for k, d in w.history(task) if k == TaskEventKind.reminded]
    assert reminded == ["starting", "due_soon", "due"]
    assert w.get(task).overdue_at is None


def test_overdue_after_the_grace_then_escalated_to_the_manager(w: World) -> None:
    # Medium: overdue 1 business hour past due, escalated after 8.
    task = w.task(assignee=w.wang, priority="medium", due_at=sh(2026, 12, 1, 16, 0))
    w.run(sh(2026, 12, 1, 16, 0))
    assert w.run(sh(2026, 12, 1, 16, 59)).overdue == 0
    run = w.run(sh(2026, 12, 1, 17, 0))
    assert (run.overdue, run.reminded) == (1, 1)
    assert w.get(task).overdue_at == sh(2026, 12, 1, 17, 0)
    # 2h on Tuesday, then Wednesday 09-12 and 13-16: 8 business hours at 16:00.
    assert w.run(sh(2026, 12, 2, 15, 59)).escalated == 0
    assert w.run(sh(2026, 12, 2, 16, 0)).escalated == 1
    assert w.run(sh(2026, 12, 2, 17, 0)).escalated == 0
    assert w.messages()[-1] == ("escalated", [], [w.boss])
    assert [m[0] for m in w.messages()] == ["due", "overdue", "escalated"]
    kinds = [k for k, _ in w.history(task)]
    assert kinds.count(TaskEventKind.overdue) == 1 and kinds.count(TaskEventKind.escalated) == 1


def test_a_task_due_on_friday_evening_waits_for_monday_working_hours(w: World) -> None:
    # Urgent: overdue at once past due, escalated after 2, reassigned after 8 business hours.
    task = w.task(assignee=w.wang, priority="urgent", due_at=sh(2026, 12, 4, 18, 0))
    run = w.run(sh(2026, 12, 5, 12, 0))  # Saturday: due, but no business time has passed
    assert (run.reminded, run.overdue) == (1, 0)
    assert w.messages()[-1][0] == "due"
    assert w.run(sh(2026, 12, 7, 9, 0)).overdue == 0  # Monday 09:00: still none
    assert w.run(sh(2026, 12, 7, 9, 1)).overdue == 1
    assert w.run(sh(2026, 12, 7, 10, 59)).escalated == 0
    assert w.run(sh(2026, 12, 7, 11, 0)).escalated == 1
    # 8 business hours past due: Monday 09-12 and 13-18 make 8 at 18:00.
    assert w.run(sh(2026, 12, 7, 17, 59)).reassigned == 0
    run = w.run(sh(2026, 12, 7, 18, 0))
    assert (run.reassigned, run.kept) == (1, 0)
    moved = w.get(task)
    assert moved.assignee_id == w.zhao  # routed again without Wang: the customer's owner
    assert w.run(sh(2026, 12, 8, 18, 0)).reassigned == 0  # once
    assigned = [e for e in w.uow._store.outbox_events if e.type is EventType.task_assigned]
    assert assigned[-1].payload["to_rep_id"] == w.zhao
    assert assigned[-1].payload["from_rep_id"] == w.wang


def test_a_holiday_does_not_count_towards_escalation(w: World) -> None:
    # Due on 30 September 2026 17:00; 1-7 October are National Day holidays.
    w.clock.at = sh(2026, 9, 29, 9, 0)
    task = w.task(assignee=w.wang, priority="urgent", due_at=sh(2026, 9, 30, 17, 0))
    assert w.run(sh(2026, 10, 7, 17, 0)).escalated == 0  # only 1 business hour past due
    assert w.run(sh(2026, 10, 8, 9, 59)).escalated == 0
    assert w.run(sh(2026, 10, 8, 10, 0)).escalated == 1
    assert w.get(task).escalated_at == sh(2026, 10, 8, 10, 0)


def test_reassignment_keeps_the_task_when_nobody_else_may_take_it(w: World) -> None:
    task = w.task(assignee=w.zhao, priority="urgent", due_at=sh(2026, 12, 1, 9, 0))
    run = w.run(sh(2026, 12, 2, 9, 0))  # 8 business hours past due
    assert (run.overdue, run.escalated, run.reassigned, run.kept) == (1, 1, 0, 1)
    assert w.get(task).assignee_id == w.zhao
    # Only the most advanced step is told to the assignee; the manager hears of it.
    assert [m[0] for m in w.messages()] == ["overdue", "escalated"]
    assert w.run(sh(2026, 12, 3, 9, 0)).kept == 0


def test_finished_and_unassigned_tasks_are_not_reminded(w: World) -> None:
    done = w.task(assignee=w.wang, due_at=sh(2026, 12, 1, 10, 0))
    with w.uow:
        found = w.uow.tasks.get(done.id or 0)
        assert found is not None
        found.status = found.status.done
        w.uow.commit()
    loose = w.task(due_at=sh(2026, 12, 1, 10, 0))  # the customer's owner (Zhao) gets it
    assert w.get(loose).assignee_id == w.zhao
    w.run(sh(2026, 12, 1, 10, 0))
    assert w.messages() == [("due", [w.zhao], [])]


def test_an_admin_sets_a_priority_s_timers_in_business_hours(w: World) -> None:
    policy = in_transaction(w.uow, lambda: set_timer_policy(
        uow=w.uow, actor=ADMIN, priority="low", remind_before_hours="0.5",
        overdue_after_hours="0", escalate_after_hours="1", reassign_after_hours="",
        now=w.clock.now()))  # fmt: skip
    assert (policy.remind_before, policy.escalate_after, policy.reassign_after) == (30, 60, None)
    with w.uow:
        assert timer_policies(w.uow)[policy.priority].remind_before == 30
    task = w.task(assignee=w.wang, priority="low", due_at=sh(2026, 12, 1, 16, 0))
    assert w.run(sh(2026, 12, 1, 15, 29)).reminded == 0
    assert w.run(sh(2026, 12, 1, 15, 30)).reminded == 1
    assert w.run(sh(2026, 12, 1, 17, 0)).escalated == 1
    assert w.get(task).escalated_at is not None


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"remind_before_hours": "soon"}, "remind_before_hours"),
        ({"overdue_after_hours": "-1"}, "overdue_after_hours"),
        ({"escalate_after_hours": "41"}, "escalate_after_hours"),
        ({"overdue_after_hours": "3", "escalate_after_hours": "2"}, "escalate_after_hours"),
        ({"escalate_after_hours": "4", "reassign_after_hours": "2"}, "reassign_after_hours"),
        ({"remind_before_hours": ""}, "remind_before_hours"),
        ({"priority": "whenever"}, "priority"),
    ],
)
def test_bad_timers_are_named_and_change_nothing(
    w: World, fields: dict[str, str], named: str
) -> None:
    typed = {"priority": "high", "remind_before_hours": "1", "overdue_after_hours": "0"} | fields
    with w.uow, pytest.raises(ValidationFailed) as caught:
        set_timer_policy(uow=w.uow, actor=ADMIN, now=w.clock.now(), **typed)
    assert named in [e.field for e in caught.value.errors]
    assert w.uow.task_timers.policies() == []


def test_only_an_admin_sets_timers(w: World) -> None:
    with w.uow, pytest.raises(PermissionDenied):
        set_timer_policy(uow=w.uow, actor=Actor("boss", Role.manager), priority="high",
                         remind_before_hours="1", overdue_after_hours="0",
                         now=w.clock.now())  # fmt: skip
