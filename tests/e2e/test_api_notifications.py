"""The inbox and the deliveries over the API, on SQLite and PostgreSQL: each caller reads
and marks only their own notifications; admins see the deliveries and retry dead ones."""

from __future__ import annotations

import pytest

from fenpei.bootstrap import Fenpei
from fenpei.domain.events import DeliveryStatus
from fenpei.domain.users import SYSTEM
from fenpei.services import assignments
from fenpei.services.notifications.dispatch import Outlets, expand
from tests.e2e import _inbox
from tests.e2e.test_api import assert_error
from tests.e2e.test_api_tokens import make_token

NOTES = "/api/v1/notifications"
DELIVERIES = "/api/v1/deliveries"


@pytest.fixture
def world(app: Fenpei) -> _inbox.InboxWorld:
    return _inbox.build(app)


# --- the inbox ------------------------------------------------------------------------------


def test_a_rep_reads_their_notifications_newest_first_in_the_language_asked(
    app: Fenpei, world: _inbox.InboxWorld
) -> None:
    older, newer = _inbox.add_notes(app, world, "moses", ["Acme", "Globex"], rep_id=world.moses)
    moses = _inbox.signed_in(app, world, "moses")

    chinese = moses.get(NOTES).json()  # the user's language: zh-CN
    english = moses.get(NOTES, params={"lang": "en"}).json()

    assert [item["id"] for item in chinese["items"]] == [newer, older]
    assert [item["text"] for item in chinese["items"]] == [
        "新客户「Globex」已分配给您",
        "新客户「Acme」已分配给您",
    ]
    assert english["items"][0]["text"] == "New customer “Globex” assigned to you"
    assert english["items"][0]["customer_id"] == world.acme
    assert english["items"][0]["read"] is False
    assert chinese["unread"] == 2 and chinese["has_more"] is False


def test_nobody_sees_another_users_notifications(app: Fenpei, world: _inbox.InboxWorld) -> None:
    _inbox.add_notes(app, world, "moses", ["Acme"], rep_id=world.moses)
    for username in ("darcel", "manager", "admin", "auditor"):
        other = _inbox.signed_in(app, world, username)

        assert other.get(NOTES).json()["items"] == [], username
        assert other.get(f"{NOTES}/unread-count").json() == {"unread": 0}, username


def test_unread_only_and_pages_with_limit_and_offset(app: Fenpei, world: _inbox.InboxWorld) -> None:
    ids = _inbox.add_notes(app, world, "moses", [f"C{n}" for n in range(5)], rep_id=world.moses)
    moses = _inbox.signed_in(app, world, "moses")
    moses.post(f"{NOTES}/read", json={"ids": [ids[4]]})

    first = moses.get(NOTES, params={"limit": 2}).json()
    last = moses.get(NOTES, params={"limit": 2, "offset": 4}).json()
    unread = moses.get(NOTES, params={"unread_only": True, "limit": 3}).json()

    assert [i["id"] for i in first["items"]] == [ids[4], ids[3]] and first["has_more"] is True
    assert [i["id"] for i in last["items"]] == [ids[0]] and last["has_more"] is False
    assert [i["id"] for i in unread["items"]] == [ids[3], ids[2], ids[1]]
    assert unread["has_more"] is True and unread["unread"] == 4
    assert (first["limit"], first["offset"], last["offset"]) == (2, 0, 4)


def test_a_limit_outside_1_to_200_is_422_naming_it(app: Fenpei, world: _inbox.InboxWorld) -> None:
    moses = _inbox.signed_in(app, world, "moses")
    for limit in (0, 201, -1):
        assert_error(moses.get(NOTES, params={"limit": limit}), 422, "validation_failed", "limit")
    assert moses.get(NOTES, params={"limit": 200}).status_code == 200


