"""The administration pages: teams, reps, users, API tokens and the audit log, in zh-CN,
with the services' refusals for everyone who is not allowed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.domain.users import SYSTEM, Role
from fenpei.http.csrf import CSRF_FIELD
from fenpei.services import org, users
from tests.e2e.conftest import ADMIN_PASSWORD, World, asgi_app, log_in, page_csrf_token
from tests.e2e.test_web import text_of
from tests.fakes import FixedClock


@dataclass(frozen=True)
class Org:
    """The seeded world plus a West team with its rep, and one login per role."""

    west_id: int
    rosie_id: int


@pytest.fixture
def people(app: Fenpei, clock: FixedClock, seeded: World) -> Org:
    with app.uow() as uow:

        def user(name: str, role: Role, rep_id: int | None = None) -> int:
            made = users.create_user(
                uow=uow, hasher=app.hasher, username=name, password=ADMIN_PASSWORD,
                role=role, rep_id=rep_id, actor=SYSTEM, now=clock.at,
            )  # fmt: skip
            assert made.id
            return made.id

        manager = user("mia", Role.manager)
        user("moses", Role.rep, seeded.moses_id)
        user("audrey", Role.auditor)
        org.update_team(
            uow=uow, team_id=seeded.team_id, fields={"manager_user_id": manager},
            actor=SYSTEM, now=clock.at,
        )  # fmt: skip
        west = org.create_team(uow=uow, name="West 华西", actor=SYSTEM, now=clock.at)
        rosie = org.create_rep(
            uow=uow, fields={"name": "Rosie", "team_id": west.id}, actor=SYSTEM, now=clock.at
        )
        uow.commit()
    assert west.id and rosie.id
    return Org(west.id, rosie.id)


def _post(client: TestClient, path: str, data: dict[str, object], page: str = "/customers") -> Any:
    """A form post as the page sends it: its fields and the page's CSRF token."""
    return client.post(path, data={**data, CSRF_FIELD: page_csrf_token(client, page)})


def _login_status(app: Fenpei, username: str, password: str) -> tuple[int, str]:
    """Log in from a browser of its own: the status and where it was sent."""
    with TestClient(asgi_app(app), follow_redirects=False) as other:
        data = {"username": username, "password": password, CSRF_FIELD: page_csrf_token(other)}
        response = other.post("/login", data=data)
        return response.status_code, response.headers.get("location", "")


def _field_error(page: str, name: str) -> str:
    found = re.search(rf'<span class="field-error" id="[a-z0-9-]*e-{name}">([^<]*)</span>', page)
    assert found, name
    return found[1]


# --- who may open what ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "path", "status"),
    [
        ("moses", "/admin/teams", 403),
        ("moses", "/admin/reps", 403),
        ("moses", "/admin/users", 403),
        ("moses", "/admin/audit", 403),
        ("mia", "/admin/teams", 403),
        ("mia", "/admin/users", 403),
        ("mia", "/admin/audit", 403),
        ("mia", "/admin/reps", 200),
        ("audrey", "/admin/audit", 200),
        ("audrey", "/admin/users", 403),
        ("audrey", "/admin/teams", 403),
    ],
)
def test_each_role_opens_only_the_admin_pages_its_services_allow(
    client: TestClient, people: Org, username: str, path: str, status: int
) -> None:
    log_in(client, username=username)
    assert client.get(path).status_code == status


def test_a_rep_cannot_change_teams_users_or_reps_by_posting_either(
    client: TestClient, seeded: World, people: Org
) -> None:
    log_in(client, username="moses")
    for path, data in [
        ("/admin/teams", {"name": "Mine"}),
        (f"/admin/teams/{seeded.team_id}/delete", {}),
        ("/admin/users", {"username": "x", "role": "admin"}),
        ("/admin/reps", {"name": "Ghost"}),
        (f"/admin/reps/{seeded.darcel_id}/active", {"active": "false"}),
    ]:
        response = _post(client, path, data, page="/customers")
        assert response.status_code in (403, 404), (path, response.status_code)


