"""Task timers and next steps over HTTP: an admin sets a priority's timers (API and page,
bad values named, nothing changed), a follow-up's next step becomes a task routed to the
customer's owner (API and the customer page's form), and the task's messages reach the
inbox in the reader's language, linking to the task."""

from __future__ import annotations

import re
from datetime import timedelta

from starlette.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.domain.tasks import TaskFilter, TaskOrigin
from fenpei.domain.users import SYSTEM, Role
from fenpei.services import users
from fenpei.services.notifications.dispatch import Outlets, expand
from fenpei.services.tasks.reminders import run_task_timers
from tests.e2e.conftest import World, log_in, page_csrf_token
from tests.e2e.test_api import assert_error
from tests.e2e.test_api_org import API, client_for, ok
from tests.fakes import FixedClock


def test_an_admin_sets_timers_over_the_api_and_bad_values_change_nothing(
    app: Fenpei, seeded: World, user_client: TestClient
) -> None:
    listed = ok(user_client.get(f"{API}/task-timers"))
    assert [t["priority"] for t in listed] == ["urgent", "high", "medium", "low"]
    assert listed[0]["remind_before_hours"] == 1 and listed[0]["reassign_after_hours"] == 8
    low = {"remind_before_hours": 0.5, "overdue_after_hours": 1, "escalate_after_hours": 4}
    saved = ok(user_client.put(f"{API}/task-timers/low", json=low))
    assert (saved["remind_before_hours"], saved["reassign_after_hours"]) == (0.5, None)
    for bad, field in (
        ({"remind_before_hours": 41}, "remind_before_hours"),
        ({"remind_before_hours": 1, "overdue_after_hours": 3, "escalate_after_hours": 2},
         "escalate_after_hours"),
        ({"remind_before_hours": 1, "colour": 1}, "colour"),
    ):  # fmt: skip
        assert_error(user_client.put(f"{API}/task-timers/low", json=bad), 422,
                     "validation_failed", field)  # fmt: skip
    assert (
        user_client.put(f"{API}/task-timers/soon", json={"remind_before_hours": 1}).status_code
        == 422
    )
    low = ok(user_client.get(f"{API}/task-timers"))[3]
    assert (low["remind_before_hours"], low["escalate_after_hours"]) == (0.5, 4)
    rep = client_for(app, "moses", Role.rep, rep_id=seeded.moses_id)
    assert rep.get(f"{API}/task-timers").status_code == 403


def test_the_admin_page_edits_a_priority_s_timers_in_chinese(
    app: Fenpei, seeded: World, user_client: TestClient
) -> None:
    user_client.cookies.set("lang", "zh-CN")
    page = user_client.get("/admin/task-timers")
    assert page.status_code == 200 and "任务提醒与升级" in page.text and "紧急" in page.text
    token = page_csrf_token(user_client, "/admin/task-timers")
    bad = user_client.post("/admin/task-timers/high", data={
        "remind_before_hours": "2", "overdue_after_hours": "5", "escalate_after_hours": "3",
        "csrf_token": token})  # fmt: skip
    assert bad.status_code == 422 and "不能早于逾期时间" in bad.text
    good = user_client.post("/admin/task-timers/high", data={
        "remind_before_hours": "1.5", "overdue_after_hours": "0", "escalate_after_hours": "",
        "reassign_after_hours": "", "csrf_token": token})  # fmt: skip
    assert good.status_code == 303
    shown = user_client.get(good.headers["location"]).text
    assert "已保存任务提醒设置" in shown and 'value="1.5"' in shown


def _tasks(app: Fenpei) -> list:  # type: ignore[type-arg]
    with app.uow(read_only=True) as uow:
        return uow.tasks.find(TaskFilter(), order="new", limit=10)


def test_a_follow_up_s_next_step_over_the_api_is_a_task_for_the_customer_s_owner(
    app: Fenpei, seeded: World, clock: FixedClock
) -> None:
    clock.advance(days=2)
    darcel = client_for(app, "darcel", Role.rep, rep_id=seeded.darcel_id)
    url = f"{API}/customers/{seeded.acme_id}/follow-ups"
    body = {"kind": "phone", "content": "谈了报价", "next_at": "2026-11-09T10:00:00+08:00"}
    assert_error(darcel.post(url, json={**body, "next_step": "x" * 201}), 422,
                 "validation_failed", "next_step")  # fmt: skip
    assert _tasks(app) == []
    logged = ok(darcel.post(url, json={**body, "next_step": "发送修改后的报价"}), 201)
    (task,) = _tasks(app)
    assert logged["next_task_id"] == task.id
    assert (task.title, task.origin, task.origin_ref) == (
        "发送修改后的报价",
        TaskOrigin.follow_up,
        f"follow_up:{logged['id']}",
    )
    assert task.assignee_id == seeded.darcel_id and task.customer_id == seeded.acme_id
    assert task.due_at is not None and task.due_at.isoformat().startswith("2026-11-09T02:00")
    plain = ok(darcel.post(url, json=body), 201)
    assert plain["next_task_id"] is None and len(_tasks(app)) == 1


