"""The page shell in a real browser: navigation by role, languages, escaping, 404s, labels,
the keyboard-driven confirm dialog, htmx's CSRF header and error banner, phone width."""

from __future__ import annotations

from playwright.sync_api import Dialog, Page, expect

from tests.browser.conftest import Live, login, shot

SCRIPT = "<script>alert(1)</script>"
EVERY_LINK = [
    "Dashboard",
    "Customers",
    "My customers",
    "Pool",
    "Tasks",
    "Import",
    "Rules",
    "Duplicates",
    "Teams",
    "Categories",
    "Deliveries",
    "Jobs",
    "CRM sync",
    "Scoring",
    "Admin",
    "My profile",
    "Exports",
]


def nav_links(page: Page) -> list[str]:
    nav = page.get_by_role("navigation", name="Main")
    return [text.strip() for text in nav.get_by_role("link").all_inner_texts()]


def no_sideways_scroll(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_each_role_sees_its_own_navigation(live: Live, page: Page) -> None:
    seen = {}
    for username in ["admin", "manager", "rep", "auditor"]:
        page.context.clear_cookies()
        login(page, live, username)
        page.goto(live.url("/customers"))
        seen[username] = nav_links(page)

    # daily work in the main navigation; the system's settings behind Admin's tabs
    assert seen["admin"] == [
        "Dashboard", "Customers", "Pool", "Tasks", "Import", "Exports", "Duplicates", "Rules",
        "Teams", "Admin",
    ]  # fmt: skip
    assert seen["manager"] == seen["admin"]
    assert seen["rep"] == ["Customers", "My customers", "Pool", "Tasks", "My profile"]
    assert "Dashboard" not in seen["auditor"] and "Rules" not in seen["auditor"]
    assert set(seen["auditor"]) <= set(EVERY_LINK)


def test_the_current_page_is_marked_and_the_user_is_named(live: Live, page: Page) -> None:
    login(page, live, "admin")
    page.goto(live.url("/customers"))

    current = page.get_by_role("navigation", name="Main").locator("[aria-current=page]")
    expect(current).to_have_text("Customers")
    expect(page.locator(".who")).to_contain_text("Ada Admin")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_language_switch_shows_chinese_labels_and_is_remembered(live: Live, page: Page) -> None:
    login(page, live, "admin", lang="en")
    page.goto(live.url("/customers"))
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.get_by_role("navigation", name="Language").get_by_role("link", name="中文").click()

    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    nav = page.get_by_role("navigation", name="主导航")
    for label in ["数据看板", "客户", "公海", "分配规则", "团队", "管理"]:
        expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    shot(page, "customers")
    page.goto(live.url(f"/customers/{live.world.acme}"))  # no ?lang: the cookie remembers
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")


def test_a_customer_named_like_a_script_is_shown_as_text(live: Live, page: Page) -> None:
    dialogs: list[Dialog] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog), dialog.dismiss()))
    login(page, live, "admin")

    page.goto(live.url("/customers"))
    expect(page.get_by_text(SCRIPT, exact=True).first).to_be_visible()
    page.goto(live.url(f"/customers/{live.world.xss}"))
    expect(page.get_by_text(SCRIPT, exact=True).first).to_be_visible()
    expect(page.get_by_text("<b>Evil</b> Corp", exact=True).first).to_be_visible()

    assert dialogs == []
    assert page.evaluate("document.querySelectorAll('main b').length") == 0


def test_a_rep_opening_another_reps_customer_gets_the_404_page(live: Live, page: Page) -> None:
    login(page, live, "rep")

    response = page.goto(live.url(f"/customers/{live.world.west_co}"))

    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_contain_text("Something went wrong")
    expect(page.get_by_text("That page or record does not exist.")).to_be_visible()
    expect(page.get_by_text("West Co")).to_have_count(0)
    # still inside the app
    assert nav_links(page) == ["Customers", "My customers", "Pool", "Tasks", "My profile"]
    shot(page, "not-found")


def test_login_inputs_are_labelled_in_both_languages(live: Live, page: Page) -> None:
    page.goto(live.url("/login?lang=zh-CN"))
    expect(page.get_by_label("用户名")).to_be_focused()  # autofocus
    expect(page.get_by_label("密码")).to_have_attribute("type", "password")
    shot(page, "login")

    page.goto(live.url("/login?lang=en"))
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("alert").filter(has_text="Wrong username")).to_be_visible()
    expect(page.get_by_label("Username")).to_have_value("admin")
    shot(page, "login")


