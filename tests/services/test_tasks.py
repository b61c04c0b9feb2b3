"""Tasks: what creating one checks, who may see and work it, and what working it records."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fenpei.domain.errors import NotFound, PermissionDenied, ValidationFailed
from fenpei.domain.events import EventType
from fenpei.domain.org import Rep
from fenpei.domain.tasks import Task, TaskEventKind, TaskFilter, TaskStatus, mentioned_names
from fenpei.domain.users import Actor, Role, User
from fenpei.services.tasks import workflow
from fenpei.services.tasks.intake import create_and_route
from fenpei.services.tasks.records import TaskInput
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import a_customer, a_rep, assigned, bad_fields, refused

ADMIN = Actor("root", Role.admin, user_id=1)


@pytest.fixture(autouse=True)
def _admin_login(uow: FakeUnitOfWork) -> None:
    """ADMIN's users row: a task remembers who created it."""
    with uow:
        uow.users.add(User(username="root", password_hash="x", role=Role.admin, id=1))
        uow.commit()


def _rep_actor(uow: FakeUnitOfWork, rep: Rep) -> Actor:
    """The rep's login (a users row)."""
    with uow:
        user = uow.users.by_username(rep.name.lower())
        if user is None:
            user = User(username=rep.name.lower(), password_hash="x", role=Role.rep,
                        rep_id=rep.id)  # fmt: skip
            uow.users.add(user)
            uow.commit()
    return Actor(rep.name, Role.rep, rep_id=rep.id, user_id=user.id)


def _create(uow: FakeUnitOfWork, clock: FixedClock, actor: Actor = ADMIN, **fields: object) -> Task:
    values: dict[str, object] = {"title": "回电报价"}
    values.update(fields)
    assignee = values.pop("assignee_id", None)
    data = TaskInput(**values)  # type: ignore[arg-type]
    return in_transaction(
        uow,
        lambda: create_and_route(
            uow=uow,
            actor=actor,
            data=data,
            now=clock.now(),
            assignee_id=assignee,  # type: ignore[arg-type]
        ),
    )


def _events(uow: FakeUnitOfWork, task: Task) -> list[TaskEventKind]:
    with uow:
        return [e.kind for e in reversed(uow.tasks.history(task.id or 0))]


def _outbox(uow: FakeUnitOfWork, type: EventType) -> list[dict[str, object]]:
    with uow:
        return [e.payload for e in uow._store.outbox_events if e.type is type]


def test_a_task_about_an_owned_customer_goes_to_its_owner_with_why(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock, "Wang")
    customer = a_customer(uow, clock, "Acme")
    assigned(uow, clock, customer, rep)

    task = _create(uow, clock, customer_ids=[customer.id], due_at=clock.now() + timedelta(days=1))

    assert task.assignee_id == rep.id and task.customer_id == customer.id
    assert task.decision is not None and task.decision["rep_id"] == rep.id
    assert _events(uow, task) == [TaskEventKind.created, TaskEventKind.assigned]
    [message] = _outbox(uow, EventType.task_assigned)
    assert message["task_id"] == task.id and message["to_rep_id"] == rep.id
    with uow:
        assert uow.tasks.customer_ids([task.id or 0]) == {task.id: [customer.id]}


