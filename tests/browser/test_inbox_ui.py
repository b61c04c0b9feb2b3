"""The inbox in a real browser: a rep sees the bell's count, opens the inbox, marks one
entry and then all read from the keyboard, and the count goes; an admin retries a dead
delivery from its page."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Page, expect

from fenpei.domain.events import (
    Channel,
    Delivery,
    DeliveryStatus,
    EventType,
    Notification,
    OutboxEvent,
)
from tests.browser.conftest import Live, login, shot


def _notify(live: Live, username: str, *names: str) -> None:
    """An "assigned to you" notification per customer name, the last one the newest."""
    now = live.fenpei.now()
    with live.fenpei.uow() as uow:
        user = uow.users.by_username(username)
        assert user is not None and user.id is not None
        uow.inbox.add_many(
            [
                Notification(
                    user.id,
                    f"evt_browser_{username}_{name}",
                    EventType.assigned,
                    {
                        "customer_id": live.world.acme,
                        "customer_name": name,
                        "to_rep_id": user.rep_id,
                    },
                    created_at=now + timedelta(seconds=n),
                )
                for n, name in enumerate(names)
            ]
        )
        uow.commit()


def test_a_rep_sees_the_bell_opens_the_inbox_and_marks_all_read(live: Live, page: Page) -> None:
    _notify(live, "rep", "Acme 上海", "Globex 北京", "Initech")
    _notify(live, "rep2", "Umbrella")
    login(page, live, "rep", lang="en")
    page.goto(live.url("/customers"))

    bell = page.locator("#inbox-bell")
    expect(bell.locator(".bell-count")).to_have_text("3")
    expect(page.get_by_role("link", name="Inbox: 3 unread")).to_be_visible()

    bell.click()
    expect(page).to_have_url(live.url("/inbox"))
    entries = page.locator(".inbox-entry")
    expect(entries).to_have_count(3)
    expect(page.locator(".inbox-entry.unread")).to_have_count(3)
    expect(entries.first).to_contain_text("New customer “Initech” assigned to you")
    expect(page.get_by_text("Umbrella")).to_have_count(0)  # another rep's
    shot(page, "inbox")

    page.get_by_role("button", name="Mark read: New customer “Initech” assigned to you").click()
    expect(page.get_by_role("status")).to_have_text("1 marked read.")
    expect(page.get_by_role("status")).to_be_focused()
    expect(page.locator(".inbox-entry.unread")).to_have_count(2)
    expect(bell.locator(".bell-count")).to_have_text("2")  # told by the inbox-changed event

    page.get_by_role("button", name="Mark all read").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("2 marked read.")
    expect(page.locator(".inbox-entry.unread")).to_have_count(0)
    expect(bell.locator(".bell-count")).to_be_hidden()
    expect(page.get_by_role("link", name="Inbox: nothing unread")).to_be_visible()

    page.reload()  # the server agrees: all read, the count stays away
    expect(page.get_by_text("Everything is read.")).to_be_visible()
    expect(bell.locator(".bell-count")).to_be_hidden()
    entries.first.get_by_role("link").click()
    expect(page).to_have_url(live.url(f"/customers/{live.world.acme}"))


def test_the_inbox_in_chinese(live: Live, page: Page) -> None:
    _notify(live, "rep2", "成都客户")
    login(page, live, "rep2", lang="zh-CN")
    page.goto(live.url("/inbox"))

    expect(page.get_by_role("heading", name="站内信")).to_be_visible()
    expect(page.locator(".inbox-entry").first).to_contain_text("新客户「成都客户」已分配给您")
    expect(page.get_by_role("link", name="站内信：2 条未读")).to_be_visible()
    shot(page, "inbox")


def test_an_admin_retries_a_dead_delivery(live: Live, page: Page) -> None:
    now = live.fenpei.now()
    with live.fenpei.uow() as uow:
        event = OutboxEvent(EventType.assigned, "evt_browser_dead", {}, occurred_at=now)
        uow.outbox.add(event)
        uow.commit()
    assert event.id is not None
    recipient = f"rep:{live.world.moses}"
    with live.fenpei.uow() as uow:
        uow.outbox.add_deliveries(
            [
                Delivery(
                    event_id=event.id,
                    channel=Channel.email,
                    recipient=recipient,
                    key=f"evt_browser_dead:email:{recipient}",
                    created_at=now,
                    next_attempt_at=now,
                    status=DeliveryStatus.dead,
                    attempts=8,
                    last_error="the recipient has no address on this channel",
                )
            ]
        )
        uow.commit()
    login(page, live, "admin", lang="en")
    page.goto(live.url("/customers"))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    page.locator("nav.admin-tabs").get_by_role("link", name="Deliveries").click()

    row = page.locator("tr[data-delivery]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Moses Frase")
    expect(row).to_contain_text("The recipient has no address on this channel")
    shot(page, "deliveries")
    with page.expect_navigation():
        row.get_by_role("button", name="Retry").click()

    expect(page.get_by_role("status")).to_contain_text("is queued again")
    expect(page.locator("tr[data-delivery]")).to_have_count(0)  # no longer in trouble
    with live.fenpei.uow() as uow:
        (delivery,) = uow.outbox.deliveries(status=DeliveryStatus.pending)
        assert delivery.attempts == 0
