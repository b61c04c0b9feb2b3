"""The webhook subscription pages over HTTP, on SQLite and PostgreSQL, in zh-CN and English:
an admin adds one (its secret shown on that answer only), edits, rotates (the new secret
shown once), sends a test event that a real receiver gets and the log then shows, and
deletes — the destructive buttons ask first."""

from __future__ import annotations

import re
from collections.abc import Iterator
from random import Random

import pytest
from starlette.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.domain.events import DeliveryStatus
from fenpei.services.notifications.dispatch import dispatch_once
from tests.e2e.test_web import text_of
from tests.integration._webhook_receiver import WebhookReceiver

PAGE = "/admin/subscriptions"
_SECRET = re.compile(r'id="secret-value" class="secret-value" readonly value="(whsec_[^"]+)"')


@pytest.fixture(scope="module")
def server() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def receiver(server: WebhookReceiver) -> WebhookReceiver:
    server.reset()
    return server


def _add(client: TestClient, name: str, url: str, *events: str) -> tuple[int, str]:
    form = {"name": name, "url": url, "active": "true", "events": list(events)}
    response = client.post(PAGE, data=form)
    assert response.status_code == 200, response.text
    (secret,) = _SECRET.findall(response.text)
    found = re.search(rf'<a href="/admin/subscriptions/(\d+)">{re.escape(name)}</a>', response.text)
    assert found, response.text
    return int(found.group(1)), secret


def test_adding_one_shows_its_secret_on_that_answer_only(
    app: Fenpei, user_client: TestClient
) -> None:
    sub_id, secret = _add(user_client, "crm", "https://crm.example.com/h", "customer.pooled")

    later = [user_client.get(PAGE).text, user_client.get(f"{PAGE}/{sub_id}").text]

    with app.uow(read_only=True) as uow:
        stored = uow.subscriptions.get(sub_id)
    assert stored is not None and stored.secret == secret and stored.events == ["customer.pooled"]
    assert all(secret not in page and "secret-value" not in page for page in later)
    assert "客户已放入公海" in text_of(later[0]) and "启用" in text_of(later[0])


def test_a_refused_form_keeps_what_was_typed_and_says_what_to_fix(
    app: Fenpei, user_client: TestClient
) -> None:
    form = {"name": "crm", "url": "https://me:pw@crm.example.com/h", "events": ["customer.pooled"]}

    response = user_client.post(f"{PAGE}?lang=en", data=form)

    assert response.status_code == 422
    error = re.search(r'id="add-url-error">([^<]*)<', response.text)
    assert error and "must not hold a username or password" in error.group(1)
    assert 'value="https://me:pw@crm.example.com/h"' in response.text
    assert 'value="customer.pooled" checked' in response.text
    with app.uow(read_only=True) as uow:
        assert uow.subscriptions.all() == []


def test_editing_rotating_and_deleting_from_its_page(app: Fenpei, user_client: TestClient) -> None:
    sub_id, secret = _add(user_client, "crm", "https://crm.example.com/h")
    here = f"{PAGE}/{sub_id}"
    page = user_client.get(here).text

    saved = user_client.post(here, data={"url": "https://crm.example.com/v2", "events": []})
    rotated = user_client.post(f"{here}/rotate")
    (new_secret,) = _SECRET.findall(rotated.text)
    deleted = user_client.post(f"{here}/delete")

    assert 'data-confirm="要为「crm」生成新密钥吗？' in page
    assert 'data-confirm="要删除订阅「crm」吗？' in page
    assert (saved.status_code, saved.headers["location"]) == (303, f"{here}?done=saved")
    assert rotated.status_code == 200 and new_secret != secret
    assert (deleted.status_code, deleted.headers["location"]) == (303, f"{PAGE}?done=deleted")
    with app.uow(read_only=True) as uow:
        assert uow.subscriptions.get(sub_id) is None
        (update,) = [e for e in uow.audit.find(limit=50) if e.action == "subscription.update"]
    # Unticking "active" (absent from the form) switched it off.
    assert update.after == {"url": "https://crm.example.com/v2", "active": False}
    assert user_client.get(here).status_code == 404


def test_a_test_event_from_the_page_reaches_the_receiver_and_shows_in_the_log(
    app: Fenpei, user_client: TestClient, receiver: WebhookReceiver
) -> None:
    sub_id, secret = _add(user_client, "crm", receiver.url("/hooks/crm"), "customer.pooled")
    receiver.expect("/hooks/crm", secret)

    sent = user_client.post(f"{PAGE}/{sub_id}/test")
    dispatch_once(uow_factory=app.uow, outlets=app.outlets, now=app.now, worker="w", rng=Random(1))
    chinese = user_client.get(sent.headers["location"]).text
    english = user_client.get(f"{PAGE}/{sub_id}?lang=en").text

    (post,) = receiver.posts
    assert post.accepted and post.body["type"] == "webhook.test"
    assert "测试事件已发出" in text_of(chinese)
    rows = re.findall(r'<tr data-delivery="\d+">(.*?)</tr>', english, re.S)
    assert len(rows) == 1 and "Delivered" in text_of(rows[0])
    with app.uow(read_only=True) as uow:
        (delivery,) = uow.subscriptions.deliveries("crm")
    assert delivery.status is DeliveryStatus.delivered


def test_a_failing_receiver_shows_its_error_and_the_next_attempt(
    app: Fenpei, user_client: TestClient, receiver: WebhookReceiver
) -> None:
    sub_id, secret = _add(user_client, "crm", receiver.url("/hooks/crm"), "customer.pooled")
    receiver.expect("/hooks/crm", secret)
    receiver.fail_with = 503

    user_client.post(f"{PAGE}/{sub_id}/test")
    dispatch_once(uow_factory=app.uow, outlets=app.outlets, now=app.now, worker="w", rng=Random(1))
    (row,) = re.findall(
        r'<tr data-delivery="\d+">(.*?)</tr>',
        user_client.get(f"{PAGE}/{sub_id}?lang=en").text,
        re.S,
    )

    assert "Pending" in text_of(row) and "HTTP 503" in text_of(row) and "next at" in text_of(row)