def test_a_task_without_a_customer_waits_unassigned(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    task = _create(uow, clock)

    assert task.assignee_id is None and task.status is TaskStatus.todo
    assert _outbox(uow, EventType.task_assigned) == []


def test_every_bad_field_is_named_at_once_and_nothing_is_written(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    data = TaskInput(
        title=" ", kind="no-such-type", priority="very", urgency=9,
        start_at=clock.now(), due_at=clock.now() - timedelta(hours=1), effort_hours="-2",
        customer_ids=[999], recurrence={"kind": "weekly", "weekdays": [7]},
    )  # fmt: skip
    error = refused(
        uow,
        ValidationFailed,
        lambda: create_and_route(uow=uow, actor=ADMIN, data=data, now=clock.now()),
    )

    assert bad_fields(error) == {
        "title", "kind", "priority", "urgency", "due_at", "effort_hours",
        "customer_ids[0]", "recurrence.weekdays",
    }  # fmt: skip


def test_a_rep_sees_only_their_tasks_and_may_only_take_one_themselves(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    wang, li = a_rep(uow, clock, "Wang"), a_rep(uow, clock, "Li")
    theirs = _create(uow, clock, assignee_id=li.id)
    actor = _rep_actor(uow, wang)

    with uow, pytest.raises(NotFound):
        workflow.change_status(
            uow=uow, actor=actor, task_id=theirs.id or 0, status="in_progress",
            now=clock.now(),
        )  # fmt: skip
    refused(
        uow,
        PermissionDenied,
        lambda: create_and_route(
            uow=uow,
            actor=actor,
            data=TaskInput(title="x"),
            now=clock.now(),
            assignee_id=li.id,
        ),
    )
    mine = _create(uow, clock, actor, assignee_id=wang.id)
    assert mine.assignee_id == wang.id and mine.created_by == "Wang"


def test_the_status_workflow_refuses_a_jump_and_asks_why_a_task_is_blocked(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock, "Wang")
    task = _create(uow, clock, assignee_id=rep.id)
    actor = _rep_actor(uow, rep)

    def move(status: str, reason: str | None = None) -> Task:
        return workflow.change_status(
            uow=uow, actor=actor, task_id=task.id or 0, status=status, now=clock.now(),
            reason=reason,
        )  # fmt: skip

    assert bad_fields(refused(uow, ValidationFailed, lambda: move("blocked"))) == {"reason"}
    assert bad_fields(refused(uow, ValidationFailed, lambda: move("finished"))) == {"status"}
    assert in_transaction(uow, lambda: move("blocked", "等客户回复")).blocked_reason == "等客户回复"
    done = in_transaction(uow, lambda: move("done"))
    assert (done.completed_at, done.progress, done.blocked_reason) == (clock.now(), 100, None)
    assert bad_fields(refused(uow, ValidationFailed, lambda: move("blocked", "x"))) == {"status"}
    reopened = in_transaction(uow, lambda: move("todo"))
    assert reopened.completed_at is None and reopened.is_open


def test_progress_starts_a_task_and_a_checklist_keeps_who_ticked_it(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock, "Wang")
    task = _create(uow, clock, assignee_id=rep.id, checklist=["准备报价单", " ", "发送"])
    actor, task_id = _rep_actor(uow, rep), task.id or 0

    with uow:
        assert [i.text for i in uow.tasks.items(task_id)] == ["准备报价单", "发送"]
    moved = in_transaction(
        uow,
        lambda: workflow.set_progress(
            uow=uow, actor=actor, task_id=task_id, progress=40, now=clock.now()
        ),
    )
    assert (moved.status, moved.progress) == (TaskStatus.in_progress, 40)
    assert bad_fields(
        refused(
            uow,
            ValidationFailed,
            lambda: workflow.set_progress(
                uow=uow, actor=actor, task_id=task_id, progress=101, now=clock.now()
            ),
        )
    ) == {"progress"}
    with uow:
        first = uow.tasks.items(task_id)[0].id or 0
    ticked = in_transaction(
        uow,
        lambda: workflow.check_item(
            uow=uow, actor=actor, task_id=task_id, item_id=first, done=True, now=clock.now()
        ),
    )
    assert (ticked.done, ticked.done_by, ticked.done_at) == (True, "Wang", clock.now())


def test_a_mention_messages_the_named_user_and_no_one_else(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock, "Wang")
    task = _create(uow, clock, assignee_id=rep.id)
    with uow:
        uow.users.add(User(username="li.lei", password_hash="x", role=Role.manager))
        uow.commit()
        manager = uow.users.by_username("li.lei")
    assert manager is not None
    actor = _rep_actor(uow, rep)

    note = in_transaction(
        uow,
        lambda: workflow.comment(
            uow=uow,
            actor=actor,
            task_id=task.id or 0,
            body="@li.lei 客户要求延期，@nobody 请看",
            now=clock.now(),
        ),
    )

    assert note.mentions == [manager.id]
    [message] = _outbox(uow, EventType.task_reminder)
    assert message["kind"] == "mentioned" and message["user_ids"] == [manager.id]
    assert mentioned_names("@a.b @a.b x@c") == ["a.b", "c"]


def test_complete_then_rate_by_the_creator_and_chase_only_by_an_overseer(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock, "Wang")
    task = _create(uow, clock, assignee_id=rep.id)
    actor, task_id = _rep_actor(uow, rep), task.id or 0

    chased = in_transaction(
        uow,
        lambda: workflow.chase(
            uow=uow, actor=ADMIN, task_id=task_id, now=clock.now(), note="今天下班前"
        ),
    )
    assert chased.is_open
    refused(
        uow,
        PermissionDenied,
        lambda: workflow.chase(uow=uow, actor=actor, task_id=task_id, now=clock.now()),
    )
    error = refused(
        uow,
        ValidationFailed,
        lambda: workflow.rate(
            uow=uow, actor=ADMIN, task_id=task_id, now=clock.now(), quality=5, satisfaction=4
        ),
    )
    assert bad_fields(error) == {"status"}
    done = in_transaction(
        uow,
        lambda: workflow.complete(
            uow=uow, actor=actor, task_id=task_id, now=clock.now(), difficulty=3, note="已报价"
        ),
    )
    assert (done.status, done.difficulty, done.completion_note) == (TaskStatus.done, 3, "已报价")
    refused(
        uow,
        PermissionDenied,
        lambda: workflow.rate(
            uow=uow, actor=actor, task_id=task_id, now=clock.now(), quality=5, satisfaction=5
        ),
    )
    rated = in_transaction(
        uow,
        lambda: workflow.rate(
            uow=uow, actor=ADMIN, task_id=task_id, now=clock.now(), quality=4, satisfaction=5
        ),
    )
    assert (rated.quality, rated.satisfaction, rated.rated_by) == (4, 5, "root")
    kinds = [m["kind"] for m in _outbox(uow, EventType.task_reminder)]
    assert kinds == ["chased", "completed", "rated"]
    assert TaskEventKind.chased in _events(uow, task)
    with uow:
        listed = uow.tasks.find(TaskFilter(statuses=[TaskStatus.done]))
    assert [t.id for t in listed] == [task_id]
