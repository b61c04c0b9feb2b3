"""Editing a task: the same checks as creation, a history line naming the changed fields,
audited; reassigning by hand and routing again."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fenpei.domain.errors import NotFound, PermissionDenied, ValidationFailed
from fenpei.domain.org import Rep
from fenpei.domain.tasks import Task, TaskEventKind, TaskPriority
from fenpei.domain.users import SYSTEM, Actor, Role, User
from fenpei.services.categories import ensure_default_categories
from fenpei.services.tasks.editing import edit_task, reassign_task, route_again
from fenpei.services.tasks.intake import create_and_route
from fenpei.services.tasks.records import TaskInput
from fenpei.services.tasks.workflow import complete
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import a_customer, a_rep, assigned, bad_fields, refused

ADMIN = Actor("root", Role.admin)


def _rep_actor(uow: FakeUnitOfWork, rep: Rep) -> Actor:
    """The rep's user (stored: a task keeps who created it)."""
    user_id = 100 + (rep.id or 0)
    with uow:
        if uow.users.get(user_id) is None:
            uow.users.add(User(rep.name, "not-a-hash", Role.rep, id=user_id, rep_id=rep.id))
            uow.commit()
    return Actor(rep.name, Role.rep, rep_id=rep.id, user_id=user_id)


@pytest.fixture(autouse=True)
def _categories(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    in_transaction(uow, lambda: ensure_default_categories(uow=uow, actor=SYSTEM, now=clock.now()))


def _task(uow: FakeUnitOfWork, clock: FixedClock, actor: Actor = ADMIN, **fields: object) -> Task:
    data = TaskInput(**{"title": "回电王总", **fields})  # type: ignore[arg-type]
    return in_transaction(
        uow, lambda: create_and_route(uow=uow, actor=actor, data=data, now=clock.now())
    )


def _edit(
    uow: FakeUnitOfWork, clock: FixedClock, task: Task, actor: Actor = ADMIN, **changes: object
) -> Task:
    return in_transaction(
        uow,
        lambda: edit_task(
            uow=uow, actor=actor, task_id=task.id or 0, changes=changes, now=clock.now()
        ),
    )


def test_an_edit_changes_the_fields_and_its_history_line_names_them(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    task = _task(uow, clock)
    clock.advance(timedelta(minutes=5))
    due = clock.now() + timedelta(days=2)

    edited = _edit(
        uow,
        clock,
        task,
        title="  回电李总 ",
        priority="urgent",
        due_at=due,
        kind="visit",
        effort_hours="1.5",
    )

    assert (edited.title, edited.priority, edited.due_at, edited.kind) == (
        "回电李总",
        TaskPriority.urgent,
        due,
        "visit",
    )
    assert str(edited.effort_hours) == "1.50"
    with uow:
        history = uow.tasks.history(task.id or 0)
        audit = [e.action for e in uow.audit.find(object_id=str(task.id))]
    assert history[0].kind is TaskEventKind.edited
    assert history[0].detail["fields"] == ["title", "kind", "priority", "due_at", "effort_hours"]
    assert "update" in audit


def test_an_edit_that_changes_nothing_writes_nothing(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    task = _task(uow, clock, priority="high")
    with uow:
        before = uow.dump()
    _edit(uow, clock, task, title="回电王总", priority="high")
    with uow:
        assert uow.dump() == before


def test_an_edit_names_every_bad_field_and_changes_nothing(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    task = _task(uow, clock)
    error = refused(
        uow,
        ValidationFailed,
        lambda: edit_task(
            uow=uow,
            actor=ADMIN,
            task_id=task.id or 0,
            now=clock.now(),
            changes={
                "title": " ",
                "kind": "nope",
                "urgency": 9,
                "start_at": clock.now(),
                "due_at": clock.now() - timedelta(days=1),
                "customer_ids": [999],
                "colour": "red",
            },
        ),
    )
    assert bad_fields(error) == {"colour"}
    error = refused(
        uow,
        ValidationFailed,
        lambda: edit_task(
            uow=uow,
            actor=ADMIN,
            task_id=task.id or 0,
            now=clock.now(),
            changes={
                "title": " ",
                "kind": "nope",
                "urgency": 9,
                "start_at": clock.now(),
                "due_at": clock.now() - timedelta(days=1),
                "customer_ids": [999],
            },
        ),
    )
    assert bad_fields(error) == {"title", "kind", "urgency", "due_at", "customer_ids[0]"}


def test_relinking_customers_moves_the_main_customer(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    first, second = a_customer(uow, clock, "甲"), a_customer(uow, clock, "乙")
    task = _task(uow, clock, customer_ids=[first.id])

    edited = _edit(uow, clock, task, customer_ids=[second.id, first.id])

    assert edited.customer_id == second.id
    with uow:
        assert uow.tasks.customer_ids([task.id or 0])[task.id or 0] == [second.id, first.id]


def test_the_assignee_works_a_task_but_does_not_edit_it_and_a_stranger_finds_nothing(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    owner, other = a_rep(uow, clock, "Wang"), a_rep(uow, clock, "Li")
    customer = a_customer(uow, clock)
    assigned(uow, clock, customer, owner)
    task = _task(uow, clock, customer_ids=[customer.id])
    assert task.assignee_id == owner.id
    owner_actor, other_actor = _rep_actor(uow, owner), _rep_actor(uow, other)

    refused(
        uow,
        PermissionDenied,
        lambda: edit_task(
            uow=uow,
            actor=owner_actor,
            task_id=task.id or 0,
            changes={"title": "x"},
            now=clock.now(),
        ),
    )
    refused(
        uow,
        NotFound,
        lambda: edit_task(
            uow=uow,
            actor=other_actor,
            task_id=task.id or 0,
            changes={"title": "x"},
            now=clock.now(),
        ),
    )


def test_reassigning_by_hand_records_it_and_a_rep_may_only_take_it_themselves(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    wang, li = a_rep(uow, clock, "Wang"), a_rep(uow, clock, "Li")
    creator = _rep_actor(uow, wang)
    task = _task(uow, clock, actor=creator)

    refused(
        uow,
        PermissionDenied,
        lambda: reassign_task(
            uow=uow, actor=creator, task_id=task.id or 0, rep_id=li.id or 0, now=clock.now()
        ),
    )
    taken = in_transaction(
        uow,
        lambda: reassign_task(
            uow=uow, actor=creator, task_id=task.id or 0, rep_id=wang.id or 0, now=clock.now()
        ),
    )
    assert taken.assignee_id == wang.id
    given = in_transaction(
        uow,
        lambda: reassign_task(
            uow=uow,
            actor=ADMIN,
            task_id=task.id or 0,
            rep_id=li.id or 0,
            now=clock.now(),
            reason="Wang is away",
        ),
    )
    assert given.assignee_id == li.id
    with uow:
        line = uow.tasks.history(task.id or 0)[0]
    assert line.kind is TaskEventKind.reassigned
    assert (line.detail["from_rep_id"], line.detail["to_rep_id"]) == (wang.id, li.id)
    error = refused(
        uow,
        ValidationFailed,
        lambda: reassign_task(
            uow=uow, actor=ADMIN, task_id=task.id or 0, rep_id=li.id or 0, now=clock.now()
        ),
    )
    assert bad_fields(error) == {"rep_id"}


def test_routing_again_follows_the_customers_new_owner_and_refuses_a_closed_task(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    wang, li = a_rep(uow, clock, "Wang"), a_rep(uow, clock, "Li")
    customer = a_customer(uow, clock)
    assigned(uow, clock, customer, wang)
    task = _task(uow, clock, customer_ids=[customer.id])
    assigned(uow, clock, customer, li, reason="Wang moved to another region")

    routed = in_transaction(
        uow, lambda: route_again(uow=uow, actor=ADMIN, task_id=task.id or 0, now=clock.now())
    )

    assert routed.assignee_id == li.id
    assert routed.decision is not None and routed.decision["reason_code"] == "customer_owner"
    in_transaction(
        uow, lambda: complete(uow=uow, actor=ADMIN, task_id=task.id or 0, now=clock.now())
    )
    error = refused(
        uow,
        ValidationFailed,
        lambda: route_again(uow=uow, actor=ADMIN, task_id=task.id or 0, now=clock.now()),
    )
    assert bad_fields(error) == {"status"}


def test_a_new_due_time_rearms_its_reminders_and_clears_the_overdue_mark(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    task = _task(uow, clock, due_at=clock.now() + timedelta(hours=1))

    def remind() -> None:
        stored = uow.tasks.get(task.id or 0)
        assert stored is not None
        stored.before_due_reminded_at = stored.due_reminded_at = clock.now()
        stored.overdue_at = stored.escalated_at = stored.started_reminded_at = clock.now()

    in_transaction(uow, remind)

    edited = _edit(uow, clock, task, due_at=clock.now() + timedelta(days=2))

    assert (edited.before_due_reminded_at, edited.due_reminded_at) == (None, None)
    assert (edited.overdue_at, edited.escalated_at) == (None, None)
    assert edited.started_reminded_at == clock.now()  # the start did not move