def test_marking_ids_read_changes_only_the_callers_own(
    app: Fenpei, world: _inbox.InboxWorld
) -> None:
    mine = _inbox.add_notes(app, world, "moses", ["A", "B"], rep_id=world.moses)
    theirs = _inbox.add_notes(app, world, "darcel", ["C"], rep_id=world.darcel)
    moses = _inbox.signed_in(app, world, "moses")

    marked = moses.post(f"{NOTES}/read", json={"ids": [mine[0], *theirs]})

    assert marked.status_code == 200, marked.text
    assert marked.json() == {"marked": 1, "unread": 1}
    assert moses.get(f"{NOTES}/unread-count").json() == {"unread": 1}
    darcel = _inbox.signed_in(app, world, "darcel")
    assert darcel.get(f"{NOTES}/unread-count").json() == {"unread": 1}
    assert [i["read"] for i in darcel.get(NOTES).json()["items"]] == [False]
    again = moses.post(f"{NOTES}/read", json={"ids": [mine[0]]})
    assert again.json() == {"marked": 0, "unread": 1}  # already read: nothing changes


def test_mark_all_read_marks_every_own_notification_and_no_one_elses(
    app: Fenpei, world: _inbox.InboxWorld
) -> None:
    _inbox.add_notes(app, world, "moses", ["A", "B", "C"], rep_id=world.moses)
    _inbox.add_notes(app, world, "darcel", ["D", "E"], rep_id=world.darcel)
    moses = _inbox.signed_in(app, world, "moses")

    marked = moses.post(f"{NOTES}/read", json={"all": True})

    assert marked.json() == {"marked": 3, "unread": 0}
    assert all(item["read"] for item in moses.get(NOTES).json()["items"])
    assert moses.get(NOTES, params={"unread_only": True}).json()["items"] == []
    darcel = _inbox.signed_in(app, world, "darcel")
    assert darcel.get(f"{NOTES}/unread-count").json() == {"unread": 2}


def test_mark_read_needs_ids_or_all_and_not_both(app: Fenpei, world: _inbox.InboxWorld) -> None:
    (note,) = _inbox.add_notes(app, world, "moses", ["A"], rep_id=world.moses)
    moses = _inbox.signed_in(app, world, "moses")

    for body in ({}, {"all": False}, {"ids": [note], "all": True}, {"ids": None}):
        response = moses.post(f"{NOTES}/read", json=body)
        assert_error(response, 422, "validation_failed", "ids")
    assert_error(moses.post(f"{NOTES}/read", json={"ids": [0]}), 422, "validation_failed")
    assert moses.get(f"{NOTES}/unread-count").json() == {"unread": 1}


def test_an_assignment_reaches_the_new_owners_inbox(app: Fenpei, world: _inbox.InboxWorld) -> None:
    with app.uow() as uow:
        assignments.assign(
            uow=uow, customer_id=world.acme, rep_id=world.moses, actor=SYSTEM, now=app.now()
        )
        uow.commit()
    with app.uow() as uow:
        assert expand(uow=uow, outlets=Outlets(), now=app.now()) == 1
        uow.commit()

    items = _inbox.signed_in(app, world, "moses").get(NOTES).json()["items"]

    assert [(i["text"], i["customer_id"]) for i in items] == [
        ("新客户「Acme 上海」已分配给您", world.acme)
    ]
    assert _inbox.signed_in(app, world, "darcel").get(NOTES).json()["items"] == []


def test_a_token_reads_and_marks_the_inbox_with_the_notifications_scopes_only(
    app: Fenpei, world: _inbox.InboxWorld
) -> None:
    _inbox.add_notes(app, world, "moses", ["A"], rep_id=world.moses)
    client = _inbox.signed_in(app, world, "admin")
    client.cookies.clear()
    _, reader = make_token(app, "notifications:read", username="moses")
    _, writer = make_token(app, "notifications:write", username="moses")
    _, other = make_token(app, "customers:read", username="moses")

    def call(token: str, method: str, path: str, body: object = None) -> int:
        headers = {"Authorization": f"Bearer {token}"}
        return client.request(method, path, headers=headers, json=body).status_code

    assert call(reader, "GET", NOTES) == 200
    assert call(reader, "GET", f"{NOTES}/unread-count") == 200
    assert call(other, "GET", NOTES) == 403
    assert call(reader, "POST", f"{NOTES}/read", {"all": True}) == 403
    assert call(writer, "POST", f"{NOTES}/read", {"all": True}) == 200
    assert call(writer, "GET", NOTES) == 403
    with app.uow() as uow:
        assert uow.inbox.unread_count(world.user_ids["moses"]) == 0


