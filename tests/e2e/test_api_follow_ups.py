"""Follow-ups, stages and the timeline over HTTP: the owner logs and moves, others find
nothing, bad fields are named (422) and change nothing."""

from __future__ import annotations

from starlette.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.domain.users import Role
from tests.e2e.conftest import World, log_in
from tests.e2e.test_api import assert_error
from tests.e2e.test_api_org import API, PASSWORD, client_for, ok
from tests.fakes import FixedClock


def _darcel_on_acme(app: Fenpei, seeded: World, clock: FixedClock) -> tuple[TestClient, str]:
    """Two days after the seeded reassignment: Acme's owner Darcel, logged in, and Acme's URL."""
    clock.advance(days=2)
    darcel = client_for(app, "darcel", Role.rep, rep_id=seeded.darcel_id)
    return darcel, f"{API}/customers/{seeded.acme_id}"


def test_the_owner_logs_a_follow_up_and_sees_it_first_in_the_timeline(
    app: Fenpei, seeded: World, clock: FixedClock
) -> None:
    darcel, url = _darcel_on_acme(app, seeded, clock)

    logged = ok(
        darcel.post(
            f"{url}/follow-ups",
            json={
                "kind": "visit",
                "content": "上门拜访，见了采购",
                "outcome": "要报价",
                "next_at": "2026-11-09T10:00:00+08:00",
            },
        ),
        201,
    )
    listed = ok(darcel.get(f"{url}/follow-ups"))
    page = ok(darcel.get(f"{url}/timeline", params={"limit": 2}))
    rest = ok(darcel.get(f"{url}/timeline", params={"offset": 2, "limit": 10}))
    customer = ok(darcel.get(url))

    assert (logged["kind"], logged["rep_id"], logged["author"]) == (
        "visit",
        seeded.darcel_id,
        "darcel",
    )
    assert logged["at"].startswith(clock.now().isoformat()[:19])
    assert [f["id"] for f in listed] == [logged["id"]]
    assert [i["kind"] for i in page["items"]] == ["follow_up", "stage_change"]
    assert page["items"][0]["follow_up"]["content"] == "上门拜访，见了采购"
    assert page["items"][1]["stage_change"]["to_stage"] == "contacted"
    assert page["total"] == 4 and [i["kind"] for i in rest["items"]] == ["assignment", "assignment"]
    assert rest["items"][0]["assignment"]["to_rep_name"] == "Darcel Schlecht"
    assert customer["stage"] == "contacted"
    assert customer["next_follow_up_at"].startswith("2026-11-09T02:00")


def test_another_rep_finds_nothing_and_bad_fields_are_named(app: Fenpei, seeded: World) -> None:
    moses = client_for(app, "moses", Role.rep, rep_id=seeded.moses_id)
    darcel = client_for(app, "darcel", Role.rep, rep_id=seeded.darcel_id)
    url = f"{API}/customers/{seeded.acme_id}"
    body = {"kind": "phone", "content": "电话"}

    assert_error(moses.post(f"{url}/follow-ups", json=body), 404, "not_found")
    assert_error(moses.get(f"{url}/timeline"), 404, "not_found")
    for bad, field in (
        ({**body, "kind": "carrier pigeon"}, "kind"),
        ({**body, "content": ""}, "content"),
        ({**body, "at": "2026-11-02T09:00:00Z", "next_at": "2026-11-02T08:00:00Z"}, "next_at"),
        ({**body, "at": "2030-01-01T00:00:00Z"}, "at"),
        ({**body, "stage": "lost"}, "reason"),
        ({**body, "colour": "red"}, "colour"),
    ):
        assert_error(darcel.post(f"{url}/follow-ups", json=bad), 422, "validation_failed", field)
    assert ok(darcel.get(f"{url}/follow-ups")) == []
    assert ok(darcel.get(url))["stage"] == "new"


