"""The notification settings page, on SQLite and PostgreSQL: a user ticks the events
emailed to them and sets quiet hours (saved, then shown ticked); bad quiet hours come back
with the error by the field and change nothing; an admin sets a role's default on the same
page, which others do not see and may not post; English and Chinese."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.domain.users import Role
from tests.e2e.conftest import ADMIN_USERNAME, World, log_in
from tests.e2e.test_api_tokens import make_user
from tests.e2e.test_web import text_of

PAGE = "/account/notifications"


def _checked(page: str, name: str) -> list[str]:
    return re.findall(rf'name="{name}" value="([\w.]+)" checked', page)


def test_a_user_chooses_email_events_and_quiet_hours(app: Fenpei, user_client: TestClient) -> None:
    form = {
        "mode": "custom",
        "email_events": ["customer.reassigned"],
        "quiet_start": "22:00",
        "quiet_end": "07:30",
    }
    saved = user_client.post(PAGE, data=form)
    page = user_client.get(saved.headers["location"]).text

    assert saved.status_code == 303 and saved.headers["location"] == f"{PAGE}?done=saved"
    assert "通知设置已保存" in text_of(page) and "站内信始终开启" in text_of(page)
    assert _checked(page, "email_events")[0] == "customer.reassigned"
    assert 'value="custom" checked' in page and 'value="22:00"' in page
    with app.uow(read_only=True) as uow:
        admin = uow.users.by_username(ADMIN_USERNAME)
        assert admin is not None and admin.id is not None
        stored = uow.preferences.get(admin.id)
    assert stored is not None and stored.email_events == ["customer.reassigned"]
    assert (stored.quiet_start, stored.quiet_end) == ("22:00", "07:30")


def test_a_user_ticks_the_daily_digest_and_unticks_it(app: Fenpei, user_client: TestClient) -> None:
    before = user_client.get(PAGE).text
    saved = user_client.post(PAGE, data={"mode": "default", "digest": "on"})
    ticked = user_client.get(saved.headers["location"]).text
    user_client.post(PAGE, data={"mode": "default"})  # an unticked box is not sent
    unticked = user_client.get(PAGE).text
    english = user_client.get(f"{PAGE}?lang=en").text

    assert "每日摘要，代替逐条邮件" in text_of(before) and _checked(before, "digest") == []
    assert saved.status_code == 303
    assert _checked(ticked, "digest") == ["on"]
    assert _checked(unticked, "digest") == []
    assert "Daily digest instead of single emails" in text_of(english)
    with app.uow(read_only=True) as uow:
        admin = uow.users.by_username(ADMIN_USERNAME)
        assert admin is not None and admin.id is not None
        stored = uow.preferences.get(admin.id)
    assert stored is not None and stored.digest is False and stored.last_digest_at is not None


def test_bad_quiet_hours_come_back_by_the_field_and_change_nothing(
    app: Fenpei, user_client: TestClient
) -> None:
    response = user_client.post(
        PAGE, data={"mode": "default", "quiet_start": "22:00", "quiet_end": ""}
    )
    english = user_client.post(
        PAGE, data={"mode": "default", "quiet_start": "25:00", "quiet_end": "07:00"},
        params={"lang": "en"},
    )  # fmt: skip

    assert response.status_code == 422
    assert 'id="quiet_end" name="quiet_end"' in response.text
    assert 'aria-describedby="quiet_end-error"' in response.text
    assert "设置未保存" in text_of(response.text)
    assert english.status_code == 422 and "Nothing was saved" in text_of(english.text)
    assert "HH:MM" in text_of(english.text)
    with app.uow(read_only=True) as uow:
        admin = uow.users.by_username(ADMIN_USERNAME)
        assert admin is not None and uow.preferences.get(admin.id or 0) is None


def test_an_admin_sets_a_role_default_others_may_not(
    app: Fenpei, client: TestClient, seeded: World
) -> None:
    make_user(app, "rita", Role.rep)
    log_in(client)
    saved = client.post(
        "/admin/notification-defaults/rep", data={"email_events": ["customer.pooled"]}
    )
    page = client.get(PAGE, params={"lang": "en"}).text

    assert saved.status_code == 303 and saved.headers["location"] == f"{PAGE}?done=defaults"
    assert "Defaults per role" in text_of(page) and "Save the default for Sales rep" in text_of(
        page
    )

    log_in(client, "long enough password", username="rita")
    own = client.get(PAGE).text
    refused = client.post("/admin/notification-defaults/rep", data={"email_events": []})
    assert "各角色的默认设置" not in text_of(own)
    assert _checked(own, "email_events") == ["customer.pooled"]  # her role's default
    assert 'value="default" checked' in own
    assert refused.status_code == 403
    with app.uow(read_only=True) as uow:
        found = uow.preferences.role_default(Role.rep)
    assert found is not None and found.email_events == ["customer.pooled"]


def test_the_password_page_links_to_the_settings(user_client: TestClient) -> None:
    assert f'href="{PAGE}"' in user_client.get("/account/password").text