# --- the deliveries -------------------------------------------------------------------------


def test_an_admin_sees_deliveries_by_status_with_the_figures(
    app: Fenpei, world: _inbox.InboxWorld
) -> None:
    dead = _inbox.add_delivery(app, DeliveryStatus.dead, attempts=8, last_error="Timeout: 10 s")
    failing = _inbox.add_delivery(app, DeliveryStatus.pending, attempts=2, last_error="503")
    waiting = _inbox.add_delivery(app, DeliveryStatus.pending)
    done = _inbox.add_delivery(app, DeliveryStatus.delivered, attempts=1)
    admin = _inbox.signed_in(app, world, "admin")

    def ids(status: str) -> list[int]:
        answer = admin.get(DELIVERIES, params={"status": status})
        assert answer.status_code == 200, answer.text
        return [item["id"] for item in answer.json()["items"]]

    page = admin.get(DELIVERIES).json()
    assert [item["id"] for item in page["items"]] == [done, waiting, failing, dead]
    assert page["counts"] == {"pending": 2, "sending": 0, "delivered": 1, "dead": 1}
    assert page["pending_events"] == 4  # made by hand: none was expanded
    assert ids("dead") == [dead]
    assert ids("failing") == [failing]
    assert ids("problems") == [failing, dead]
    assert ids("delivered") == [done]
    first = admin.get(DELIVERIES, params={"limit": 1, "status": "problems"}).json()
    assert [i["id"] for i in first["items"]] == [failing] and first["has_more"] is True
    item = next(i for i in page["items"] if i["id"] == dead)
    assert (item["channel"], item["attempts"], item["last_error"]) == ("email", 8, "Timeout: 10 s")


def test_retrying_a_dead_delivery_makes_it_pending_with_no_attempts_and_is_audited(
    app: Fenpei, world: _inbox.InboxWorld
) -> None:
    dead = _inbox.add_delivery(app, DeliveryStatus.dead, attempts=8, last_error="refused")
    admin = _inbox.signed_in(app, world, "admin")

    response = admin.post(f"{DELIVERIES}/{dead}/retry")

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["attempts"]) == ("pending", 0)
    with app.uow() as uow:
        stored = uow.outbox.delivery(dead)
        assert stored is not None
        assert (stored.status, stored.attempts) == (DeliveryStatus.pending, 0)
        assert stored.next_attempt_at == app.now()
        audit = uow.audit.find(object_type="delivery", object_id=str(dead), limit=5)
    assert [(e.actor, e.after.get("status")) for e in audit] == [("admin", "pending")]


def test_a_delivered_message_is_not_retried_and_an_unknown_one_is_404(
    app: Fenpei, world: _inbox.InboxWorld
) -> None:
    done = _inbox.add_delivery(app, DeliveryStatus.delivered, attempts=1)
    admin = _inbox.signed_in(app, world, "admin")

    assert_error(admin.post(f"{DELIVERIES}/{done}/retry"), 409, "conflict")
    assert_error(admin.post(f"{DELIVERIES}/{done + 1000}/retry"), 404, "not_found")
    with app.uow() as uow:
        stored = uow.outbox.delivery(done)
        assert stored is not None and stored.status is DeliveryStatus.delivered


def test_only_admins_see_or_retry_deliveries(app: Fenpei, world: _inbox.InboxWorld) -> None:
    dead = _inbox.add_delivery(app, DeliveryStatus.dead, attempts=8)
    for username in ("manager", "auditor", "moses"):
        client = _inbox.signed_in(app, world, username)

        assert_error(client.get(DELIVERIES), 403, "permission_denied")
        assert_error(client.post(f"{DELIVERIES}/{dead}/retry"), 403, "permission_denied")
    with app.uow() as uow:
        stored = uow.outbox.delivery(dead)
        assert stored is not None and stored.status is DeliveryStatus.dead