def test_a_stage_change_needs_a_reason_for_lost_and_closes_the_customer(
    app: Fenpei, seeded: World, user_client: TestClient
) -> None:
    url = f"{API}/customers/{seeded.acme_id}"

    assert_error(
        user_client.post(f"{url}/stage", json={"stage": "lost"}), 422, "validation_failed", "reason"
    )
    assert_error(
        user_client.post(f"{url}/stage", json={"stage": "gone"}), 422, "validation_failed", "stage"
    )
    moved = ok(user_client.post(f"{url}/stage", json={"stage": "lost", "reason": "选择了竞品"}))
    same = user_client.post(f"{url}/stage", json={"stage": "lost", "reason": "again"})
    customer = ok(user_client.get(url))

    assert (moved["from_stage"], moved["to_stage"], moved["reason"]) == (
        "new",
        "lost",
        "选择了竞品",
    )
    assert_error(same, 422, "validation_failed", "stage")
    assert customer["stage"] == "lost" and customer["closed_at"] is not None


def test_the_author_corrects_a_follow_up_for_a_day_and_then_only_an_admin_does(
    app: Fenpei, seeded: World, clock: FixedClock
) -> None:
    darcel, url = _darcel_on_acme(app, seeded, clock)
    logged = ok(
        darcel.post(
            f"{url}/follow-ups",
            json={"kind": "phone", "content": "电话", "next_at": "2026-11-09T10:00:00+08:00",
                  "next_step": "发送报价"},
        ),
        201,
    )  # fmt: skip
    one = f"{url}/follow-ups/{logged['id']}"
    task = f"{API}/tasks/{logged['next_task_id']}"

    fixed = ok(darcel.patch(one, json={"content": "电话，约了周四拜访", "outcome": "有意向"}))
    moved = ok(darcel.patch(one, json={"next_at": "2026-11-12T14:00:00+08:00"}))
    task_due = ok(darcel.get(task))["due_at"]
    ok(darcel.patch(task, json={"start_at": "2026-11-12T13:00:00+08:00"}))
    before_task = darcel.patch(one, json={"next_at": "2026-11-12T12:00:00+08:00", "outcome": "x"})
    unchanged = ok(darcel.get(f"{url}/follow-ups"))[0]
    bad = [
        darcel.patch(one, json={"at": "2026-11-01T09:00:00Z"}),
        darcel.patch(one, json={"content": ""}),
        darcel.patch(one, json={"kind": "carrier pigeon", "next_at": "2020-01-01T00:00:00Z"}),
    ]
    elsewhere = darcel.patch(f"{API}/customers/{seeded.globex_id}/follow-ups/{logged['id']}",
                             json={"content": "x"})  # fmt: skip
    clock.advance(days=1, minutes=1)
    log_in(darcel, PASSWORD, username="darcel")  # a day later: the session has ended
    admin = client_for(app, "root", Role.admin)
    too_late = darcel.patch(one, json={"content": "改口"})
    by_admin = ok(admin.patch(one, json={"next_at": None}))
    timeline = ok(darcel.get(f"{url}/timeline", params={"limit": 1}))

    assert (fixed["content"], fixed["outcome"], fixed["kind"]) == (
        "电话，约了周四拜访",
        "有意向",
        "phone",
    )
    assert fixed["at"] == logged["at"] and fixed["edited_at"] is not None
    assert moved["next_at"].startswith("2026-11-12T06:00") and moved["reminded_at"] is None
    assert task_due.startswith("2026-11-12T06:00")  # the next-step task follows
    assert_error(before_task, 422, "validation_failed", "next_at")
    assert (unchanged["next_at"], unchanged["outcome"]) == (moved["next_at"], "有意向")
    assert_error(bad[0], 422, "validation_failed", "at")
    assert_error(bad[1], 422, "validation_failed", "content")
    assert {e["field"] for e in bad[2].json()["errors"]} == {"kind", "next_at"}
    assert_error(elsewhere, 404, "not_found")
    assert_error(too_late, 403, "permission_denied")
    assert by_admin["next_at"] is None and by_admin["content"] == "电话，约了周四拜访"
    assert ok(admin.get(url))["next_follow_up_at"] is None
    assert timeline["items"][0]["follow_up"]["edited_at"] == by_admin["edited_at"]
