"""The scheduled jobs over the API, on SQLite and PostgreSQL: admins list them with their
last and next run, read a job's runs and run one now (audited); nobody else may."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from fenpei.bootstrap import Fenpei
from tests.e2e import _inbox
from tests.e2e.test_api import assert_error
from tests.e2e.test_api_tokens import make_token

JOBS = "/api/v1/jobs"


@pytest.fixture
def world(app: Fenpei) -> _inbox.InboxWorld:
    return _inbox.build(app)


def test_retry_queue_is_listed_never_run_then_run_now_shows_its_run(
    app: Fenpei, world: _inbox.InboxWorld
) -> None:
    admin = _inbox.signed_in(app, world, "admin")

    listed = admin.get(JOBS).json()
    assert [j["name"] for j in listed] == [
        "retry-queue", "email-digest", "loads-reconcile", "follow-up-reminders", "sla-check",
        "pool-reclaim", "task-reminders", "rescore-all", "retrain-models", "crm-sync",
        "dedupe-scan", "backup",
    ]  # fmt: skip
    job = listed[0]
    assert job["name"] == "retry-queue" and job["every"] == 300
    assert job["description"].startswith("Route queued customers again")
    assert job["last_run"] is None and job["next_run_at"]
    assert admin.get(f"{JOBS}/retry-queue/runs").json() == []

    ran = admin.post(f"{JOBS}/retry-queue/run")
    assert ran.status_code == 200, ran.text
    assert ran.json() == {
        "job": "retry-queue",
        "status": "done",
        "summary": "0 assigned, 0 pool, 0 queued",
    }

    job = admin.get(JOBS).json()[0]
    last = job["last_run"]
    assert (last["status"], last["summary"]) == ("done", "0 assigned, 0 pool, 0 queued")
    assert last["started_at"] and last["finished_at"] and last["worker"].endswith(":web")
    assert last["by_hand"] is True
    assert admin.get(f"{JOBS}/retry-queue/runs", params={"limit": 5}).json() == [last]
    with app.uow(read_only=True) as uow:
        [entry] = uow.audit.find(object_type="jobrun", object_id="retry-queue")
    assert (entry.action, entry.actor, entry.after["summary"]) == (
        "run",
        "admin",
        "0 assigned, 0 pool, 0 queued",
    )


def test_an_api_token_with_the_jobs_scope_runs_a_job(app: Fenpei, world: _inbox.InboxWorld) -> None:
    _, read = make_token(app, "jobs:read")
    _, write = make_token(app, "jobs:write")
    client = TestClient(world.asgi)

    def bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    assert client.get(JOBS, headers=bearer(read)).status_code == 200
    assert client.post(f"{JOBS}/retry-queue/run", headers=bearer(read)).status_code == 403
    assert client.post(f"{JOBS}/retry-queue/run", headers=bearer(write)).status_code == 200


def test_only_admins_see_or_run_jobs(
    app: Fenpei, world: _inbox.InboxWorld, client: TestClient
) -> None:
    for username in ("manager", "auditor", "moses"):
        someone = _inbox.signed_in(app, world, username)

        assert_error(someone.get(JOBS), 403, "permission_denied")
        assert_error(someone.get(f"{JOBS}/retry-queue/runs"), 403, "permission_denied")
        assert_error(someone.post(f"{JOBS}/retry-queue/run"), 403, "permission_denied")
    assert client.get(JOBS).status_code == 401
    with app.uow(read_only=True) as uow:
        assert uow.job_runs.history(limit=5) == []


def test_an_unknown_job_is_404(app: Fenpei, world: _inbox.InboxWorld) -> None:
    admin = _inbox.signed_in(app, world, "admin")

    assert_error(admin.get(f"{JOBS}/no-such-job/runs"), 404, "not_found")
    assert_error(admin.post(f"{JOBS}/no-such-job/run"), 404, "not_found")
    with app.uow(read_only=True) as uow:
        assert uow.job_runs.history(limit=5) == []
