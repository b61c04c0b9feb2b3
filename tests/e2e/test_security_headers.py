"""Response headers and error pages: every page carries the security headers, and an
unexpected error on a page is the localized error page with a request id, not JSON."""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from fenpei.app import create_app
from fenpei.bootstrap import Fenpei
from fenpei.http.headers import CONTENT_SECURITY_POLICY
from tests.e2e.conftest import World, log_in


@pytest.fixture
def failing_client(app: Fenpei) -> TestClient:
    """The app with one page and one API route that fail unexpectedly."""
    web: FastAPI = create_app(app)

    def boom() -> None:
        raise RuntimeError("a bug, not bad input")

    web.add_api_route("/boom", boom, include_in_schema=False)
    web.add_api_route("/api/v1/boom", boom, include_in_schema=False)
    return TestClient(web, raise_server_exceptions=False, follow_redirects=False)


def test_pages_and_api_answers_carry_the_security_headers(
    client: TestClient, seeded: World
) -> None:
    log_in(client)
    for path in ("/customers", f"/customers/{seeded.acme_id}", "/api/v1/customers", "/login"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
        assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
        assert len(response.headers["x-request-id"]) == 12


def test_pages_hold_no_inline_script_or_style(client: TestClient, seeded: World) -> None:
    log_in(client)
    for path in ("/customers", f"/customers/{seeded.acme_id}", "/dashboard", "/rules/new"):
        html = client.get(path).text
        assert " style=" not in html, path
        assert "<style" not in html, path
        for chunk in html.split("<script")[1:]:
            head = chunk.split(">", 1)[0]
            assert "src=" in head or 'type="application/json"' in head, (path, head)


def test_an_unexpected_error_on_a_page_is_the_localized_page_with_a_request_id(
    failing_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    failing_client.cookies.set("lang", "zh-CN")
    with caplog.at_level(logging.ERROR):
        response = failing_client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    rid = next(r for r in caplog.records if "unhandled error" in r.getMessage()).args
    assert isinstance(rid, tuple)
    assert f"请求编号 {rid[-1]}" in response.text
    assert "Traceback" not in response.text and "RuntimeError" not in response.text


def test_an_unexpected_error_on_the_api_is_json_with_the_request_id(
    failing_client: TestClient,
) -> None:
    response = failing_client.get("/api/v1/boom")
    assert response.status_code == 500
    body = response.json()
    assert body["code"] == "internal_error"
    assert body["request_id"] in body["message"]


def test_an_oversize_form_on_a_page_is_a_page_too(client: TestClient) -> None:
    response = client.post(
        "/login",
        content=b"username=" + b"x" * (2 * 2**20),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