def test_a_non_admin_cannot_learn_which_user_ids_exist(
    client: TestClient, seeded: World, people: Org
) -> None:
    log_in(client, username="mia")
    for user_id in (1, 999_999):  # the seeded admin, and nobody
        assert _post(client, f"/admin/users/{user_id}/reset", {}).status_code == 403
        assert _post(client, f"/admin/users/{user_id}/deactivate", {}).status_code == 403


def test_the_nav_links_admins_to_administration_and_reps_to_their_own_profile(
    client: TestClient, seeded: World, people: Org
) -> None:
    log_in(client)
    assert 'id="nav-admin"' in client.get("/customers").text
    log_in(client, username="moses")
    page = client.get("/customers").text
    assert 'id="nav-admin"' not in page
    assert f'<a href="/reps/{seeded.moses_id}" id="nav-my-profile"' in page
    assert "我的资料" in text_of(page)


# --- teams ----------------------------------------------------------------------------------


def test_admin_creates_renames_moves_and_deletes_a_team(
    app: Fenpei, user_client: TestClient, seeded: World, people: Org
) -> None:
    created = _post(user_client, "/admin/teams", {"name": "South 华南", "parent_id": ""})
    assert created.status_code == 303
    page = user_client.get("/admin/teams?done=created").text
    assert "团队已创建。" in text_of(page) and "South 华南" in page
    with app.uow() as uow:
        south = uow.teams.by_name("South 华南")
        assert south and south.id and south.parent_id is None
        south_id = south.id

    moved = _post(
        user_client,
        f"/admin/teams/{south_id}",
        {"name": "South 华南二部", "parent_id": people.west_id},
    )
    assert moved.status_code == 303
    with app.uow() as uow:
        south = uow.teams.get(south_id)
        assert south and south.name == "South 华南二部" and south.parent_id == people.west_id

    # Moving West under its own sub-team would make a loop: said next to the field.
    looped = _post(
        user_client, f"/admin/teams/{people.west_id}", {"name": "West 华西", "parent_id": south_id}
    )
    assert looped.status_code == 422
    assert "不能移到它下面" in _field_error(looped.text, "parent_id")

    deleted = _post(user_client, f"/admin/teams/{south_id}/delete", {})
    assert deleted.status_code == 303
    with app.uow() as uow:
        assert uow.teams.get(south_id) is None


def test_a_team_with_reps_is_not_deleted_and_the_page_says_why(
    app: Fenpei, user_client: TestClient, seeded: World, people: Org
) -> None:
    refused = _post(user_client, f"/admin/teams/{people.west_id}/delete", {})
    assert refused.status_code == 409
    words = text_of(refused.text)
    assert "未删除团队“West 华西”：它还有 1 名销售（Rosie）。" in words
    with app.uow() as uow:
        assert uow.teams.get(people.west_id) is not None


def test_a_team_name_taken_comes_back_with_the_error_next_to_the_field(
    user_client: TestClient, seeded: World
) -> None:
    refused = _post(user_client, "/admin/teams", {"name": "East 华东", "region": "<b>x</b>"})
    assert refused.status_code == 422
    page = refused.text
    assert _field_error(page, "name") == "已有同名团队。"
    assert 'value="&lt;b&gt;x&lt;/b&gt;"' in page  # kept as typed, escaped


# --- reps -----------------------------------------------------------------------------------


