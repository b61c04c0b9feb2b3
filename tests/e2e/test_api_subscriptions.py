"""Webhook subscriptions over the API, on SQLite and PostgreSQL: an admin makes, reads,
changes, rotates and deletes them; the secret is in the answers to create and rotate only;
bad input gets the field at fault; a test event sent over the API reaches a real receiver
and shows in the subscription's delivery log; nobody else may touch them."""

from __future__ import annotations

from collections.abc import Iterator
from random import Random

import pytest
from fastapi.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.domain.users import Role
from fenpei.services.notifications.dispatch import dispatch_once, expand
from tests.e2e.conftest import World, log_in
from tests.e2e.test_api import assert_error
from tests.e2e.test_api_tokens import bearer, make_token, make_user
from tests.integration._webhook_receiver import WebhookReceiver

SUBS = "/api/v1/subscriptions"


@pytest.fixture(scope="module")
def server() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def receiver(server: WebhookReceiver) -> WebhookReceiver:
    server.reset()
    return server


def _create(client: TestClient, name: str = "crm", **fields: object) -> dict[str, object]:
    body = {"name": name, "url": "https://crm.example.com/hooks/fenpei", **fields}
    response = client.post(SUBS, json=body)
    assert response.status_code == 201, response.text
    made: dict[str, object] = response.json()
    return made


def test_an_admin_makes_reads_changes_rotates_and_deletes_a_subscription(
    user_client: TestClient,
) -> None:
    made = _create(user_client, events=["customer.assigned"])
    sub = f"{SUBS}/{made['id']}"
    secret = made["secret"]

    listed = user_client.get(SUBS).json()
    one = user_client.get(sub).json()
    changed = user_client.patch(sub, json={"active": False, "events": []})
    rotated = user_client.post(f"{sub}/rotate-secret").json()
    deleted = user_client.delete(sub)

    assert isinstance(secret, str) and secret.startswith("whsec_")
    assert made["events"] == ["customer.assigned"] and made["active"] is True
    assert made["created_by"] == "admin"
    assert [s["name"] for s in listed] == ["crm"] and "secret" not in listed[0]
    assert "secret" not in one and one["url"] == "https://crm.example.com/hooks/fenpei"
    assert changed.status_code == 200, changed.text
    assert (changed.json()["active"], changed.json()["events"]) == (False, [])
    assert rotated["secret"] != secret and rotated["id"] == made["id"]
    assert deleted.status_code == 204
    assert_error(user_client.get(sub), 404, "not_found")
    audit = user_client.get("/api/v1/audit", params={"limit": 50}).json()
    actions = [e["action"] for e in audit if e["action"].startswith("subscription.")]
    assert actions == [
        "subscription.delete",
        "subscription.rotate_secret",
        "subscription.update",
        "subscription.create",
    ]
    assert secret not in str(audit) and rotated["secret"] not in str(audit)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "crm", "url": "https://me:pw@crm.example.com/h"}, "url"),
        ({"name": "crm", "url": "javascript:alert(1)"}, "url"),
        ({"name": "crm", "url": "https://crm.example.com/h", "events": ["nope"]}, "events[0]"),
        ({"name": "", "url": "https://crm.example.com/h"}, "name"),
        ({"name": "crm", "url": "https://crm.example.com/h", "secret": "mine"}, "secret"),
        ({"name": "crm", "url": "https://crm.example.com/h", "active": "yes"}, "active"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_changes_nothing(
    user_client: TestClient, body: dict[str, object], field: str
) -> None:
    assert_error(user_client.post(SUBS, json=body), 422, "validation_failed", field)
    assert user_client.get(SUBS).json() == []


def test_a_taken_name_and_a_bad_new_url_are_refused(user_client: TestClient) -> None:
    made = _create(user_client)

    assert_error(user_client.post(SUBS, json={"name": "crm", "url": "http://x.example"}), 422,
                 "validation_failed", "name")  # fmt: skip
    patched = user_client.patch(f"{SUBS}/{made['id']}", json={"url": "ftp://x.example"})

    assert_error(patched, 422, "validation_failed", "url")
    assert user_client.get(f"{SUBS}/{made['id']}").json()["url"] == made["url"]


def test_a_test_event_reaches_the_receiver_and_its_delivery_log(
    app: Fenpei, user_client: TestClient, receiver: WebhookReceiver
) -> None:
    made = _create(user_client, url=receiver.url("/hooks/crm"), active=False)
    receiver.expect("/hooks/crm", str(made["secret"]))
    other = _create(user_client, "other", url=receiver.url("/hooks/other"))
    receiver.expect("/hooks/other", str(other["secret"]))

    sent = user_client.post(f"{SUBS}/{made['id']}/test")
    dispatch_once(uow_factory=app.uow, outlets=app.outlets, now=app.now, worker="w", rng=Random(1))
    log = user_client.get(f"{SUBS}/{made['id']}/deliveries").json()

    assert sent.status_code == 202, sent.text
    (post,) = [p for p in receiver.posts if p.path == "/hooks/crm"]
    assert post.accepted, post.verdict
    assert post.headers["X-Fenpei-Delivery"] == sent.json()["delivery"]
    assert post.body["type"] == "webhook.test"
    (entry,) = log["items"]
    assert (entry["status"], entry["attempts"], entry["channel"]) == ("delivered", 1, "webhook")
    assert entry["recipient"] == "crm" and log["has_more"] is False
    # The other (active) one got the seeded assignments, not the test event.
    others = [p.body["type"] for p in receiver.posts if p.path == "/hooks/other"]
    assert others == ["customer.assigned", "customer.reassigned"]


def test_the_delivery_log_pages(app: Fenpei, user_client: TestClient) -> None:
    made = _create(user_client)
    for _ in range(3):
        assert user_client.post(f"{SUBS}/{made['id']}/test").status_code == 202
    with app.uow() as uow:  # turned into deliveries, not sent: they wait as pending
        expand(uow=uow, outlets=app.outlets, now=app.now())
        uow.commit()

    log = f"{SUBS}/{made['id']}/deliveries"
    first = user_client.get(log, params={"limit": 3}).json()
    rest = user_client.get(log, params={"limit": 3, "offset": 3}).json()

    # The seeded world's two assignments and the three test events.
    assert len(first["items"]) == 3 and first["has_more"] is True
    assert len(rest["items"]) == 2 and rest["has_more"] is False
    ids = [d["id"] for d in first["items"] + rest["items"]]
    assert ids == sorted(ids, reverse=True)
    assert {d["status"] for d in first["items"] + rest["items"]} == {"pending"}


def test_only_admins_may_and_tokens_need_the_subscriptions_scope(
    app: Fenpei, client: TestClient, seeded: World
) -> None:
    make_user(app, "mia", Role.manager)
    log_in(client, "long enough password", username="mia")
    _, reader = make_token(app, "subscriptions:read")
    _, writer = make_token(app, "subscriptions:write")
    body = {"name": "crm", "url": "https://crm.example.com/h"}

    assert_error(client.get(SUBS), 403, "permission_denied")
    assert_error(client.post(SUBS, json=body), 403, "permission_denied")
    client.cookies.clear()
    assert client.get(SUBS, headers=bearer(reader)).status_code == 200
    assert_error(client.post(SUBS, json=body, headers=bearer(reader)), 403, "permission_denied")
    assert client.post(SUBS, json=body, headers=bearer(writer)).status_code == 201
