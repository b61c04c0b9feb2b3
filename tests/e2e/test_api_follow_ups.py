"""Follow-ups, stages and the timeline over HTTP: the owner logs and moves, others find
nothing, bad fields are named (422) and change nothing."""

from __future__ import annotations

from starlette.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.domain.users import Role
from tests.e2e.conftest import World
from tests.e2e.test_api import assert_error
from tests.e2e.test_api_org import API, client_for, ok
from tests.fakes import FixedClock


def test_the_owner_logs_a_follow_up_and_sees_it_first_in_the_timeline(
    app: Fenpei, seeded: World, clock: FixedClock
) -> None:
    clock.advance(days=2)  # after the seeded reassignment
    darcel = client_for(app, "darcel", Role.rep, rep_id=seeded.darcel_id)
    url = f"{API}/customers/{seeded.acme_id}"

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
