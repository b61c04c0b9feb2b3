"""The pages under their Content-Security-Policy in a real browser: nothing the app needs
is refused (charts, htmx swaps, the rule builder, dialogs), and nothing inline is run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.browser.conftest import Live, login

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Page

PAGES = (
    "/dashboard", "/customers", "/rules", "/rules/new", "/teams", "/categories", "/tasks",
    "/tasks/board", "/tasks/calendar", "/tasks/new",
)  # fmt: skip


def test_no_page_breaks_its_content_security_policy(live: Live, page: Page) -> None:
    refused: list[str] = []

    def note(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            refused.append(f"{page.url}: {message.text}")

    page.on("console", note)
    login(page, live, "admin")
    for path in PAGES:
        page.goto(live.url(path))
        page.wait_for_load_state("networkidle")
    page.goto(live.url("/dashboard"))
    page.locator("#load-chart svg").first.wait_for()
    assert refused == []


def test_an_injected_inline_script_does_not_run(live: Live, page: Page) -> None:
    login(page, live, "admin")
    page.goto(live.url("/customers"))
    page.evaluate(
        """() => {
            const s = document.createElement('div');
            s.innerHTML = '<img src=x onerror="window.__pwned = 1">';
            document.body.append(s);
            const t = document.createElement('script');
            t.textContent = 'window.__pwned = 2';
            document.body.append(t);
        }"""
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.__pwned === undefined")