def _tab_to(page: Page, name: str, most: int = 40) -> None:
    """Press Tab until the focused element is the button called ``name``."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == name:
            return
    raise AssertionError(f"Tab never reached {name!r}")


def test_the_confirm_dialog_works_from_the_keyboard(live: Live, page: Page) -> None:
    login(page, live, "admin")
    page.goto(live.url("/customers"))
    dialog = page.locator("#confirm-dialog")
    logout = page.get_by_role("button", name="Log out")

    _tab_to(page, "Log out")
    page.keyboard.press("Enter")

    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Log out now?")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    shot(page, "confirm-dialog")
    page.keyboard.press("Escape")

    expect(dialog).to_be_hidden()
    expect(logout).to_be_focused()  # focus returns to where it was
    assert page.url.endswith("/customers")  # nothing happened

    page.keyboard.press("Enter")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Confirm")).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert "/login" in page.url  # confirmed: logged out
    page.goto(live.url("/customers"))
    assert "/login" in page.url


def test_htmx_sends_the_csrf_token_and_shows_errors(live: Live, page: Page) -> None:
    login(page, live, "admin")
    page.goto(live.url("/customers"))
    assert page.evaluate("typeof window.htmx") == "object"  # the vendored copy loaded

    page.evaluate("htmx.ajax('GET', '/customers/999999', {target: 'main', swap: 'none'})")

    flash = page.locator("#flash")
    expect(flash).to_be_visible()
    expect(flash).to_have_text("That page or record does not exist.")

    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    with page.expect_request(lambda r: r.url.endswith("/logout")) as sent:
        page.evaluate("htmx.ajax('POST', '/logout', {target: 'main', swap: 'none'})")
    assert token and sent.value.headers.get("x-csrf-token") == token
    page.wait_for_load_state("networkidle")
    page.goto(live.url("/customers"))
    assert "/login" in page.url  # the token was accepted: the POST logged out


def test_pages_fit_a_phone_screen(live: Live, phone_page: Page) -> None:
    for lang in ["en", "zh-CN"]:
        phone_page.context.clear_cookies()
        phone_page.goto(live.url(f"/login?lang={lang}"))
        assert no_sideways_scroll(phone_page)
        shot(phone_page, "login-phone")

        login(phone_page, live, "admin", lang=lang)
        phone_page.goto(live.url("/customers"))
        nav = phone_page.locator("nav.main-nav")
        expect(nav.locator("a").first).to_be_visible()
        expect(nav.locator('a[href="/admin"]')).to_be_visible()  # the nav wraps
        assert no_sideways_scroll(phone_page)
        shot(phone_page, "customers-phone")
        phone_page.goto(live.url("/admin/jobs"))
        assert no_sideways_scroll(phone_page)  # the tables scroll inside their box
        shot(phone_page, "jobs-phone")


def test_screenshots_of_the_main_pages_at_desktop_width(live: Live, page: Page) -> None:
    for lang in ["en", "zh-CN"]:
        page.context.clear_cookies()
        login(page, live, "admin", lang=lang)
        page.goto(live.url("/customers"))
        shot(page, "customers")
        page.goto(live.url(f"/customers/{live.world.acme}"))
        shot(page, "customer")
        page.goto(live.url("/admin/jobs"))
        expect(page.locator('nav.main-nav a[href="/admin"]')).to_have_attribute(
            "aria-current", "page"
        )
        expect(page.locator('nav.admin-tabs a[href="/admin/jobs"]')).to_have_attribute(
            "aria-current", "page"
        )
        shot(page, "jobs")


def test_an_htmx_button_asks_first_and_sends_nothing_when_cancelled(live: Live, page: Page) -> None:
    login(page, live, "admin")
    page.goto(live.url("/customers"))
    page.evaluate(
        """() => {
            const button = document.createElement('button');
            button.id = 'risky';
            button.textContent = 'Risky';
            button.setAttribute('hx-post', '/logout');
            button.setAttribute('hx-swap', 'none');
            button.dataset.confirm = 'Really log out?';
            document.querySelector('main').prepend(button);
            htmx.process(button);
        }"""
    )
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    dialog = page.locator("#confirm-dialog")

    page.locator("#risky").click()
    expect(dialog).to_contain_text("Really log out?")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#risky")).to_be_focused()
    assert posts == []

    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/logout")):
        page.locator("#risky").click()
        dialog.get_by_role("button", name="Confirm").click()


def test_htmx_swaps_a_422_answer_so_forms_can_show_their_errors(live: Live, page: Page) -> None:
    login(page, live, "admin")
    page.goto(live.url("/customers"))
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<div id=out>')")

    page.evaluate("htmx.ajax('GET', '/customers?page=0', {target: '#out', swap: 'innerHTML'})")

    expect(page.locator("#out")).to_contain_text("Some values cannot be accepted")
    expect(page.locator("#out")).to_contain_text("page")
    expect(page.locator("#flash")).to_be_hidden()  # a 422 is the form's business, not an alarm


def test_the_navigation_keeps_to_one_row_on_a_laptop_screen(live: Live, page: Page) -> None:
    """At 1280 px the manager's ten links, the languages, the bell and the name share one
    row in both languages (the longest display name of the seeded users)."""
    login(page, live, "manager", lang="zh-CN")
    for lang in ("zh-CN", "en"):
        page.goto(live.url(f"/customers?lang={lang}"))
        tops = page.eval_on_selector_all(
            ".main-nav a, .account > *", "found => found.map(e => e.getBoundingClientRect().top)"
        )
        links = page.locator(".main-nav a").count()
        assert links == 10
        bar = page.locator(".topbar").bounding_box()
        link = page.locator(".main-nav a").first.bounding_box()
        assert bar is not None and link is not None
        assert bar["height"] < 2 * link["height"] + 20, (lang, tops)
        expect(page.locator(".who-short")).to_have_text("Mia Manager 经理")
