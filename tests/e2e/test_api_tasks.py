"""Tasks over HTTP, on SQLite and PostgreSQL: created and routed to the customer's owner,
listed with filters in each one's scope, worked through the status workflow, completed,
rated, chased and commented on (with the messages that go out), edited, reassigned; the
statistics checked against a hand-built scenario."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from fenpei.adapters.db import tables as t
from fenpei.bootstrap import Fenpei
from fenpei.domain.users import SYSTEM, Role
from fenpei.services import org
from tests.e2e.conftest import World, asgi_app
from tests.e2e.test_api import assert_error
from tests.e2e.test_api_org import API, client_for, ok, user_id
from tests.e2e.test_api_tokens import make_token
from tests.e2e.test_api_webhooks import signed_headers
from tests.fakes import FixedClock

TASKS = f"{API}/tasks"


@dataclass
class People:
    admin: TestClient
    moses: TestClient  # rep, East
    darcel: TestClient  # rep, East; owns Acme
    mia: TestClient  # East's manager
    wes: TestClient  # a manager of no team
    auditor: TestClient


@pytest.fixture
def people(app: Fenpei, seeded: World, user_client: TestClient) -> People:
    mia = client_for(app, "mia", Role.manager)
    with app.uow() as uow:
        org.update_team(
            uow=uow,
            team_id=seeded.team_id,
            actor=SYSTEM,
            now=app.now(),
            fields={"manager_user_id": user_id(app, "mia")},
        )
        uow.commit()
    return People(
        admin=user_client,
        moses=client_for(app, "moses", Role.rep, rep_id=seeded.moses_id),
        darcel=client_for(app, "darcel", Role.rep, rep_id=seeded.darcel_id),
        mia=mia,
        wes=client_for(app, "wes", Role.manager),
        auditor=client_for(app, "audrey", Role.auditor),
    )


def _events(app: Fenpei, kind: str) -> list[dict[str, Any]]:
    """The payloads of the outbox events of type ``kind`` (what will be messaged)."""
    with app.engine.connect() as connection:
        rows = connection.execute(
            sa.select(t.outbox_events.c.payload)
            .where(t.outbox_events.c.type == kind)
            .order_by(t.outbox_events.c.id)
        )
        return [row[0] for row in rows]


def test_a_task_about_a_customer_goes_to_its_owner_with_the_reason(
    app: Fenpei, seeded: World, people: People
) -> None:
    body = {
        "title": "回电确认报价",
        "kind": "call_back",
        "priority": "high",
        "customer_ids": [seeded.acme_id],
        "due_at": "2026-11-05T18:00:00+08:00",
        "checklist": ["报价单", "合同草稿"],
    }

    created = ok(people.admin.post(TASKS, json=body), 201)
    shown = ok(people.darcel.get(f"{TASKS}/{created['id']}"))

    assert created["assignee_id"] == seeded.darcel_id
    assert created["assignee_name"] == "Darcel Schlecht"
    assert created["decision"]["reason_code"] == "customer_owner"
    assert created["customer_ids"] == [seeded.acme_id]
    assert created["due_at"].startswith("2026-11-05T10:00")
    assert [i["text"] for i in shown["checklist"]] == ["报价单", "合同草稿"]
    assert [e["kind"] for e in shown["history"]] == ["assigned", "created"]
    assigned = _events(app, "task.assigned")
    assert [(e["task_id"], e["to_rep_id"]) for e in assigned] == [(created["id"], seeded.darcel_id)]


def test_scope_a_rep_sees_theirs_a_manager_their_teams_others_find_nothing(
    seeded: World, people: People
) -> None:
    darcels = ok(
        people.admin.post(TASKS, json={"title": "A", "customer_ids": [seeded.acme_id]}), 201
    )
    moses_own = ok(
        people.moses.post(TASKS, json={"title": "B", "assignee_id": seeded.moses_id}), 201
    )
    unassigned = ok(people.admin.post(TASKS, json={"title": "C"}), 201)

    def ids(client: TestClient, **params: Any) -> list[int]:
        return sorted(i["id"] for i in ok(client.get(TASKS, params=params))["items"])

    assert ids(people.darcel) == [darcels["id"]]
    assert ids(people.moses) == [moses_own["id"]]
    assert ids(people.mia) == sorted([darcels["id"], moses_own["id"]])
    assert ids(people.wes) == []
    assert ids(people.admin) == sorted([darcels["id"], moses_own["id"], unassigned["id"]])
    assert ids(people.admin, mine=True) == []
    assert ids(people.moses, mine=True) == [moses_own["id"]]
    for outsider, task in (
        (people.moses, darcels),
        (people.wes, darcels),
        (people.darcel, unassigned),
    ):
        assert_error(outsider.get(f"{TASKS}/{task['id']}"), 404, "not_found")
        assert_error(
            outsider.post(f"{TASKS}/{task['id']}/status", json={"status": "done"}), 404, "not_found"
        )
    assert_error(
        people.moses.post(TASKS, json={"title": "D", "assignee_id": seeded.darcel_id}),
        403,
        "permission_denied",
    )
    assert_error(people.auditor.post(TASKS, json={"title": "E"}), 403, "permission_denied")
    listed = ok(people.auditor.get(TASKS))
    assert listed["total"] == 3, listed


def test_filters_narrow_the_list_and_page_it(
    seeded: World, people: People, clock: FixedClock
) -> None:
    now = clock.now()
    made = []
    for n, (priority, kind, days) in enumerate(
        [("urgent", "visit", -1), ("low", "call_back", 2), ("high", "visit", 5)]
    ):
        made.append(
            ok(
                people.admin.post(
                    TASKS,
                    json={
                        "title": f"任务 {n}",
                        "priority": priority,
                        "kind": kind,
                        "due_at": (now + timedelta(days=days)).isoformat(),
                        "customer_ids": [seeded.acme_id] if n else [],
                    },
                ),
                201,
            )["id"]
        )

    def ids(**params: Any) -> list[int]:
        return [i["id"] for i in ok(people.admin.get(TASKS, params=params))["items"]]

    assert ids() == made  # by due time
    assert ids(order="priority") == [made[0], made[2], made[1]]
    assert ids(kind="visit") == [made[0], made[2]]
    assert ids(priority="low") == [made[1]]
    assert ids(overdue=True) == [made[0]]
    assert ids(customer_id=seeded.acme_id) == made[1:]
    assert ids(assignee_id=seeded.darcel_id) == made[1:]
    assert ids(due_from=now.isoformat(), due_before=(now + timedelta(days=3)).isoformat()) == [
        made[1]
    ]
    assert ids(q="任务 2") == [made[2]]
    page = ok(people.admin.get(TASKS, params={"limit": 2, "offset": 2}))
    assert (page["total"], [i["id"] for i in page["items"]]) == (3, [made[2]])
    assert_error(
        people.admin.get(TASKS, params={"status": "sleeping"}), 422, "validation_failed", "status"
    )
    assert_error(
        people.admin.get(
            TASKS, params={"due_from": now.isoformat(), "due_before": now.isoformat()}
        ),
        422,
        "validation_failed",
        "due_before",
    )


def test_the_status_workflow_refuses_a_bad_move_naming_status_and_changes_nothing(
    seeded: World, people: People
) -> None:
    task = ok(people.darcel.post(TASKS, json={"title": "T", "assignee_id": seeded.darcel_id}), 201)
    url = f"{TASKS}/{task['id']}"

    assert_error(
        people.darcel.post(f"{url}/status", json={"status": "blocked"}),
        422,
        "validation_failed",
        "reason",
    )
    blocked = ok(
        people.darcel.post(f"{url}/status", json={"status": "blocked", "reason": "等客户"})
    )
    assert (blocked["status"], blocked["blocked_reason"]) == ("blocked", "等客户")
    progressed = ok(people.darcel.post(f"{url}/progress", json={"progress": 40}))
    assert progressed["progress"] == 40
    cancelled = ok(people.darcel.post(f"{url}/status", json={"status": "cancelled"}))
    assert cancelled["status"] == "cancelled"
    for bad in ("blocked", "done", "cancelled", "sleeping"):
        assert_error(
            people.darcel.post(f"{url}/status", json={"status": bad}),
            422,
            "validation_failed",
            "status",
        )
    assert_error(
        people.darcel.post(f"{url}/progress", json={"progress": 50}),
        422,
        "validation_failed",
        "progress",
    )
    after = ok(people.darcel.get(url))
    assert (after["status"], after["progress"]) == ("cancelled", 40)
    assert ok(people.darcel.post(f"{url}/status", json={"status": "todo"}))["status"] == "todo"


def test_complete_then_rate_only_by_the_creator_a_manager_or_an_admin(
    app: Fenpei, seeded: World, people: People
) -> None:
    task = ok(people.mia.post(TASKS, json={"title": "拜访", "assignee_id": seeded.darcel_id}), 201)
    url = f"{TASKS}/{task['id']}"

    assert_error(
        people.mia.post(f"{url}/rate", json={"quality": 4, "satisfaction": 5}),
        422,
        "validation_failed",
        "status",
    )
    done = ok(people.darcel.post(f"{url}/complete", json={"difficulty": 3, "note": "顺利"}))
    assert (done["status"], done["difficulty"], done["progress"]) == ("done", 3, 100)
    assert_error(
        people.darcel.post(f"{url}/rate", json={"quality": 5, "satisfaction": 5}),
        403,
        "permission_denied",
    )
    assert_error(
        people.mia.post(f"{url}/rate", json={"quality": 9, "satisfaction": 5}),
        422,
        "validation_failed",
        "quality",
    )
    rated = ok(people.mia.post(f"{url}/rate", json={"quality": 4, "satisfaction": 5}))
    assert (rated["quality"], rated["satisfaction"], rated["rated_by"]) == (4, 5, "mia")
    kinds = [e["kind"] for e in _events(app, "task.reminder")]
    assert "rated" in kinds


def test_a_chase_is_recorded_and_messaged_and_a_mention_is_messaged(
    app: Fenpei, seeded: World, people: People
) -> None:
    task = ok(people.admin.post(TASKS, json={"title": "T", "customer_ids": [seeded.acme_id]}), 201)
    url = f"{TASKS}/{task['id']}"

    assert_error(people.darcel.post(f"{url}/chase", json={}), 403, "permission_denied")
    chased = ok(people.mia.post(f"{url}/chase", json={"note": "今天下班前完成"}))
    comment = ok(people.darcel.post(f"{url}/comments", json={"body": "@mia 客户改期了"}), 201)

    assert chased["history"][0]["kind"] == "chased"
    assert chased["history"][0]["detail"]["note"] == "今天下班前完成"
    assert comment["mentions"] == [user_id(app, "mia")]
    messages = {e["kind"]: e for e in _events(app, "task.reminder")}
    assert messages["chased"]["rep_ids"] == [seeded.darcel_id]
    assert messages["mentioned"]["user_ids"] == [user_id(app, "mia")]


def test_edit_reassign_route_again_and_the_checklist(seeded: World, people: People) -> None:
    task = ok(people.admin.post(TASKS, json={"title": "T", "customer_ids": [seeded.acme_id]}), 201)
    url = f"{TASKS}/{task['id']}"

    edited = ok(people.mia.patch(url, json={"title": "T2", "urgency": 5, "effort_hours": 2.5}))
    assert (edited["title"], edited["urgency"], edited["effort_hours"]) == ("T2", 5, 2.5)
    assert edited["history"][0]["detail"]["fields"] == ["title", "urgency", "effort_hours"]
    assert_error(people.darcel.patch(url, json={"title": "mine"}), 403, "permission_denied")
    assert_error(people.mia.patch(url, json={"kind": "nope"}), 422, "validation_failed", "kind")
    assert_error(people.mia.patch(url, json={"colour": "red"}), 422, "validation_failed", "colour")
    moved = ok(people.mia.post(f"{url}/assign", json={"rep_id": seeded.moses_id, "reason": "忙"}))
    assert moved["assignee_id"] == seeded.moses_id
    back = ok(people.mia.post(f"{url}/route"))
    assert back["assignee_id"] == seeded.darcel_id
    item = ok(people.darcel.post(f"{url}/checklist", json={"text": "打电话"}), 201)
    ticked = ok(people.darcel.patch(f"{url}/checklist/{item['id']}", json={"done": True}))
    assert (ticked["done"], ticked["done_by"]) == (True, "darcel")
    ok(people.darcel.delete(f"{url}/checklist/{item['id']}"), 204)
    assert ok(people.darcel.get(url))["checklist"] == []
    assert_error(people.darcel.delete(f"{url}/checklist/{item['id']}"), 404, "not_found")


def test_statistics_match_a_hand_built_scenario(
    seeded: World, people: People, clock: FixedClock
) -> None:
    def task(client: TestClient, rep: int, due_in_hours: int | None) -> str:
        due = None if due_in_hours is None else (clock.now() + timedelta(hours=due_in_hours))
        body = {"title": "S", "assignee_id": rep, "due_at": due.isoformat() if due else None}
        return f"{TASKS}/{ok(client.post(TASKS, json=body), 201)['id']}"

    on_time = task(people.mia, seeded.darcel_id, 4)
    late = task(people.mia, seeded.darcel_id, 1)
    task(people.mia, seeded.darcel_id, 1)  # stays open: overdue at the end
    moses_task = task(people.mia, seeded.moses_id, None)
    clock.advance(hours=2)
    ok(people.darcel.post(f"{on_time}/complete", json={"difficulty": 2}))
    ok(people.mia.post(f"{on_time}/rate", json={"quality": 5, "satisfaction": 4}))
    ok(people.moses.post(f"{moses_task}/complete", json={"difficulty": 5}))
    clock.advance(hours=2)
    ok(people.darcel.post(f"{late}/complete", json={}))
    ok(people.mia.post(f"{late}/rate", json={"quality": 2, "satisfaction": 2}))

    report = ok(people.mia.get(f"{TASKS}/stats"))
    darcel = next(r for r in report["reps"] if r["rep_id"] == seeded.darcel_id)
    moses = next(r for r in report["reps"] if r["rep_id"] == seeded.moses_id)

    assert (darcel["open"], darcel["overdue"], darcel["done"]) == (1, 1, 2)
    assert darcel["on_time_rate"] == 0.5
    assert (darcel["average_quality"], darcel["average_satisfaction"]) == (3.5, 3.0)
    assert darcel["average_difficulty"] == 2.0
    assert darcel["average_hours_to_complete"] == pytest.approx(3.0)
    assert (moses["done"], moses["on_time_rate"], moses["average_difficulty"]) == (1, None, 5.0)
    [east] = report["teams"]
    assert (east["team_id"], east["done"], east["open"]) == (seeded.team_id, 3, 1)
    assert ok(people.darcel.get(f"{TASKS}/stats"))["reps"][0]["rep_id"] == seeded.darcel_id
    assert ok(people.wes.get(f"{TASKS}/stats"))["reps"] == []
    assert_error(
        people.mia.get(
            f"{TASKS}/stats",
            params={"since": "2026-11-03T00:00:00Z", "until": "2026-11-01T00:00:00Z"},
        ),
        422,
        "validation_failed",
        "until",
    )


def test_a_signed_webhook_creates_a_routed_task_once_and_a_token_without_tasks_write_cannot(
    app: Fenpei, seeded: World, people: People
) -> None:
    _, plaintext = make_token(app, "tasks:write")
    _, leads_only = make_token(app, "leads:write")
    body = json.dumps({"title": "来自工单系统", "customer_ids": [seeded.acme_id]}).encode()
    hook = TestClient(asgi_app(app), follow_redirects=False)
    url = f"{API}/webhooks/tasks"

    headers = signed_headers(app, plaintext, body)
    created = ok(hook.post(url, content=body, headers=headers), 201)
    replayed = hook.post(url, content=body, headers=headers)
    refused = hook.post(url, content=body, headers=signed_headers(app, leads_only, body))
    unsigned = hook.post(url, content=body, headers={"Content-Type": "application/json"})
    bad = b'{"title": ""}'
    invalid = hook.post(url, content=bad, headers=signed_headers(app, plaintext, bad))

    assert (created["origin"], created["assignee_id"]) == ("webhook", seeded.darcel_id)
    assert_error(replayed, 409, "webhook_replayed")
    assert_error(refused, 403, "permission_denied")
    assert_error(unsigned, 401, "not_authenticated")
    assert_error(invalid, 422, "validation_failed", "title")
    assert ok(people.admin.get(TASKS))["total"] == 1


def test_a_retried_create_with_the_same_key_makes_one_task_and_another_body_conflicts(
    people: People,
) -> None:
    headers = {"Idempotency-Key": "ticket-7"}
    body = {"title": "回电", "priority": "high"}

    first = people.admin.post(TASKS, json=body, headers=headers)
    again = people.admin.post(TASKS, json=body, headers=headers)
    other = people.admin.post(TASKS, json={**body, "title": "别的"}, headers=headers)

    assert (first.status_code, again.status_code) == (201, 200), again.text
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert_error(other, 409, "conflict")
    assert ok(people.admin.get(TASKS))["total"] == 1
