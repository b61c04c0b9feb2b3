"""A recurring task's next occurrence: made when it is finished or cancelled, due on the
pattern's next date at the same local time (Jan 31 → Feb 28 → Mar 31; a holiday moves it
to the next working day when asked), same series, checklist unticked, once."""

from __future__ import annotations

from fenpei.domain.tasks import Task, TaskFilter, TaskOrigin, TaskStatus
from fenpei.domain.users import SYSTEM
from fenpei.services.tasks import workflow
from tests.fakes import in_transaction
from tests.services.test_task_timers import World, sh, w  # noqa: F401  (w: the fixture)

MONTHLY_31 = {"kind": "monthly", "day": 31}


def series(world: World, first: Task) -> list[Task]:
    with world.uow:
        found = world.uow.tasks.find(TaskFilter(), order="new", limit=100)
    return sorted((t for t in found if (t.series_id or t.id) == first.id), key=lambda t: t.id or 0)


def finish(world: World, task: Task) -> None:
    in_transaction(world.uow, lambda: workflow.complete(
        uow=world.uow, actor=SYSTEM, task_id=task.id or 0, now=world.clock.now()))  # fmt: skip


def test_finishing_makes_the_next_one_on_the_pattern_s_date_with_the_checklist_unticked(
    w: World,  # noqa: F811
) -> None:
    w.clock.at = sh(2027, 1, 4, 9, 0)
    first = w.task(assignee=w.wang, priority="high", due_at=sh(2027, 1, 31, 10, 0),
                   recurrence=MONTHLY_31, checklist=["Call", "Write up"])  # fmt: skip
    with w.uow:
        item = w.uow.tasks.items(first.id or 0)[0]
    in_transaction(w.uow, lambda: workflow.check_item(
        uow=w.uow, actor=SYSTEM, task_id=first.id or 0, item_id=item.id or 0, done=True,
        now=w.clock.now()))  # fmt: skip
    finish(w, first)
    _, second = series(w, first)
    assert second.due_at == sh(2027, 2, 28, 10, 0)
    assert (second.origin, second.series_id, second.priority) == (
        TaskOrigin.recurrence,
        first.id,
        first.priority,
    )
    assert second.status is TaskStatus.todo and second.title == first.title
    with w.uow:
        assert [(i.text, i.done) for i in w.uow.tasks.items(second.id or 0)] == [
            ("Call", False), ("Write up", False)]  # fmt: skip
    # Routed again: the engine's placeholder gives it to the customer's owner.
    assert second.assignee_id == w.zhao
    finish(w, second)
    assert series(w, first)[-1].due_at == sh(2027, 3, 31, 10, 0)


def test_cancelling_also_makes_the_next_one_and_reopening_does_not_make_two(
    w: World,  # noqa: F811
) -> None:
    first = w.task(assignee=w.wang, due_at=sh(2026, 12, 7, 9, 0),
                   recurrence={"kind": "days", "every": 3})  # fmt: skip

    def move(status: str) -> None:
        in_transaction(w.uow, lambda: workflow.change_status(
            uow=w.uow, actor=SYSTEM, task_id=first.id or 0, status=status,
            now=w.clock.now()))  # fmt: skip

    move("cancelled")
    move("todo")
    move("done")
    made = series(w, first)
    assert len(made) == 2 and made[1].due_at == sh(2026, 12, 10, 9, 0)


def test_a_holiday_moves_the_next_one_to_a_working_day_and_the_pattern_carries_on(
    w: World,  # noqa: F811
) -> None:
    w.clock.at = sh(2026, 8, 20, 9, 0)
    on_the_first = {"kind": "monthly", "day": 1, "business_days_only": True}
    first = w.task(assignee=w.wang, due_at=sh(2026, 9, 1, 15, 0), recurrence=on_the_first)
    finish(w, first)
    second = series(w, first)[-1]
    assert second.due_at == sh(2026, 10, 8, 15, 0)  # 1-7 October: National Day
    finish(w, second)
    assert series(w, first)[-1].due_at == sh(2026, 11, 2, 15, 0)  # 1 November: a Sunday


def test_a_task_that_does_not_recur_makes_nothing(w: World) -> None:  # noqa: F811
    first = w.task(assignee=w.wang, due_at=sh(2026, 12, 7, 9, 0))
    finish(w, first)
    assert [t.id for t in series(w, first)] == [first.id]