def test_admin_creates_a_rep_with_team_skills_and_capacity(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    form = {
        "name": "Lin 林",
        "email": "lin@example.com",
        "team_id": seeded.team_id,
        "max_open": "30",
        "max_per_day": "",
        "weight": "2",
        "skill_languages": "zh, en",
    }
    response = _post(user_client, "/admin/reps", form)
    assert response.status_code == 303
    with app.uow() as uow:
        rep = uow.reps.by_name("Lin 林")
        assert rep and rep.team_id == seeded.team_id and rep.max_open == 30
        assert rep.weight == 2 and rep.skills == {"languages": ["zh", "en"]}
        assert rep.max_per_day is None
    page = user_client.get(response.headers["location"]).text
    assert f'href="/admin/users?rep_id={rep.id}"' in page


def test_a_bad_rep_form_comes_back_with_each_error_next_to_its_field(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    form = {"name": "Moses Frase", "email": "not-an-email", "max_open": "-1", "weight": "1"}
    refused = _post(user_client, "/admin/reps", form)
    assert refused.status_code == 422
    page = refused.text
    assert _field_error(page, "max_open")
    assert 'value="not-an-email"' in page
    with app.uow() as uow:
        assert len(uow.reps.all()) == 2


def test_a_manager_sees_and_deactivates_only_the_reps_in_their_teams(
    app: Fenpei, client: TestClient, seeded: World, people: Org
) -> None:
    log_in(client, username="mia")
    page = client.get("/admin/reps").text
    assert "Moses Frase" in page and "Darcel Schlecht" in page and "Rosie" not in page
    assert 'id="new-rep"' not in page  # adding reps is the admin's
    assert _post(client, "/admin/reps", {"name": "Ghost"}).status_code == 403
    outside = _post(client, f"/admin/reps/{people.rosie_id}/active", {"active": "false"})
    assert outside.status_code == 404

    done = _post(client, f"/admin/reps/{seeded.darcel_id}/active", {"active": "false"})
    assert done.status_code == 303
    with app.uow() as uow:
        darcel = uow.reps.get(seeded.darcel_id)
        assert darcel and not darcel.active
    assert "已停用" in text_of(client.get("/admin/reps").text)


# --- users ----------------------------------------------------------------------------------


def _one_time_password(page: str) -> str:
    found = re.search(r'id="one-time-value" class="secret-value" readonly value="([^"]+)"', page)
    assert found, page
    return found[1]


def test_admin_creates_a_rep_user_who_must_change_the_one_time_password(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    form = {
        "username": "darcel",
        "display_name": "Darcel",
        "role": "rep",
        "rep_id": seeded.darcel_id,
    }
    made = _post(user_client, "/admin/users", form)
    assert made.status_code == 200
    password = _one_time_password(made.text)
    assert password not in user_client.get("/admin/users").text  # shown once
    with app.uow() as uow:
        darcel = uow.users.by_username("darcel")
        assert darcel and darcel.rep_id == seeded.darcel_id and darcel.role is Role.rep
        assert darcel.must_change_password

    status, location = _login_status(app, "darcel", password)
    assert status == 303 and location.startswith("/account/password")


def test_a_rep_user_without_a_rep_or_a_taken_name_is_refused_next_to_the_field(
    user_client: TestClient, seeded: World
) -> None:
    refused = _post(user_client, "/admin/users", {"username": "admin", "role": "rep", "rep_id": ""})
    assert refused.status_code == 422
    page = refused.text
    assert _field_error(page, "username") == "该登录名已被占用。"
    assert _field_error(page, "rep_id") == "销售角色的用户须关联一名销售。"
    assert 'id="one-time"' not in page


def test_a_reset_password_replaces_the_old_one_and_deactivating_stops_logins(
    app: Fenpei, user_client: TestClient, seeded: World, people: Org
) -> None:
    with app.uow() as uow:
        moses = uow.users.by_username("moses")
        assert moses and moses.id
        moses_id = moses.id
    reset = _post(user_client, f"/admin/users/{moses_id}/reset", {})
    assert reset.status_code == 200
    password = _one_time_password(reset.text)
    assert "“moses”的新密码" in text_of(reset.text)

    def tries(secret: str) -> int:
        return _login_status(app, "moses", secret)[0]

    assert tries(ADMIN_PASSWORD) == 400
    assert tries(password) == 303
    assert _post(user_client, f"/admin/users/{moses_id}/deactivate", {}).status_code == 303
    assert tries(password) == 400
    assert "已停用" in text_of(user_client.get("/admin/users").text)


# --- API tokens -----------------------------------------------------------------------------


def _secret(page: str) -> str:
    found = re.search(
        r'id="token-secret-value" class="secret-value" readonly value="([^"]+)"', page
    )
    assert found, page
    return found[1]


def test_a_token_is_made_with_its_scopes_shown_once_used_then_revoked(
    client: TestClient, user_client: TestClient, seeded: World
) -> None:
    form = {"name": "官网表单", "username": "admin", "scopes": ["customers:read"], "expires_on": ""}
    made = _post(user_client, "/admin/tokens", form)
    assert made.status_code == 200
    secret = _secret(made.text)
    listed = user_client.get("/admin/tokens").text
    assert secret not in listed and f"fp_{secret.split('_')[1]}_…" in listed
    assert "customers:read" in listed and "从未使用" in text_of(listed)

    api = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/customers", headers=api).status_code == 200
    token_id = re.search(r'<tr id="token-(\d+)" data-token="官网表单">', listed)
    assert token_id
    revoked = _post(user_client, f"/admin/tokens/{token_id[1]}/revoke", {})
    assert revoked.status_code == 303
    assert client.get("/api/v1/customers", headers=api).status_code == 401
    assert "已吊销" in text_of(user_client.get("/admin/tokens").text)


def test_a_token_without_scopes_or_name_is_refused_next_to_the_fields(
    user_client: TestClient, seeded: World
) -> None:
    refused = _post(user_client, "/admin/tokens", {"name": "", "username": "admin"})
    assert refused.status_code == 422
    page = refused.text
    assert "请至少勾选一项权限范围。" in text_of(page)
    assert 'id="token-secret"' not in page


def test_a_rep_sees_only_their_own_tokens(
    client: TestClient, user_client: TestClient, seeded: World, people: Org
) -> None:
    _post(
        user_client, "/admin/tokens", {"name": "admin-only", "username": "admin", "scopes": ["*"]}
    )
    log_in(client, username="moses")
    page = client.get("/admin/tokens").text
    assert "admin-only" not in page
    refused = _post(
        client,
        "/admin/tokens",
        {"name": "x", "username": "admin", "scopes": ["*"]},
        page="/customers",
    )
    assert refused.status_code == 403


# --- audit log ------------------------------------------------------------------------------


def test_the_audit_log_filters_by_actor_object_action_and_day(
    client: TestClient, user_client: TestClient, seeded: World, people: Org, clock: FixedClock
) -> None:
    _post(user_client, "/admin/teams", {"name": "North 华北"})
    by_admin = user_client.get("/admin/audit?who=admin").text
    assert '<tr data-action="create" data-object="team">' in by_admin
    assert '<a href="/admin/audit?who=system">' not in by_admin  # the seed was the system's
    assert "共 1 条记录" in text_of(by_admin)

    teams = user_client.get("/admin/audit?object_type=team&action=update").text
    assert '<tr data-action="update" data-object="team">' in teams
    assert 'data-action="create"' not in teams
    day = clock.at.date()
    assert "共 0 条记录" in text_of(
        user_client.get(f"/admin/audit?since={day.replace(year=day.year + 1)}").text
    )
    blank = "who=&object_type=&object_id=&action=&since=&until="  # the form sent empty
    assert user_client.get(f"/admin/audit?{blank}").status_code == 200
    bad = user_client.get("/admin/audit?since=tomorrow")
    assert bad.status_code == 422 and _field_error(bad.text, "since")

    log_in(client, username="audrey")
    assert (
        '<tr data-action="create" data-object="team">' in client.get("/admin/audit?who=admin").text
    )


def test_the_audit_filter_offers_every_action_and_object_that_has_words(
    user_client: TestClient, seeded: World
) -> None:
    page = user_client.get("/admin/audit").text
    # Once missing from a hand-written list: a claim, a return, a routed-to-pool customer.
    for action, words in (("assign.claim", "从公海领取"), ("pool.return", "退回公海")):
        assert f'<option value="{action}">{words}</option>' in page
    assert '<option value="categoryvalue">分类选项</option>' in page


def test_days_and_ids_past_their_range_are_field_errors_not_server_errors(
    user_client: TestClient, seeded: World
) -> None:
    audit = user_client.get("/admin/audit?until=9999-12-31")
    assert audit.status_code == 422 and _field_error(audit.text, "until")
    token = _post(
        user_client,
        "/admin/tokens",
        {"name": "far", "username": "admin", "scopes": "org:read", "expires_on": "9999-12-31"},
    )
    assert token.status_code == 422 and _field_error(token.text, "expires_on")
    team = _post(user_client, "/admin/teams", {"name": "Odd", "parent_id": "²"})
    assert team.status_code == 422 and _field_error(team.text, "parent_id")
    user = _post(user_client, "/admin/users", {"username": "odd", "role": "rep", "rep_id": "²"})
    assert user.status_code == 422 and _field_error(user.text, "rep_id")


def test_the_audit_log_pages_fifty_at_a_time(user_client: TestClient, seeded: World) -> None:
    for number in range(52):
        _post(user_client, "/admin/teams", {"name": f"Team {number}"})
    first = user_client.get("/admin/audit?who=admin&action=create").text
    assert first.count('<tr data-action="create"') == 50 and 'id="next-page"' in first
    second = user_client.get("/admin/audit?who=admin&action=create&page=2").text
    assert second.count('<tr data-action="create"') == 2 and "第 2 / 2 页" in text_of(second)


# --- both languages -------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_every_admin_page_and_message_shows_words_not_catalog_keys(
    user_client: TestClient, seeded: World, people: Org, lang: str
) -> None:
    """Keys built at run time (done.*, the audit's action.* and object.*, token areas, the
    one-time password's title) are in both catalogs: no ``admin.…`` key reaches the page."""
    user_client.get(f"/customers?lang={lang}")  # remembered in the cookie from here on
    answers = [
        _post(user_client, "/admin/users", {"username": "x1", "role": "auditor"}).text,
        _post(user_client, f"/admin/users/{_user_id(user_client, 'x1')}/reset", {}).text,
        _post(user_client, "/admin/tokens", {"name": "t", "scopes": ["*"]}).text,
        _post(user_client, f"/admin/teams/{people.west_id}/delete", {}).text,
    ]
    for path in (
        *(f"/admin/teams?done={done}" for done in ("created", "saved", "deleted")),
        *(f"/admin/reps?done={done}" for done in ("deactivated", "activated")),
        f"/admin/reps?done=created&created={seeded.moses_id}",
        "/admin/users?done=deactivated",
        "/admin/tokens?done=revoked",
        "/admin/audit",
    ):
        answers.append(user_client.get(path).text)
    for page in answers:
        assert f'<html lang="{lang}">' in page
        leaked = re.findall(r"\b(?:admin|org|nav)\.[a-z_]+(?:\.[a-z_]+)*", text_of(page))
        assert leaked == [], leaked


def _user_id(client: TestClient, username: str) -> str:
    found = re.search(
        rf'<tr id="user-(\d+)" data-user="{username}">', client.get("/admin/users").text
    )
    assert found, username
    return found[1]


def test_admin_gives_a_team_a_manager_who_then_sees_its_reps(
    app: Fenpei, client: TestClient, seeded: World, people: Org
) -> None:
    with app.uow() as uow:
        mia = uow.users.by_username("mia")
        assert mia and mia.id
        mia_id = mia.id
    log_in(client)
    form = {"name": "West 华西", "parent_id": "", "manager_user_id": mia_id}
    assert _post(client, f"/admin/teams/{people.west_id}", form).status_code == 303
    with app.uow() as uow:
        west = uow.teams.get(people.west_id)
        assert west and west.manager_user_id == mia_id and west.manager_name == "mia"
    log_in(client, username="mia")
    assert "Rosie" in client.get("/admin/reps").text
