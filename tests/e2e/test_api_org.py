"""Teams, reps, leave and categories over HTTP: who may change what, bad input named, 404/409."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.domain.users import SYSTEM, Role
from fenpei.http.fields import MAX_ID
from fenpei.services import users
from tests.e2e.conftest import World, asgi_app, log_in
from tests.e2e.test_api import assert_error
from tests.fakes import FixedClock

API = "/api/v1"
PASSWORD = "long enough password"


def client_for(app: Fenpei, username: str, role: Role, rep_id: int | None = None) -> TestClient:
    """A fresh client logged in as a new user ``username`` (linked to ``rep_id``)."""
    with app.uow() as uow:
        users.create_user(
            uow=uow,
            hasher=app.hasher,
            username=username,
            password=PASSWORD,
            role=role,
            rep_id=rep_id,
            actor=SYSTEM,
            now=app.now(),
        )
        uow.commit()
    client = TestClient(asgi_app(app), follow_redirects=False)
    log_in(client, PASSWORD, username=username)
    return client


def user_id(app: Fenpei, username: str) -> int:
    with app.uow(read_only=True) as uow:
        user = uow.users.by_username(username)
        assert user is not None and user.id is not None
        return user.id


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, (response.request.url, response.text)
    return response.json() if status != 204 else None


# --- teams -------------------------------------------------------------------------------------


def test_admin_creates_a_team_with_a_manager_and_reads_it_with_its_reps(
    user_client: TestClient, app: Fenpei, seeded: World
) -> None:
    client_for(app, "mia", Role.manager)
    body = {
        "name": "Shanghai 上海",
        "parent_id": seeded.team_id,
        "manager_user_id": user_id(app, "mia"),
    }

    created = ok(user_client.post(f"{API}/teams", json=body), 201)
    parent = ok(user_client.get(f"{API}/teams/{seeded.team_id}"))

    assert (created["parent_id"], created["manager_name"]) == (seeded.team_id, "mia")
    assert [t["name"] for t in parent["sub_teams"]] == ["Shanghai 上海"]
    assert sorted(r["name"] for r in parent["reps"]) == ["Darcel Schlecht", "Moses Frase"]
    assert_error(user_client.get(f"{API}/teams/{created['id'] + 1000}"), 404, "not_found")


def test_a_team_manager_must_be_a_manager_and_bad_team_input_is_named(
    user_client: TestClient, app: Fenpei, seeded: World
) -> None:
    client_for(app, "rex", Role.rep)
    cases = [
        ({"name": "R", "manager_user_id": user_id(app, "rex")}, "manager_user_id"),
        ({"name": "R", "parent_id": MAX_ID + 1}, "parent_id"),
        ({"name": "R", "parent_id": 404}, "parent_id"),
        ({"name": "x" * 201}, "name"),
        ({"name": "A\u0000B"}, "name"),
        ({"name": "East 华东"}, "name"),
        ({"name": "R", "colour": "red"}, "colour"),
    ]
    for body, field in cases:
        assert_error(user_client.post(f"{API}/teams", json=body), 422, "validation_failed", field)
    assert len(ok(user_client.get(f"{API}/teams"))) == 1


def test_moving_a_team_under_its_own_sub_team_is_refused_naming_parent_id(
    user_client: TestClient, seeded: World
) -> None:
    sub = ok(
        user_client.post(f"{API}/teams", json={"name": "Sub", "parent_id": seeded.team_id}), 201
    )
    url = f"{API}/teams/{seeded.team_id}"

    assert_error(
        user_client.patch(url, json={"parent_id": sub["id"]}), 422, "validation_failed", "parent_id"
    )
    renamed = ok(user_client.patch(url, json={"name": "East 华东 (new)", "region": "East"}))
    top = ok(user_client.patch(f"{API}/teams/{sub['id']}", json={"parent_id": None}))

    assert (renamed["name"], renamed["region"], renamed["parent_id"]) == (
        "East 华东 (new)",
        "East",
        None,
    )
    assert top["parent_id"] is None and [t["id"] for t in renamed["sub_teams"]] == [sub["id"]]
    assert ok(user_client.get(url))["sub_teams"] == []


def test_deleting_a_team_with_reps_is_refused_and_an_empty_one_goes(
    user_client: TestClient, seeded: World
) -> None:
    refused = user_client.delete(f"{API}/teams/{seeded.team_id}")
    empty = ok(user_client.post(f"{API}/teams", json={"name": "Empty"}), 201)

    assert_error(refused, 409, "conflict")
    assert "2 rep(s)" in refused.json()["message"]
    assert user_client.delete(f"{API}/teams/{empty['id']}").status_code == 204
    assert_error(user_client.get(f"{API}/teams/{empty['id']}"), 404, "not_found")
    assert_error(user_client.delete(f"{API}/teams/{empty['id']}"), 404, "not_found")


def test_only_an_admin_changes_teams(app: Fenpei, seeded: World) -> None:
    mia = client_for(app, "mia", Role.manager)
    url = f"{API}/teams/{seeded.team_id}"

    assert_error(mia.post(f"{API}/teams", json={"name": "Mine"}), 403, "permission_denied")
    assert_error(mia.patch(url, json={"name": "Mine"}), 403, "permission_denied")
    assert_error(mia.delete(url), 403, "permission_denied")
    assert ok(mia.get(url))["name"] == "East 华东"


# --- reps --------------------------------------------------------------------------------------


def test_admin_adds_a_rep_and_reads_their_current_load(
    user_client: TestClient, seeded: World, clock: FixedClock
) -> None:
    clock.advance(hours=7)  # 00:30 in Shanghai: the day the seed gave Darcel the customer
    body = {
        "name": "Wang Fang 王芳",
        "team_id": seeded.team_id,
        "max_open": 30,
        "working_hours": {"mon": [["09:00", "18:00"]]},
    }
    created = ok(user_client.post(f"{API}/reps", json=body), 201)
    darcel = ok(user_client.get(f"{API}/reps/{seeded.darcel_id}"))

    assert (created["name"], created["team_name"], created["max_open"]) == (
        "Wang Fang 王芳",
        "East 华东",
        30,
    )
    assert created["working_hours"] == {"mon": [["09:00", "18:00"]]}
    load = darcel["load"]
    assert (load["open_customers"], load["received_day"], load["received_month"]) == (1, 1, 1)
    assert load["full"] is None
    assert_error(user_client.get(f"{API}/reps/{created['id'] + 1000}"), 404, "not_found")
    assert_error(user_client.get(f"{API}/reps/{MAX_ID + 1}"), 422, "validation_failed", "rep_id")


def test_bad_rep_fields_are_named_and_nothing_is_stored(
    user_client: TestClient, seeded: World
) -> None:
    before = len(ok(user_client.get(f"{API}/reps")))
    cases = [
        ({"name": "N", "max_open": 10**12}, "max_open"),
        ({"name": "N", "weight": "heavy"}, "weight"),
        ({"name": "N", "max_per_day": "5"}, "max_per_day"),
        ({"name": "N", "time_zone": "Mars/Olympus"}, "time_zone"),
        ({"name": "N", "working_hours": {"mon": [["18:00", "09:00"]]}}, "working_hours"),
        ({"name": "N", "team_id": 404}, "team_id"),
        ({"name": "N", "skills": {"cooking": ["wok"]}}, "skills.cooking.[key]"),
        ({"name": "Moses Frase"}, "name"),
        ({"max_open": 3}, "name"),
    ]
    for body, field in cases:
        assert_error(user_client.post(f"{API}/reps", json=body), 422, "validation_failed", field)
    patch = user_client.patch(f"{API}/reps/{seeded.moses_id}", json={"max_open": -1, "away": True})
    assert_error(patch, 422, "validation_failed", "max_open")
    assert len(ok(user_client.get(f"{API}/reps"))) == before
    assert ok(user_client.get(f"{API}/reps/{seeded.moses_id}"))["away"] is False


def test_a_manager_changes_capacity_in_their_tree_but_not_the_team_or_other_reps(
    user_client: TestClient, app: Fenpei, seeded: World
) -> None:
    mia = client_for(app, "mia", Role.manager)
    ok(
        user_client.patch(
            f"{API}/teams/{seeded.team_id}", json={"manager_user_id": user_id(app, "mia")}
        )
    )
    west = ok(user_client.post(f"{API}/teams", json={"name": "West"}), 201)
    outsider = ok(
        user_client.post(f"{API}/reps", json={"name": "Will", "team_id": west["id"]}), 201
    )
    moses = f"{API}/reps/{seeded.moses_id}"

    changed = ok(mia.patch(moses, json={"max_open": 5, "away": True, "weight": 2}))

    assert (changed["max_open"], changed["away"], changed["weight"]) == (5, True, 2)
    assert_error(mia.patch(moses, json={"team_id": west["id"]}), 403, "permission_denied")
    assert_error(mia.patch(f"{API}/reps/{outsider['id']}", json={"away": True}), 404, "not_found")
    assert ok(mia.get(f"{API}/reps/{outsider['id']}"))["load"] is None
    assert ok(mia.get(moses))["load"]["max_open"] == 5


def test_a_rep_switches_their_own_away_only_and_an_auditor_nothing(
    app: Fenpei, seeded: World
) -> None:
    moses = client_for(app, "moses", Role.rep, rep_id=seeded.moses_id)
    auditor = client_for(app, "audrey", Role.auditor)
    own = f"{API}/reps/{seeded.moses_id}"

    assert ok(moses.patch(own, json={"away": True}))["away"] is True
    assert_error(moses.patch(own, json={"max_open": 99}), 403, "permission_denied")
    assert_error(
        moses.patch(f"{API}/reps/{seeded.darcel_id}", json={"away": True}), 404, "not_found"
    )
    assert_error(auditor.patch(own, json={"away": False}), 403, "permission_denied")
    assert_error(auditor.post(f"{API}/reps", json={"name": "Nope"}), 403, "permission_denied")
    assert ok(auditor.get(own))["away"] is True


def test_a_rep_is_deactivated_not_deleted(user_client: TestClient, seeded: World) -> None:
    url = f"{API}/reps/{seeded.moses_id}"

    assert ok(user_client.patch(url, json={"active": False}))["active"] is False
    assert user_client.delete(url).status_code == 405


def test_leave_is_recorded_listed_and_cancelled(
    user_client: TestClient, app: Fenpei, seeded: World
) -> None:
    moses = client_for(app, "moses", Role.rep, rep_id=seeded.moses_id)
    url = f"{API}/reps/{seeded.moses_id}/leaves"
    body = {
        "starts_at": "2026-12-01T09:00:00+08:00",
        "ends_at": "2026-12-03T18:00:00+08:00",
        "note": "年假",
    }

    leave = ok(user_client.post(url, json=body), 201)
    assert [v["id"] for v in ok(moses.get(url))] == [leave["id"]]
    assert_error(moses.post(url, json=body), 403, "permission_denied")
    assert_error(moses.get(f"{API}/reps/{seeded.darcel_id}/leaves"), 404, "not_found")
    assert_error(
        user_client.delete(f"{API}/reps/{seeded.darcel_id}/leaves/{leave['id']}"), 404, "not_found"
    )
    assert user_client.delete(f"{url}/{leave['id']}").status_code == 204
    assert ok(user_client.get(url)) == []


def test_bad_leave_times_are_named(user_client: TestClient, seeded: World) -> None:
    url = f"{API}/reps/{seeded.moses_id}/leaves"
    cases = [
        ({"starts_at": "2026-12-01T09:00:00", "ends_at": "2026-12-02T09:00:00+08:00"}, "starts_at"),
        ({"starts_at": "2026-12-02T09:00:00Z", "ends_at": "2026-12-01T09:00:00Z"}, "ends_at"),
        (
            {"starts_at": "0001-01-01T00:00:00+14:00", "ends_at": "2026-12-01T09:00:00Z"},
            "starts_at",
        ),
        ({"starts_at": "soon", "ends_at": "2026-12-01T09:00:00Z"}, "starts_at"),
    ]
    for body, field in cases:
        assert_error(user_client.post(url, json=body), 422, "validation_failed", field)
    assert_error(user_client.post(f"{API}/reps/404/leaves", json=cases[1][0]), 404, "not_found")


# --- categories --------------------------------------------------------------------------------


def _level(client: TestClient, code: str) -> dict[str, Any]:
    listed = ok(client.get(f"{API}/categories"))
    level = next(c for c in listed if c["key"] == "level")
    found: dict[str, Any] = next(v for v in level["values"] if v["code"] == code)
    return found


def test_categories_list_each_dimension_with_customer_counts(app: Fenpei, seeded: World) -> None:
    auditor = client_for(app, "audrey", Role.auditor)

    listed = ok(auditor.get(f"{API}/categories"))

    assert [c["key"] for c in listed] == [
        "customer_type", "follow_up_type", "industry", "level", "lost_reason", "region",
        "return_reason", "source", "task_category", "task_type",
    ]  # fmt: skip
    assert (_level(auditor, "A")["customers"], _level(auditor, "B")["customers"]) == (1, 0)


def test_admin_adds_renames_merges_retires_and_restores_a_level(
    user_client: TestClient, seeded: World
) -> None:
    values = f"{API}/categories/level/values"

    added = ok(user_client.post(values, json={"code": "S", "label": "Strategic"}), 201)
    renamed = ok(user_client.patch(f"{values}/S", json={"label": "Strategic / 战略"}))
    merged = ok(user_client.post(f"{values}/A/merge", json={"into": "B"}))
    retired = ok(user_client.post(f"{values}/S/retire"))
    restored = ok(user_client.post(f"{values}/S/restore"))

    assert (added["code"], added["usable"], renamed["label"]) == ("S", True, "Strategic / 战略")
    assert (merged["moved"], merged["value"]["merged_into"]) == (1, "B")
    assert _level(user_client, "B")["customers"] == 1
    assert (retired["usable"], restored["usable"]) == (False, True)
    assert_error(user_client.post(f"{values}/A/restore"), 409, "conflict")
    assert_error(
        user_client.post(f"{values}/C/merge", json={"into": "Z"}), 422, "validation_failed", "into"
    )
    assert_error(user_client.patch(f"{values}/Z", json={"label": "x"}), 404, "not_found")
    assert_error(
        user_client.post(f"{API}/categories/mood/values", json={"code": "x"}), 404, "not_found"
    )
    assert_error(user_client.post(values, json={"code": ""}), 422, "validation_failed", "code")
    assert_error(
        user_client.patch(f"{values}/B", json={"label": "x" * 101}),
        422,
        "validation_failed",
        "label",
    )


def test_a_merge_reports_the_rules_it_carried_and_a_retire_names_the_rules_in_its_way(
    user_client: TestClient, seeded: World
) -> None:
    values = f"{API}/categories/level/values"
    rule = ok(
        user_client.post(
            f"{API}/rules",
            json={
                "name": "A accounts",
                "conditions": {"field": "level", "op": "in", "value": ["A", "D"]},
                "target": {"kind": "pool", "pool": "public"},
            },
        ),
        201,
    )

    merged = ok(user_client.post(f"{values}/A/merge", json={"into": "B"}))
    refused = user_client.post(f"{values}/D/retire")

    assert merged["rules"] == [{"rule_id": rule["id"], "name": "A accounts", "version": 2}]
    carried = ok(user_client.get(f"{API}/rules/{rule['id']}"))
    assert carried["conditions"] == {"field": "level", "op": "in", "value": ["B", "D"]}
    assert_error(refused, 409, "used_by_rules")
    assert f"#{rule['id']} 'A accounts'" in refused.json()["message"]
    assert _level(user_client, "D")["usable"] is True


def test_only_an_admin_changes_categories(app: Fenpei, seeded: World) -> None:
    mia = client_for(app, "mia", Role.manager)
    values = f"{API}/categories/level/values"

    assert_error(mia.post(values, json={"code": "S"}), 403, "permission_denied")
    assert_error(mia.patch(f"{values}/A", json={"label": "x"}), 403, "permission_denied")
    assert_error(mia.post(f"{values}/A/merge", json={"into": "B"}), 403, "permission_denied")
    assert_error(mia.post(f"{values}/A/retire"), 403, "permission_denied")
    assert _level(mia, "A") == {**_level(mia, "A"), "label": "A", "usable": True}


def test_openapi_documents_statuses_and_errors_of_the_org_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]

    assert {"201", "403"} <= set(paths[f"{API}/teams"]["post"]["responses"])
    assert {"204", "403", "404", "409"} <= set(
        paths[f"{API}/teams/{{team_id}}"]["delete"]["responses"]
    )
    assert {"200", "403", "404"} <= set(paths[f"{API}/reps/{{rep_id}}"]["patch"]["responses"])
    assert "201" in paths[f"{API}/reps/{{rep_id}}/leaves"]["post"]["responses"]
    assert "409" in paths[f"{API}/categories/{{key}}/values/{{code}}/restore"]["post"]["responses"]
