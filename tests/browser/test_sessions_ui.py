"""Sessions in a real browser: a session cookie saved before a logout or a password reset
is refused after it, and a one-time password is changed through the form before anything
else opens."""

from __future__ import annotations

from typing import TYPE_CHECKING

from playwright.sync_api import Page, expect

from fenpei.domain.users import SYSTEM, Role
from fenpei.services import users
from tests.browser.conftest import PASSWORD, Live, login, shot

if TYPE_CHECKING:
    from playwright._impl._api_structures import SetCookieParam

ONE_TIME = "one-time-pass-123"
OWN_PASSWORD = "my own password, long"


def _session_cookies(page: Page, live: Live) -> list[SetCookieParam]:
    """The session cookie as it is now, to put back later."""
    saved: list[SetCookieParam] = [
        {"name": c["name"], "value": c["value"], "url": live.base_url}
        for c in page.context.cookies()
        if c["name"] == "fenpei_session"
    ]
    assert saved, "not logged in"
    return saved


def _add_user(live: Live, username: str, *, one_time: bool) -> None:
    with live.fenpei.uow() as uow:
        users.create_user(
            uow=uow,
            hasher=live.fenpei.hasher,
            username=username,
            password=ONE_TIME if one_time else PASSWORD,
            role=Role.manager,
            actor=SYSTEM,
            now=live.fenpei.now(),
            must_change_password=one_time,
        )
        uow.commit()


def _log_in_with(page: Page, live: Live, username: str, password: str, lang: str) -> None:
    page.goto(live.url(f"/login?lang={lang}&next=%2Fteams"))
    page.locator('input[name="username"]').fill(username)
    page.locator('input[name="password"]').fill(password)
    with page.expect_navigation():
        page.locator('form[action="/login"] [type="submit"]').click()


def _is_refused(page: Page, live: Live) -> None:
    """The browser, holding only the saved cookie, is asked to log in (pages) and gets 401
    (the API)."""
    page.goto(live.url("/customers"))
    expect(page).to_have_url(live.url("/login?next=%2Fcustomers"))
    assert page.request.get(live.url("/api/v1/customers")).status == 401


def test_a_session_cookie_saved_before_logout_is_refused_after_it(live: Live, page: Page) -> None:
    _add_user(live, "leaver", one_time=False)
    login(page, live, "leaver")
    saved = _session_cookies(page, live)
    assert page.request.get(live.url("/api/v1/customers")).status == 200

    page.goto(live.url("/customers"))
    page.get_by_role("button", name="Log out").click()
    with page.expect_navigation():
        page.click("[data-confirm-ok]")
    assert "/login" in page.url
    page.context.add_cookies(saved)  # as someone who copied the cookie would

    _is_refused(page, live)


def test_a_session_cookie_saved_before_a_password_reset_is_refused_after_it(
    live: Live, page: Page
) -> None:
    _add_user(live, "forgetful", one_time=False)
    login(page, live, "forgetful")
    saved = _session_cookies(page, live)
    page.goto(live.url("/teams"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    with live.fenpei.uow() as uow:  # what `fenpei users reset-password forgetful` does
        users.reset_password(
            uow=uow,
            hasher=live.fenpei.hasher,
            username="forgetful",
            password=ONE_TIME,
            actor=SYSTEM,
            now=live.fenpei.now(),
        )
        uow.commit()
    page.context.clear_cookies()
    page.context.add_cookies(saved)

    _is_refused(page, live)


def test_a_one_time_password_is_changed_through_the_form_first(live: Live, page: Page) -> None:
    _add_user(live, "newbie", one_time=True)
    _log_in_with(page, live, "newbie", ONE_TIME, "zh-CN")

    expect(page).to_have_url(live.url("/account/password?next=%2Fteams"))
    expect(page.get_by_role("heading", level=1)).to_have_text("修改密码")
    expect(page.get_by_role("status")).to_contain_text("一次性密码")
    expect(page.get_by_label("当前密码")).to_be_focused()
    shot(page, "change-password")
    page.goto(live.url("/customers"))  # any other page sends it back
    expect(page).to_have_url(live.url("/account/password?next=%2Fcustomers"))

    page.goto(live.url("/account/password?next=%2Fteams&lang=en"))
    page.get_by_label("Current password").fill(ONE_TIME)
    page.get_by_label("New password", exact=True).fill(OWN_PASSWORD)
    page.get_by_label("New password again").fill(OWN_PASSWORD + "!")
    with page.expect_navigation():
        page.get_by_role("button", name="Change password").click()
    expect(page.locator("#e-new_password_again")).to_have_text("The two new passwords differ.")
    expect(page.get_by_label("New password again")).to_have_attribute("aria-invalid", "true")
    shot(page, "change-password")

    page.get_by_label("Current password").fill(ONE_TIME)
    page.get_by_label("New password", exact=True).fill(OWN_PASSWORD)
    page.get_by_label("New password again").fill(OWN_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Change password").click()

    expect(page).to_have_url(live.url("/teams"))
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    page.goto(live.url("/customers"))
    expect(page).to_have_url(live.url("/customers"))
    assert page.request.get(live.url("/api/v1/customers")).status == 200
