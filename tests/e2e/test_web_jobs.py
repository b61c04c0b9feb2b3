"""The scheduled jobs page (定时任务) over HTTP, on SQLite and PostgreSQL, in zh-CN and
English: each job's last and next run, "run now", and the latest runs."""

from __future__ import annotations

import dataclasses
import re

import pytest
from starlette.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.config import Language
from fenpei.jobs.registry import scheduled_jobs
from fenpei.web.i18n import LOCALES_DIR, catalog
from tests.e2e import _inbox
from tests.e2e.test_web import text_of


@pytest.fixture
def world(app: Fenpei) -> _inbox.InboxWorld:
    return _inbox.build(app)


def _row(html: str, job: str) -> str:
    found = re.search(rf'<tr data-job="{re.escape(job)}"[^>]*>.*?</tr>', html, re.S)
    assert found, html
    return found.group(0)


def _english_words() -> set[str]:
    """The English texts of the jobs catalog that a Chinese page must not show."""
    with (LOCALES_DIR / "en" / "LC_MESSAGES" / "jobs.po").open() as po:
        keys = set(re.findall(r'^msgid "([a-z_.-]+)"', po.read(), re.M))
    english = catalog(Language.en)
    return {english[k].split("{")[0].strip() for k in keys} - {""}


def test_a_job_never_run_then_run_now_shows_its_run_done_with_a_summary(
    app: Fenpei, world: _inbox.InboxWorld
) -> None:
    admin = _inbox.signed_in(app, world, "admin")

    before = admin.get("/admin/jobs").text
    row = text_of(_row(before, "retry-queue"))
    assert "从未运行" in row and "每 5 分钟" in row
    assert "重新分配排队中的客户" in row
    assert "尚无运行记录。" in text_of(before)

    response = admin.post("/admin/jobs/retry-queue/run")
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/admin/jobs?ran=retry-queue"

    after = admin.get(response.headers["location"]).text
    row = _row(after, "retry-queue")
    assert 'data-status="done"' in row and "完成" in text_of(row)
    assert "0 assigned, 0 pool, 0 queued" in text_of(row)
    assert "已运行 retry-queue：完成。" in text_of(after)
    history = re.findall(r'<tr data-run="([^"]+)"[^>]*>(.*?)</tr>', after, re.S)
    assert [job for job, _ in history] == ["retry-queue"]
    assert "手动" in text_of(history[0][1])
    with app.uow(read_only=True) as uow:
        [entry] = uow.audit.find(object_type="jobrun", object_id="retry-queue")
    assert (entry.action, entry.actor, entry.after["status"]) == ("run", "admin", "done")


def test_a_failed_run_is_marked_on_the_page(app: Fenpei, world: _inbox.InboxWorld) -> None:
    def on_fire() -> str:
        raise RuntimeError("the queue is on fire")

    admin = _inbox.signed_in(app, world, "admin")
    jobs = world.asgi.state.jobs
    world.asgi.state.jobs = [dataclasses.replace(jobs[0], run=on_fire)]
    try:
        assert admin.post("/admin/jobs/retry-queue/run").status_code == 303
        html = admin.get("/admin/jobs?ran=retry-queue&lang=en").text
    finally:
        world.asgi.state.jobs = jobs
    row = _row(html, "retry-queue")
    assert 'class="job-failed"' in row and 'data-status="failed"' in row
    assert "RuntimeError: the queue is on fire" in text_of(row)
    assert "Ran retry-queue: Failed." in text_of(html)


def test_the_page_in_english_and_in_chinese_without_english(
    app: Fenpei, world: _inbox.InboxWorld
) -> None:
    admin = _inbox.signed_in(app, world, "admin")
    admin.post("/admin/jobs/retry-queue/run")

    english = text_of(admin.get("/admin/jobs?lang=en").text)
    assert "Scheduled jobs" in english and "Every 5 minutes" in english
    assert "Route queued customers again" in english and "Latest runs" in english

    chinese = admin.get("/admin/jobs?lang=zh-CN").text
    # The run's summary is the job's own words (English, from code); the rest is catalog.
    shown = text_of(re.sub(r'<td class="job-summary">.*?</td>', "", chinese, flags=re.S))
    found = [w for w in _english_words() if re.search(rf"\b{re.escape(w)}\b", shown)]
    assert found == [], found
    assert '<a href="/admin/jobs" aria-current="page">定时任务</a>' in chinese


def test_only_admins_open_the_jobs_page_or_run_a_job(
    app: Fenpei, world: _inbox.InboxWorld, client: TestClient
) -> None:
    for username in ("manager", "auditor", "moses"):
        someone = _inbox.signed_in(app, world, username)

        assert someone.get("/admin/jobs").status_code == 403, username
        assert someone.post("/admin/jobs/retry-queue/run").status_code == 403, username
        assert 'href="/admin/jobs"' not in someone.get("/customers").text, username
    assert client.get("/admin/jobs").status_code == 303  # to the login page
    with app.uow(read_only=True) as uow:
        assert uow.job_runs.history(limit=5) == []


def test_running_an_unknown_job_is_404_and_runs_nothing(
    app: Fenpei, world: _inbox.InboxWorld
) -> None:
    admin = _inbox.signed_in(app, world, "admin")

    assert admin.post("/admin/jobs/no-such-job/run").status_code == 404
    with app.uow(read_only=True) as uow:
        assert uow.job_runs.history(limit=5) == []


def test_every_job_has_a_description_in_both_languages(app: Fenpei) -> None:
    for language in Language:
        words = catalog(language)
        for job in scheduled_jobs(app):
            assert f"jobs.description.{job.name}" in words, (language, job.name)
