"""Follow-ups and stage changes on SQLite and PostgreSQL: the repositories, the reminder
job under a controlled clock (nothing before the date, one reminder at it, none after),
the conditional mark that keeps a reminder to once, reps' loads across won / lost /
reopen, and "my customers" by what is due."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from fenpei.adapters.db import tables
from fenpei.bootstrap import Fenpei
from fenpei.domain.customers import Customer, Stage
from fenpei.domain.events import EventType
from fenpei.domain.org import Rep
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.jobs.registry import follow_up_reminders
from fenpei.services import assignments, org
from fenpei.services.customers import create_customer, list_customers
from fenpei.services.follow_ups.records import record_follow_up
from fenpei.services.follow_ups.stages import change_stage
from fenpei.services.follow_ups.timeline import ItemKind, timeline
from fenpei.services.loads import check_loads
from fenpei.services.ports import CustomerQuery
from tests.fakes import FixedClock


def _owned(app: Fenpei, name: str, rep: Rep | None = None) -> tuple[Rep, Customer]:
    with app.uow() as uow:
        if rep is None:
            rep = org.create_rep(
                uow=uow, fields={"name": f"Rep {name}"}, actor=SYSTEM, now=app.now()
            )
        customer = create_customer(uow=uow, fields={"name": name}, actor=SYSTEM, now=app.now())
        uow.commit()
    assert rep.id is not None and customer.id is not None
    with app.uow() as uow:
        assignments.assign(
            uow=uow, customer_id=customer.id, rep_id=rep.id, actor=SYSTEM, now=app.now()
        )
        uow.commit()
    return rep, customer


def _as(rep: Rep) -> Actor:
    return Actor(rep.name, Role.rep, rep_id=rep.id)


def _log(app: Fenpei, rep: Rep, customer: Customer, **fields: object) -> None:
    values: dict[str, Any] = {"kind": "phone", "at": app.now(), "content": "电话沟通"}
    values.update(fields)
    with app.uow() as uow:
        record_follow_up(
            uow=uow, customer_id=customer.id or 0, actor=_as(rep), now=app.now(), **values
        )
        uow.commit()


def _reminders(app: Fenpei) -> list[dict[str, object]]:
    with app.engine.connect() as connection:
        rows = connection.execute(
            sa.select(tables.outbox_events.c.payload).where(
                tables.outbox_events.c.type == EventType.reminder
            )
        )
        return [row.payload for row in rows]


def test_follow_ups_and_stage_changes_are_stored_and_read_newest_first(
    app: Fenpei, clock: FixedClock
) -> None:
    rep, customer = _owned(app, "Li Lei")
    for hours, text in ((3, "第一次"), (2, "第二次"), (1, "第三次")):
        _log(app, rep, customer, at=clock.now() - timedelta(hours=hours), content=text)
    with app.uow() as uow:
        change_stage(uow=uow, customer_id=customer.id or 0, to="lost", reason="预算砍了",
                     actor=_as(rep), now=clock.now())  # fmt: skip
        uow.commit()

    with app.uow(read_only=True) as uow:
        newest = uow.follow_ups.for_customer(customer.id or 0, limit=2)
        changes = uow.stage_changes.for_customer(customer.id or 0, limit=10)
        counts = (
            uow.follow_ups.count_for(customer.id or 0),
            uow.stage_changes.count_for(customer.id or 0),
        )
        page = timeline(uow=uow, customer_id=customer.id or 0, actor=_as(rep), limit=3)
        stored = uow.customers.get(customer.id or 0)

    assert [f.content for f in newest] == ["第三次", "第二次"]
    assert [(c.from_stage, c.to_stage, c.reason) for c in changes] == [
        (Stage.contacted, Stage.lost, "预算砍了"),
        (Stage.new, Stage.contacted, "first follow-up"),
    ]
    assert counts == (3, 2)
    # The assignment and the loss happened now; the follow-ups were logged back-dated.
    assert [i.kind for i in page.items] == [
        ItemKind.stage_change,
        ItemKind.assignment,
        ItemKind.follow_up,
    ]
    assert page.total == 6  # one assignment, three follow-ups, two stage changes
    assert stored is not None and stored.closed_at == clock.now()
    assert stored.last_follow_up_at == clock.now() - timedelta(hours=1)


def test_the_reminder_job_reminds_once_when_the_date_comes(app: Fenpei, clock: FixedClock) -> None:
    rep, customer = _owned(app, "Han Meimei")
    due = clock.now() + timedelta(days=1)
    _log(app, rep, customer, next_at=due)

    clock.at = due - timedelta(minutes=1)
    assert follow_up_reminders(app).startswith("0 reminders")
    assert _reminders(app) == []

    clock.at = due
    assert follow_up_reminders(app).startswith("1 reminders")
    clock.advance(minutes=15)
    assert follow_up_reminders(app).startswith("0 reminders")

    [reminder] = _reminders(app)
    assert (reminder["kind"], reminder["customer_id"], reminder["rep_ids"]) == (
        "follow_up_due", customer.id, [rep.id],
    )  # fmt: skip


def test_a_second_mark_of_the_same_follow_ups_marks_nothing(app: Fenpei, clock: FixedClock) -> None:
    rep, customer = _owned(app, "Zhang Wei")
    _log(app, rep, customer, next_at=clock.now() + timedelta(hours=1))
    clock.advance(hours=2)
    with app.uow(read_only=True) as uow:
        [due] = uow.follow_ups.due_for_reminder(now=clock.now(), limit=10)
    assert due.id is not None

    marked = []
    for _ in range(2):  # two runners that both read the row as due
        with app.uow() as uow:
            marked.append(uow.follow_ups.mark_reminded([due.id], at=clock.now()))
            uow.commit()

    assert marked == [[due.id], []]
    with app.uow(read_only=True) as uow:
        assert uow.follow_ups.due_for_reminder(now=clock.now(), limit=10) == []


def test_won_lost_and_reopened_customers_keep_the_loads_right(
    app: Fenpei, clock: FixedClock
) -> None:
    rep, customer = _owned(app, "Wang Fang")

    def open_count() -> int:
        with app.uow(read_only=True) as uow:
            check = check_loads(uow=uow, now=clock.now())
            assert check.drifts == []
            return uow.routing.loads(now=clock.now(), rep_ids=[rep.id or 0])[
                rep.id or 0
            ].usage.open_count

    assert open_count() == 1
    for to, reason, expected in (("won", None, 0), ("qualified", "续约", 1), ("lost", "没预算", 0)):
        with app.uow() as uow:
            change_stage(uow=uow, customer_id=customer.id or 0, to=to, reason=reason,
                         actor=_as(rep), now=clock.now())  # fmt: skip
            uow.commit()
        assert open_count() == expected, to


def test_my_customers_sort_by_what_is_due_with_nothing_planned_last(
    app: Fenpei, clock: FixedClock
) -> None:
    rep, _ = _owned(app, "Unplanned")
    _, later = _owned(app, "Later", rep)
    _, overdue = _owned(app, "Overdue", rep)
    _log(app, rep, later, next_at=clock.now() + timedelta(days=5))
    _log(app, rep, overdue, next_at=clock.now() + timedelta(hours=1))
    clock.advance(days=1)

    query = CustomerQuery(owner_id=rep.id, sort="next_follow_up_at")
    with app.uow(read_only=True) as uow:
        found, total = list_customers(uow=uow, query=query, actor=_as(rep))

    assert [c.name for c in found] == ["Overdue", "Later", "Unplanned"] and total == 3
