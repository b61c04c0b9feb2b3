"""The bell, the inbox page and the deliveries page over HTTP, on SQLite and PostgreSQL, in
zh-CN and English."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.config import Language
from fenpei.domain.events import Channel, DeliveryStatus
from fenpei.http.csrf import CSRF_HEADER
from fenpei.web.i18n import LOCALES_DIR, catalog
from fenpei.web.pages_notifications import INBOX_PAGE
from tests.e2e import _inbox
from tests.e2e.test_web import text_of


@pytest.fixture
def world(app: Fenpei) -> _inbox.InboxWorld:
    return _inbox.build(app)


def _bell(client: TestClient) -> str:
    response = client.get("/inbox/bell", headers={"HX-Request": "true"})
    assert response.status_code == 200, response.text
    return response.text


def _count_shown(bell: str) -> str | None:
    """The figure on the bell, or None when it is hidden."""
    found = re.search(r'<span class="bell-count"[^>]*>([^<]*)</span>', bell)
    assert found, bell
    return None if " hidden" in found.group(0) else found.group(1)


def _entries(html: str) -> list[str]:
    """The visible text of each inbox entry, unread ones starting with their badge."""
    return [text_of(e) for e in re.findall(r'<li class="inbox-entry[^"]*".*?</li>', html, re.S)]


def _english_words() -> set[str]:
    """The English texts of the notifications catalog that a Chinese page must not show."""
    with (LOCALES_DIR / "en" / "LC_MESSAGES" / "notifications.po").open() as po:
        keys = set(re.findall(r'^msgid "([a-z_.]+)"', po.read(), re.M))
    english = catalog(Language.en)
    return {english[k].split("{")[0].strip() for k in keys} - {""}


# --- the bell -------------------------------------------------------------------------------


def test_every_page_has_a_bell_that_asks_for_its_count_every_30_seconds(
    app: Fenpei, world: _inbox.InboxWorld
) -> None:
    for username in ("moses", "manager", "admin", "auditor"):
        html = _inbox.signed_in(app, world, username).get("/customers").text
        bell = re.search(r'<a id="inbox-bell"[^>]*>', html)

        assert bell, username
        assert 'href="/inbox"' in bell.group(0) and 'hx-get="/inbox/bell"' in bell.group(0)
        assert 'hx-trigger="load, every 30s, inbox-changed from:body"' in bell.group(0)


def test_the_bell_shows_the_unread_count_and_hides_it_at_zero(
    app: Fenpei, world: _inbox.InboxWorld
) -> None:
    _inbox.add_notes(app, world, "moses", ["Acme", "Globex"], rep_id=world.moses)
    moses = _inbox.signed_in(app, world, "moses")

    bell = _bell(moses)
    assert _count_shown(bell) == "2"
    assert "站内信：2 条未读" in bell

    moses.post("/api/v1/notifications/read", json={"all": True})
    bell = _bell(moses)
    assert _count_shown(bell) is None and "站内信：没有未读消息" in bell
    assert "Inbox: nothing unread" in moses.get("/inbox/bell?lang=en").text
    assert _count_shown(_bell(_inbox.signed_in(app, world, "darcel"))) is None


def test_a_bell_without_a_session_stops_polling_and_shows_no_count(client: TestClient) -> None:
    response = client.get("/inbox/bell", headers={"HX-Request": "true"})

    assert response.status_code == 286  # htmx: stop polling
    assert _count_shown(response.text) is None


# --- the inbox page -------------------------------------------------------------------------


def test_the_inbox_lists_only_ones_own_notifications_unread_first_class(
    app: Fenpei, world: _inbox.InboxWorld
) -> None:
    older, _ = _inbox.add_notes(app, world, "moses", ["Acme", "Globex"], rep_id=world.moses)
    _inbox.add_notes(app, world, "darcel", ["Initech"], rep_id=world.darcel)
    moses = _inbox.signed_in(app, world, "moses")
    moses.post("/api/v1/notifications/read", json={"ids": [older]})

    html = moses.get("/inbox").text

    assert _entries(html)[0].startswith("未读 新客户「Globex」已分配给您")
    assert _entries(html)[1].startswith("新客户「Acme」已分配给您")
    assert len(_entries(html)) == 2 and "Initech" not in html
    assert html.count('class="inbox-entry unread"') == 1
    assert f'<a href="/customers/{world.acme}">新客户「Globex」已分配给您</a>' in html
    assert "共 1 条未读。" in html
    assert 'aria-label="标为已读：新客户「Globex」已分配给您"' in html


def test_the_inbox_in_english_and_in_chinese_without_english(
    app: Fenpei, world: _inbox.InboxWorld
) -> None:
    _inbox.add_notes(app, world, "moses", ["Acme"], rep_id=world.moses)
    moses = _inbox.signed_in(app, world, "moses")

    english = text_of(moses.get("/inbox?lang=en").text)
    chinese = text_of(moses.get("/inbox?lang=zh-CN").text)

    for words in ("Inbox", "1 unread.", "Mark all read", "Unread only", "Mark read"):
        assert words in english
    assert "New customer “Acme” assigned to you" in english
    for words in ("站内信", "共 1 条未读。", "全部标为已读", "仅未读", "标为已读"):
        assert words in chinese
    assert "新客户「Acme」已分配给您" in chinese
    shown = [w for w in _english_words() if re.search(rf"\b{re.escape(w)}\b", chinese)]
    assert shown == [], shown


def test_marking_one_read_with_the_form_goes_back_to_the_list(
    app: Fenpei, world: _inbox.InboxWorld
) -> None:
    mine = _inbox.add_notes(app, world, "moses", ["Acme", "Globex"], rep_id=world.moses)
    (theirs,) = _inbox.add_notes(app, world, "darcel", ["Initech"], rep_id=world.darcel)
    moses = _inbox.signed_in(app, world, "moses")

    done = moses.post("/inbox/read", data={"ids": str(mine[0]), "page": "1"})
    refused = moses.post("/inbox/read", data={"ids": str(theirs)})

    assert (done.status_code, done.headers["location"]) == (303, "/inbox?marked=1")
    assert (refused.status_code, refused.headers["location"]) == (303, "/inbox?marked=0")
    assert "已将 1 条标为已读。" in moses.get(done.headers["location"]).text
    assert _count_shown(_bell(moses)) == "1"
    assert _count_shown(_bell(_inbox.signed_in(app, world, "darcel"))) == "1"


def test_mark_all_read_with_htmx_answers_the_list_and_tells_the_bell(
    app: Fenpei, world: _inbox.InboxWorld
) -> None:
    _inbox.add_notes(app, world, "moses", ["Acme", "Globex", "Initech"], rep_id=world.moses)
    _inbox.add_notes(app, world, "darcel", ["Umbrella"], rep_id=world.darcel)
    moses = _inbox.signed_in(app, world, "moses")

    response = moses.post("/inbox/read", data={"all": "true"}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "inbox-changed"
    assert response.text.lstrip().startswith('<div id="inbox-list"')  # the list, not a page
    assert "已将 3 条标为已读。" in response.text and "全部已读。" in response.text
    assert 'class="inbox-entry unread"' not in response.text
    assert _count_shown(_bell(moses)) is None
    assert _count_shown(_bell(_inbox.signed_in(app, world, "darcel"))) == "1"


def test_marking_read_without_the_csrf_token_is_refused_and_changes_nothing(
    app: Fenpei, world: _inbox.InboxWorld
) -> None:
    _inbox.add_notes(app, world, "moses", ["Acme"], rep_id=world.moses)
    moses = _inbox.signed_in(app, world, "moses")
    token = moses.headers.pop(CSRF_HEADER)

    assert moses.post("/inbox/read", data={"all": "true"}).status_code == 403
    moses.headers[CSRF_HEADER] = token
    assert _count_shown(_bell(moses)) == "1"


def test_the_inbox_pages_through_many_and_filters_the_unread(
    app: Fenpei, world: _inbox.InboxWorld
) -> None:
    names = [f"Customer {n:02d}" for n in range(INBOX_PAGE + 5)]
    ids = _inbox.add_notes(app, world, "moses", names, rep_id=world.moses)
    moses = _inbox.signed_in(app, world, "moses")
    moses.post("/api/v1/notifications/read", json={"ids": ids[:3]})

    first = moses.get("/inbox?lang=en").text
    second = moses.get("/inbox?page=2&lang=en").text
    unread = moses.get("/inbox?unread=1&page=2&lang=en").text

    assert len(_entries(first)) == INBOX_PAGE and "Customer 24" in _entries(first)[0]
    assert 'rel="next" href="/inbox?page=2"' in first and 'rel="prev"' not in first
    assert [e.split("“")[1].split("”")[0] for e in _entries(second)] == [
        f"Customer {n:02d}" for n in (4, 3, 2, 1, 0)
    ]
    assert 'rel="prev" href="/inbox"' in second and 'rel="next"' not in second
    assert len(_entries(unread)) == 2 and "Page 2" in unread
    assert 'rel="prev" href="/inbox?unread=1"' in unread
    assert moses.get("/inbox?page=0").status_code == 422


# --- the deliveries page --------------------------------------------------------------------


def test_the_deliveries_page_shows_the_figures_and_the_deliveries_in_trouble(
    app: Fenpei, world: _inbox.InboxWorld
) -> None:
    rep = f"rep:{world.moses}"
    dead = _inbox.add_delivery(
        app,
        DeliveryStatus.dead,
        attempts=8,
        last_error="the email channel is not configured",
        recipient=rep,
    )
    failing = _inbox.add_delivery(app, DeliveryStatus.pending, attempts=2, last_error="HTTP 503")
    sent = _inbox.add_delivery(app, DeliveryStatus.delivered, attempts=1)
    admin = _inbox.signed_in(app, world, "admin")

    html = admin.get("/admin/deliveries").text
    shown = re.findall(r'<tr data-delivery="(\d+)">', html)

    assert shown == [str(failing), str(dead)]  # the trouble, newest first; not the delivered
    assert re.search(r'data-status="dead">1<', html) and re.search(
        r'data-status="pending">1<', html
    )
    assert re.search(r'data-status="delivered">1<', html)
    assert re.search(r'data-figure="pending-events">3<', html)
    row = text_of(html.split(f'<tr data-delivery="{dead}">')[1].split("</tr>")[0])
    assert row.startswith(f"{dead} 邮件 Moses Frase 死信 8 未配置邮件渠道 — 重试")
    assert "重试中" in html and "HTTP 503" in html
    assert f'action="/admin/deliveries/{dead}/retry"' in html
    assert 'name="csrf_token"' in html
    only_sent = admin.get("/admin/deliveries?status=delivered").text
    assert re.findall(r'<tr data-delivery="(\d+)">', only_sent) == [str(sent)]
    assert "/retry" not in only_sent  # a delivered message has no retry button
    english = text_of(admin.get("/admin/deliveries?lang=en").text)
    assert "Message deliveries" in english and "The Email channel is not configured" in english
    shown_english = [
        w for w in _english_words() if re.search(rf"\b{re.escape(w)}\b", text_of(html))
    ]
    assert shown_english == [], shown_english


def test_retrying_from_the_page_makes_a_dead_delivery_pending_again(
    app: Fenpei, world: _inbox.InboxWorld
) -> None:
    dead = _inbox.add_delivery(app, DeliveryStatus.dead, attempts=8, last_error="refused")
    admin = _inbox.signed_in(app, world, "admin")

    response = admin.post(f"/admin/deliveries/{dead}/retry", data={"status": "dead"})

    assert response.status_code == 303
    assert response.headers["location"] == f"/admin/deliveries?status=dead&retried={dead}"
    with app.uow() as uow:
        stored = uow.outbox.delivery(dead)
        assert stored is not None
        assert (stored.status, stored.attempts) == (DeliveryStatus.pending, 0)
    after = admin.get(response.headers["location"]).text
    assert f"投递 {dead} 已重新排队" in after
    assert re.findall(r'<tr data-delivery="(\d+)">', after) == []  # no longer dead


def test_only_admins_open_the_deliveries_page_or_retry(
    app: Fenpei, world: _inbox.InboxWorld, client: TestClient
) -> None:
    dead = _inbox.add_delivery(app, DeliveryStatus.dead, attempts=8)
    for username in ("manager", "auditor", "moses"):
        someone = _inbox.signed_in(app, world, username)

        assert someone.get("/admin/deliveries").status_code == 403, username
        assert someone.post(f"/admin/deliveries/{dead}/retry").status_code == 403, username
        assert 'href="/admin/deliveries"' not in someone.get("/customers").text, username
    assert client.get("/admin/deliveries").status_code == 303  # to the login page
    with app.uow() as uow:
        stored = uow.outbox.delivery(dead)
        assert stored is not None and stored.status is DeliveryStatus.dead
    nav = _inbox.signed_in(app, world, "admin").get("/admin/deliveries").text
    assert '<a href="/admin/deliveries" aria-current="page">消息投递</a>' in nav


def test_every_status_view_and_channel_has_words_in_both_languages() -> None:
    from fenpei.services.notifications.deliveries import DeliveryView

    keys = (
        {f"deliveries.status.{s.value}" for s in DeliveryStatus}
        | {f"deliveries.view.{v.value}" for v in DeliveryView}
        | {f"deliveries.channel.{c.value}" for c in Channel}
    )
    for language in Language:
        assert keys - set(catalog(language)) == set(), language
