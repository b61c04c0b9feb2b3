"""The audit log for admins and auditors, and Prometheus metrics for anyone."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.domain.users import Role
from tests.e2e.conftest import ADMIN_USERNAME, World
from tests.e2e.test_api import assert_error
from tests.e2e.test_api_rules import API, client_as

REQUESTS = re.compile(
    r'^fenpei_http_requests_total\{method="GET",route="/api/v1/customers/\{customer_id\}",'
    r'status="200"\} (\d+)$',
    re.MULTILINE,
)


def test_audit_filtered_by_object_lists_its_changes_before_and_after(
    user_client: TestClient, seeded: World
) -> None:
    user_client.patch(f"{API}/customers/{seeded.globex_id}", json={"level": "C"})

    response = user_client.get(
        f"{API}/audit", params={"object_type": "customer", "object_id": str(seeded.globex_id)}
    )

    assert response.status_code == 200, response.text
    entries = response.json()
    assert sorted(e["action"] for e in entries) == ["create", "update"]
    update = next(e for e in entries if e["action"] == "update")
    assert update["actor"] == ADMIN_USERNAME
    assert update["after"]["level"] == "C" and update["before"]["level"] != "C"
    assert {e["object_id"] for e in entries} == {str(seeded.globex_id)}


def test_audit_filtered_by_actor_and_limit(user_client: TestClient, seeded: World) -> None:
    for level in ("A", "B", "C"):
        user_client.patch(f"{API}/customers/{seeded.globex_id}", json={"level": level})

    mine = user_client.get(f"{API}/audit", params={"actor": ADMIN_USERNAME}).json()
    two = user_client.get(f"{API}/audit", params={"actor": ADMIN_USERNAME, "limit": 2}).json()
    nobody = user_client.get(f"{API}/audit", params={"actor": "nobody"}).json()

    assert len(mine) == 3 and {e["actor"] for e in mine} == {ADMIN_USERNAME}
    assert two == mine[:2]
    assert nobody == []


def test_audit_time_filters_need_a_zone_and_an_order(
    user_client: TestClient, seeded: World
) -> None:
    naive = user_client.get(f"{API}/audit", params={"since": "2026-01-01T00:00:00"})
    backwards = user_client.get(
        f"{API}/audit",
        params={"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
    )
    too_many = user_client.get(f"{API}/audit", params={"limit": 100_000})

    assert_error(naive, 422, "validation_failed", field="since")
    assert_error(backwards, 422, "validation_failed", field="until")
    assert_error(too_many, 422, "validation_failed", field="limit")


def test_audit_since_until_keep_entries_in_the_window(
    user_client: TestClient, seeded: World
) -> None:
    every = user_client.get(f"{API}/audit", params={"limit": 1000}).json()
    newest = every[0]["at"]

    at_newest = user_client.get(f"{API}/audit", params={"since": newest}).json()
    before_newest = user_client.get(f"{API}/audit", params={"until": newest}).json()

    assert at_newest and {e["at"] for e in at_newest} == {newest}
    assert len(at_newest) + len(before_newest) == len(every)


def test_auditor_may_read_the_audit_but_a_rep_may_not(app: Fenpei, seeded: World) -> None:
    with client_as(app, Role.auditor) as auditor:
        allowed = auditor.get(f"{API}/audit")
    with client_as(app, Role.rep) as rep:
        refused = rep.get(f"{API}/audit")
    with client_as(app, Role.manager) as manager:
        manager_refused = manager.get(f"{API}/audit")

    assert allowed.status_code == 200 and allowed.json(), allowed.text
    assert_error(refused, 403, "permission_denied")
    assert_error(manager_refused, 403, "permission_denied")


def test_audit_needs_a_login(client: TestClient, seeded: World) -> None:
    assert_error(client.get(f"{API}/audit"), 401, "not_authenticated")


def test_metrics_are_public_prometheus_text(client: TestClient, seeded: World) -> None:
    response = client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = response.text
    assert "# TYPE fenpei_http_requests_total counter" in text
    assert "# TYPE fenpei_http_request_duration_seconds histogram" in text
    # seeded: Acme assigned by hand, then transferred with a reason
    assert 'fenpei_assignments_total{method="manual",rule=""} 1' in text
    assert 'fenpei_assignments_total{method="transfer",rule=""} 1' in text
    assert "\nfenpei_queue_depth 0\n" in text


def test_metrics_request_count_increases_per_route_template(
    user_client: TestClient, seeded: World
) -> None:
    user_client.get(f"{API}/customers/{seeded.acme_id}")
    first = int(REQUESTS.findall(user_client.get("/metrics").text)[0])

    user_client.get(f"{API}/customers/{seeded.globex_id}")
    user_client.get(f"{API}/customers/{seeded.script_id}")
    second = int(REQUESTS.findall(user_client.get("/metrics").text)[0])

    assert second == first + 2
    text = user_client.get("/metrics").text
    assert 'route="/api/v1/customers/{customer_id}",status="200",le="+Inf"} 3' in text
    assert f"/api/v1/customers/{seeded.acme_id}" not in text


def test_metrics_count_unknown_paths_under_one_label(client: TestClient) -> None:
    client.get("/no/such/page/1")
    client.get("/no/such/page/2")

    text = client.get("/metrics").text

    assert 'route="unmatched",status="404"} 2' in text
    assert "/no/such" not in text
