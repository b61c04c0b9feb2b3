"""The task pages: my tasks, the board, the calendar, the form and a task's page — in
scope for each role, forms that validate and save, a board move, month boundaries."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.domain.tasks import TaskFilter, TaskStatus
from fenpei.domain.users import SYSTEM, Role
from fenpei.services import org, users
from fenpei.services.tasks.intake import create_and_route
from fenpei.services.tasks.records import TaskInput
from tests.e2e._visible_text import foreign_words
from tests.e2e.conftest import ADMIN_PASSWORD, World, log_in
from tests.fakes import FixedClock

_LOCATION = re.compile(r"^/tasks/(\d+)\?created=1$")


def _user(app: Fenpei, clock: FixedClock, name: str, role: Role, rep_id: int | None) -> None:
    with app.uow() as uow:
        users.create_user(
            uow=uow, hasher=app.hasher, username=name, password=ADMIN_PASSWORD, role=role,
            rep_id=rep_id, actor=SYSTEM, now=clock.at,
        )  # fmt: skip
        uow.commit()


def _task(app: Fenpei, clock: FixedClock, title: str, rep_id: int, **fields: object) -> int:
    with app.uow() as uow:
        task = create_and_route(
            uow=uow, actor=SYSTEM, data=TaskInput(title=title, **fields),  # type: ignore[arg-type]
            now=clock.at, assignee_id=rep_id,
        )  # fmt: skip
        uow.commit()
        assert task.id is not None
        return task.id


def test_a_task_created_from_the_customer_page_is_routed_to_its_owner_and_says_why(
    app: Fenpei, clock: FixedClock, client: TestClient, seeded: World
) -> None:
    log_in(client)
    client.cookies.set("lang", "zh-CN")
    customer_page = client.get(f"/customers/{seeded.acme_id}").text
    form = client.get(f"/tasks/new?customer={seeded.acme_id}").text

    made = client.post(
        "/tasks/new",
        data={"title": "回访报价", "priority": "high", "customers": str(seeded.acme_id),
              "due_at": "2026-11-10T10:00", "checklist": "准备报价单\n打电话", "assignee": ""},
    )  # fmt: skip
    found = _LOCATION.match(made.headers["location"])
    assert made.status_code == 303 and found
    page = client.get(made.headers["location"]).text

    assert f'href="/tasks/new?customer={seeded.acme_id}"' in customer_page
    assert f'value="{seeded.acme_id}"' in form
    assert "回访报价" in page and "Darcel Schlecht" in page
    assert "是该任务关联客户的负责人" in page  # the why: the customer's owner
    assert "准备报价单" in page and "任务已创建" in page
    assert "回访报价" in client.get(f"/customers/{seeded.acme_id}").text
    assert not foreign_words(
        page, data=["Acme", "Darcel Schlecht", "Ada Admin", "East", "admin", "Asia/Shanghai"]
    )


def test_a_bad_task_form_names_each_field_and_saves_nothing(
    app: Fenpei, client: TestClient, seeded: World
) -> None:
    log_in(client)
    client.cookies.set("lang", "zh-CN")

    bad = client.post(
        "/tasks/new",
        data={"title": " ", "priority": "high", "customers": "999999", "effort_hours": "-2",
              "start_at": "2026-11-10T10:00", "due_at": "2026-11-09T10:00"},
    )  # fmt: skip

    assert bad.status_code == 422
    for field in ("title", "customers", "effort_hours", "due_at"):
        assert f'id="te-{field}"' in bad.text, field
    assert "没有这个客户" in bad.text and "不能早于开始时间" in bad.text
    with app.uow(read_only=True) as uow:
        assert uow.tasks.count(TaskFilter()) == 0 and uow.tasks.find(TaskFilter()) == []


def test_my_tasks_shows_a_rep_only_their_own_in_sections_and_overdue_in_words(
    app: Fenpei, clock: FixedClock, client: TestClient, seeded: World
) -> None:
    _user(app, clock, "darcel", Role.rep, seeded.darcel_id)
    late = _task(app, clock, "逾期回电", seeded.darcel_id, due_at=clock.at - timedelta(hours=2))
    _task(app, clock, "今天拜访", seeded.darcel_id, due_at=clock.at + timedelta(minutes=30))
    _task(app, clock, "没有期限", seeded.darcel_id)
    other = _task(app, clock, "别人的任务", seeded.moses_id)
    log_in(client, username="darcel")
    client.cookies.set("lang", "zh-CN")

    page = client.get("/tasks").text
    theirs = client.get(f"/tasks/{other}")

    assert "逾期回电" in page and "今天拜访" in page and "没有期限" in page
    assert "别人的任务" not in page
    assert page.index("逾期回电") < page.index("今天拜访") < page.index("没有期限")
    assert "已逾期" in page and "无截止时间" in page
    assert theirs.status_code == 404
    assert client.get(f"/tasks/{late}").status_code == 200
    assert "别人的任务" not in client.get("/tasks/board").text
    assert "别人的任务" not in client.get(f"/tasks?rep={seeded.moses_id}").text


def test_an_admin_filters_by_rep_priority_and_text(
    app: Fenpei, clock: FixedClock, client: TestClient, seeded: World
) -> None:
    _task(app, clock, "Call Acme", seeded.darcel_id, priority="urgent")
    _task(app, clock, "Visit Globex", seeded.moses_id, priority="low")
    log_in(client)

    by_rep = client.get(f"/tasks?rep={seeded.moses_id}").text
    urgent = client.get("/tasks?priority=urgent").text
    text = client.get("/tasks?q=globex").text
    fragment = client.get("/tasks?q=acme", headers={"HX-Request": "true"}).text
    bad = client.get("/tasks?priority=soon")

    assert "Visit Globex" in by_rep and "Call Acme" not in by_rep
    assert "Call Acme" in urgent and "Visit Globex" not in urgent
    assert "Visit Globex" in text and "Call Acme" not in text
    assert fragment.startswith('<div id="task-results">') and "Call Acme" in fragment
    assert bad.status_code == 422


def test_the_board_moves_a_card_and_shows_a_refused_move_on_the_card(
    app: Fenpei, clock: FixedClock, client: TestClient, seeded: World
) -> None:
    task_id = _task(app, clock, "Board card", seeded.darcel_id)
    log_in(client)
    client.cookies.set("lang", "zh-CN")
    assert f'id="task-{task_id}"' in client.get("/tasks/board").text

    moved = client.post(f"/tasks/{task_id}/status", data={"status": "in_progress", "back": "board"},
                        headers={"HX-Request": "true"})  # fmt: skip
    blocked = client.post(f"/tasks/{task_id}/status", data={"status": "blocked", "back": "board"})
    done = client.post(f"/tasks/{task_id}/status", data={"status": "done", "back": "board"})
    refused = client.post(f"/tasks/{task_id}/status", data={"status": "blocked", "back": "board"})

    assert moved.status_code == 200 and moved.text.startswith('<div id="board"')
    assert blocked.status_code == 422 and "请说明受阻原因" in blocked.text
    assert done.status_code == 303
    assert refused.status_code == 422 and f'id="move-e-{task_id}"' in refused.text
    assert "不能从“已完成”改为“受阻”" in refused.text or "不能从" in refused.text
    with app.uow(read_only=True) as uow:
        task = uow.tasks.get(task_id)
        assert task is not None and task.status is TaskStatus.done


def test_the_calendar_puts_tasks_on_their_local_day_and_crosses_months(
    app: Fenpei, clock: FixedClock, client: TestClient, seeded: World
) -> None:
    # 2026-11-30 23:30 in Shanghai is 15:30 UTC: it belongs to November, not December.
    _task(
        app, clock, "Month end", seeded.darcel_id, due_at=datetime(2026, 11, 30, 15, 30, tzinfo=UTC)
    )
    _task(
        app, clock, "New month", seeded.darcel_id, due_at=datetime(2026, 11, 30, 16, 30, tzinfo=UTC)
    )
    log_in(client)

    november = client.get("/tasks/calendar?month=2026-11").text
    december = client.get("/tasks/calendar?month=2026-12").text
    bad = client.get("/tasks/calendar?month=2026-13")

    assert "Month end" in november and "New month" not in november
    assert "New month" in december and "Month end" not in december
    assert 'href="/tasks/calendar?month=2026-10"' in november
    assert 'href="/tasks/calendar?month=2027-01"' in december
    assert bad.status_code == 422


def test_the_assignee_completes_and_the_manager_rates(
    app: Fenpei, clock: FixedClock, client: TestClient, seeded: World
) -> None:
    _user(app, clock, "darcel", Role.rep, seeded.darcel_id)
    task_id = _task(app, clock, "Finish me", seeded.darcel_id)
    log_in(client, username="darcel")
    client.cookies.set("lang", "zh-CN")

    bad = client.post(f"/tasks/{task_id}/complete", data={"difficulty": "9"})
    done = client.post(f"/tasks/{task_id}/complete", data={"difficulty": "4", "note": "很难"})
    rate_as_rep = client.post(f"/tasks/{task_id}/rate", data={"quality": "5", "satisfaction": "5"})
    log_in(client)
    bad_rating = client.post(f"/tasks/{task_id}/rate", data={"quality": "5"})
    rated = client.post(f"/tasks/{task_id}/rate", data={"quality": "5", "satisfaction": "4"})
    page = client.get(f"/tasks/{task_id}").text

    assert bad.status_code == 422 and 'id="complete-e-difficulty"' in bad.text
    assert done.status_code == 303
    assert rate_as_rep.status_code == 403
    assert bad_rating.status_code == 422 and 'id="rate-e-satisfaction"' in bad_rating.text
    assert rated.status_code == 303
    assert "质量 5 分，满意度 4 分" in page and "完成了任务，难度 4" in page
    with app.uow(read_only=True) as uow:
        task = uow.tasks.get(task_id)
        assert task is not None and (task.difficulty, task.quality, task.satisfaction) == (4, 5, 4)


def test_checklist_comments_progress_and_chase_from_the_task_page(
    app: Fenpei, clock: FixedClock, client: TestClient, seeded: World
) -> None:
    task_id = _task(app, clock, "Work me", seeded.darcel_id, checklist=("first",))
    log_in(client)
    client.cookies.set("lang", "zh-CN")
    with app.uow(read_only=True) as uow:
        item_id = uow.tasks.items(task_id)[0].id

    assert client.post(f"/tasks/{task_id}/checklist", data={"text": "second"}).status_code == 303
    assert (
        client.post(f"/tasks/{task_id}/checklist/{item_id}", data={"done": "1"}).status_code == 303
    )
    assert client.post(f"/tasks/{task_id}/checklist", data={"text": " "}).status_code == 422
    assert client.post(f"/tasks/{task_id}/progress", data={"progress": "140"}).status_code == 422
    assert client.post(f"/tasks/{task_id}/progress", data={"progress": "40"}).status_code == 303
    assert (
        client.post(f"/tasks/{task_id}/comments", data={"body": "@admin 看看"}).status_code == 303
    )
    assert client.post(f"/tasks/{task_id}/chase", data={"note": "快点"}).status_code == 303
    page = client.get(f"/tasks/{task_id}").text

    assert "second" in page and "@admin 看看" in page
    assert "催办了任务" in page and "进度从 0% 改为 40%" in page
    with app.uow(read_only=True) as uow:
        items = uow.tasks.items(task_id)
        task = uow.tasks.get(task_id)
        assert [i.done for i in items] == [True, False]
        assert task is not None and task.progress == 40 and task.status is TaskStatus.in_progress


HOSTILE = ["\x00", "a" * 50_000, "-1", "1e309", "９", "２０２６-01-01T10:00", "<script>x</script>"]
FORMS = {
    "/tasks/new": ("title", "description", "kind", "category", "priority", "urgency",
                   "customers", "assignee", "start_at", "due_at", "effort_hours", "checklist",
                   "repeat", "every", "day", "weekdays"),
    "/tasks/{id}/status": ("status", "reason", "back", "rep", "team"),
    "/tasks/{id}/progress": ("progress",),
    "/tasks/{id}/checklist": ("text",),
    "/tasks/{id}/comments": ("body",),
    "/tasks/{id}/complete": ("difficulty", "note"),
    "/tasks/{id}/chase": ("note",),
}  # fmt: skip


def test_hostile_values_in_every_task_form_field_are_refused_without_a_500_or_a_change(
    app: Fenpei, clock: FixedClock, client: TestClient, seeded: World
) -> None:
    task_id = _task(app, clock, "Target", seeded.darcel_id)
    log_in(client)
    base = {"title": "ok", "status": "in_progress", "progress": "10", "text": "x", "body": "x"}

    answers: dict[str, int] = {}
    for path, fields in FORMS.items():
        for field in fields:
            for value in HOSTILE:
                with app.uow(read_only=True) as uow:
                    before = (uow.tasks.count(TaskFilter()), len(uow.tasks.history(task_id)))
                sent = client.post(path.format(id=task_id), data={**base, field: value})
                with app.uow(read_only=True) as uow:
                    after = (uow.tasks.count(TaskFilter()), len(uow.tasks.history(task_id)))
                key = f"{path} {field}={value[:12]!r}"
                answers[key] = sent.status_code
                assert sent.status_code < 500, key
                if sent.status_code >= 400:
                    assert before == after, key
                if value == "\x00" and field in ("title", "reason", "text", "body", "note"):
                    assert sent.status_code == 422, key

    assert set(answers.values()) <= {303, 200, 422}


def test_a_manager_sees_their_teams_tasks_and_not_another_teams(
    app: Fenpei, clock: FixedClock, client: TestClient, seeded: World
) -> None:
    _user(app, clock, "mia", Role.manager, None)
    with app.uow() as uow:
        mia = uow.users.by_username("mia")
        east = uow.teams.get(seeded.team_id)
        assert mia is not None and east is not None
        east.manager_user_id = mia.id
        west = org.create_team(uow=uow, name="West", actor=SYSTEM, now=clock.at)
        rosie = org.create_rep(
            uow=uow, fields={"name": "Rosie", "team_id": west.id}, actor=SYSTEM, now=clock.at
        )
        uow.commit()
        assert rosie.id is not None and west.id is not None
        rosie_id, west_id = rosie.id, west.id
    _task(app, clock, "East work", seeded.moses_id)
    west_task = _task(app, clock, "West work", rosie_id)
    log_in(client, username="mia")

    listed = client.get("/tasks").text
    board = client.get("/tasks/board").text
    asked_for_west = client.get(f"/tasks?team={west_id}").text

    assert "East work" in listed and "West work" not in listed
    assert "East work" in board and "West work" not in board
    assert "West work" not in asked_for_west
    assert client.get(f"/tasks/{west_task}").status_code == 404
    assert client.post(f"/tasks/{west_task}/chase", data={"note": "x"}).status_code == 404