def test_the_customer_page_form_makes_a_next_step_task_and_its_messages_reach_the_inbox(
    app: Fenpei, seeded: World, clock: FixedClock, client: TestClient
) -> None:
    clock.advance(days=2)
    with app.uow() as uow:
        users.create_user(uow=uow, hasher=app.hasher, username="darcel",
                          password="long enough password", role=Role.rep,
                          rep_id=seeded.darcel_id, actor=SYSTEM, now=clock.at)  # fmt: skip
        uow.commit()
    log_in(client, "long enough password", username="darcel")
    client.cookies.set("lang", "zh-CN")
    page = f"/customers/{seeded.acme_id}"
    assert "下一步（生成任务）" in client.get(page).text
    posted = client.post(f"{page}/follow-ups", data={
        "kind": "phone", "content": "电话沟通", "next_at": "2026-11-06T15:00",
        "next_step": "寄送样品", "csrf_token": page_csrf_token(client, page)})  # fmt: skip
    assert posted.status_code == 303, re.findall(r"field-error[^<]*<", posted.text)
    (task,) = _tasks(app)
    assert task.title == "寄送样品" and task.assignee_id == seeded.darcel_id
    # The due time passes: the task-reminders job tells the assignee.
    clock.at = task.due_at + timedelta(minutes=1)
    assert run_task_timers(uow_factory=app.uow, now=clock.at).reminded == 1
    with app.uow() as uow:
        expand(uow=uow, outlets=Outlets(), now=clock.at)
        uow.commit()
    log_in(client, "long enough password", username="darcel")  # days later: a new session
    inbox = client.get("/inbox").text
    assert f'href="/tasks/{task.id}"' in inbox
    assert "任务「寄送样品」已分配给您" in inbox and "任务「寄送样品」现在到期" in inbox
    listed = ok(client.get(f"{API}/notifications", params={"lang": "en"}))
    texts = {n["text"] for n in listed["items"]}
    assert any(t.startswith("Task “寄送样品” is due now") for t in texts), texts
    links = {n["link"] for n in listed["items"]}
    assert links == {f"/tasks/{task.id}", f"/customers/{seeded.acme_id}"}


def test_an_admin_switches_tasks_from_warnings_over_the_api_and_the_page(
    app: Fenpei, seeded: World, user_client: TestClient
) -> None:
    assert ok(user_client.get(f"{API}/task-origins")) == {"sla": False, "reclaim": False}
    assert ok(user_client.put(f"{API}/task-origins", json={"reclaim": True})) == {
        "sla": False, "reclaim": True}  # fmt: skip
    assert_error(user_client.put(f"{API}/task-origins", json={"sla": "maybe"}), 422,
                 "validation_failed", "sla")  # fmt: skip
    user_client.cookies.set("lang", "zh-CN")
    token = page_csrf_token(user_client, "/admin/task-timers")
    saved = user_client.post("/admin/task-timers/origins", data={"sla": "on", "csrf_token": token})
    assert saved.status_code == 303
    shown = user_client.get(saved.headers["location"]).text
    assert "已保存任务来源设置" in shown and "发出回收预警时，为负责人生成任务" in shown
    assert ok(user_client.get(f"{API}/task-origins")) == {"sla": True, "reclaim": False}


def test_hostile_values_in_the_timer_form_are_refused_cleanly(
    app: Fenpei, seeded: World, user_client: TestClient
) -> None:
    token = page_csrf_token(user_client, "/admin/task-timers")
    for value in ("1\x00", "9" * 5000, "1e999", "NaN", "-0.5", "¹", "1_0"):
        form = {"remind_before_hours": value, "overdue_after_hours": "0", "csrf_token": token}
        sent = user_client.post("/admin/task-timers/urgent", data=form)
        assert sent.status_code == 422, (value, sent.status_code)
    urgent = ok(user_client.get(f"{API}/task-timers"))[0]
    assert urgent["remind_before_hours"] == 1  # unchanged: the default
