"""首次联系时限 in the browser's terms: the admin page lists the year's official holidays
and 调休 days, adds a policy (bad fields marked) and imports a year's file (bad rows
named); a customer's page shows its clock and a manager pauses and resumes it; 我的客户
marks what is due; managers read the page, reps may not."""

from __future__ import annotations

from random import Random

import sqlalchemy as sa
from starlette.testclient import TestClient

from fenpei.adapters.db import tables
from fenpei.bootstrap import Fenpei
from fenpei.domain.users import SYSTEM, Role
from fenpei.services.assignments import assign
from fenpei.services.follow_ups.records import record_follow_up
from fenpei.services.pool.claims import return_to_pool
from fenpei.services.sla.check import check
from tests.e2e.conftest import World
from tests.e2e.test_api_org import client_for
from tests.e2e.test_web import text_of
from tests.fakes import FixedClock


def test_the_admin_adds_a_policy_and_imports_a_years_holidays(
    user_client: TestClient, seeded: World
) -> None:
    page = user_client.get("/admin/sla?lang=zh-CN&year=2026")
    words = text_of(page.text)
    assert page.status_code == 200 and "2026-10-10" in words and "调休上班" in words
    assert "国庆节" in words and "还没有时限规则" in words

    bad = user_client.post(
        "/admin/sla/policies",
        data={"name": "", "first_contact_minutes": "0", "remind_before_minutes": "0"},
    )
    assert bad.status_code == 422
    assert 'id="sla-first_contact_minutes"' in bad.text and 'aria-invalid="true"' in bad.text
    assert "请修改标出的字段" in text_of(bad.text)
    added = user_client.post(
        "/admin/sla/policies",
        data={"name": "两小时首呼", "first_contact_minutes": "120", "remind_before_minutes": "30",
              "notify_manager": "on", "reassign_after_minutes": ""},
    )  # fmt: skip
    assert (added.status_code, added.headers["location"]) == (303, "/admin/sla?done=added")
    listed = text_of(user_client.get("/admin/sla?lang=zh-CN").text)
    assert "两小时首呼" in listed and "120 分钟" in listed and "从不" in listed

    refused = user_client.post(
        "/admin/sla/holidays",
        data={"year": "2027"},
        files={"file": ("2027.csv", "2027-10-01,holiday,国庆节\n2027-10-02,maybe,x\n", "text/csv")},
    )
    assert refused.status_code == 422 and "第 2 行" in text_of(refused.text)
    imported = user_client.post(
        "/admin/sla/holidays",
        data={"year": "2027"},
        files={"file": ("2027.csv", "2027-10-01,holiday,国庆节\n".encode(), "text/csv")},
    )
    assert imported.status_code == 303
    year_2027 = text_of(user_client.get("/admin/sla?lang=zh-CN&year=2027").text)
    assert "2027-10-01" in year_2027 and "导入" in year_2027 and "尚无 2027 年的数据" in year_2027


def _moses_gets_a_customer_under_a_policy(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    """A two-hour first-contact policy; Moses is given the open seeded customer on Monday
    17:30 in Shanghai, so its clock is due Tuesday 10:30."""
    user_client.post(
        "/admin/sla/policies", data={"name": "两小时首呼", "first_contact_minutes": "120"}
    )
    with app.uow() as uow:
        assign(uow=uow, customer_id=seeded.script_id, rep_id=seeded.moses_id, actor=SYSTEM,
               now=app.now())  # fmt: skip
        uow.commit()


def test_the_customer_page_shows_the_clock_and_a_manager_pauses_it(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    _moses_gets_a_customer_under_a_policy(app, user_client, seeded)  # due Tue 10:30

    page = text_of(user_client.get(f"/customers/{seeded.script_id}?lang=zh-CN").text)
    assert "首次联系时限" in page and "计时中" in page and "2026-11-03 10:30" in page
    assert "120 工作分钟" in page
    paused = user_client.post(f"/customers/{seeded.script_id}/sla/pause")
    assert paused.status_code == 303
    assert "已暂停" in text_of(user_client.get(f"/customers/{seeded.script_id}?lang=zh-CN").text)
    user_client.post(f"/customers/{seeded.script_id}/sla/resume")
    again = text_of(user_client.get(f"/customers/{seeded.script_id}?lang=zh-CN").text)
    assert "计时中" in again and "已暂停" not in again

    moses = client_for(app, "moses", Role.rep, rep_id=seeded.moses_id)
    mine = text_of(moses.get("/my?lang=zh-CN").text)
    assert "联系时限" in mine and "11-03 10:30 前" in mine and "下次联系" not in mine
    assert "暂停计时" not in text_of(moses.get(f"/customers/{seeded.script_id}?lang=zh-CN").text)
    assert moses.get("/admin/sla").status_code == 403
    manager = client_for(app, "boss", Role.manager)
    read_only = manager.get("/admin/sla?lang=zh-CN")
    assert read_only.status_code == 200 and 'id="new-policy"' not in read_only.text


def test_a_lost_customer_s_page_says_its_clock_stopped_and_why(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    _moses_gets_a_customer_under_a_policy(app, user_client, seeded)
    running = text_of(user_client.get(f"/customers/{seeded.script_id}?lang=zh-CN").text)
    lost = user_client.post(
        f"/customers/{seeded.script_id}/stage", data={"stage": "lost", "reason": "预算取消"}
    )

    assert lost.status_code == 303
    zh = text_of(user_client.get(f"/customers/{seeded.script_id}?lang=zh-CN").text)
    en = text_of(user_client.get(f"/customers/{seeded.script_id}?lang=en").text)
    assert "计时中" in running and "计时停止" not in running
    assert "已取消 客户已流失，计时停止" in zh and "暂停计时" not in zh
    assert "Cancelled stopped: the customer was lost" in en


def test_a_customer_returned_to_the_pool_or_handed_on_says_why_its_clock_stopped(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    _moses_gets_a_customer_under_a_policy(app, user_client, seeded)
    with app.uow() as uow:
        return_to_pool(uow=uow, customer_id=seeded.script_id, reason="other", actor=SYSTEM,
                       now=app.now())  # fmt: skip
        uow.commit()

    zh = text_of(user_client.get(f"/customers/{seeded.script_id}?lang=zh-CN").text)
    en = text_of(user_client.get(f"/customers/{seeded.script_id}?lang=en").text)

    assert "已取消 客户已进入公海，计时停止" in zh
    assert "Cancelled stopped: the customer went to a pool" in en
    with app.engine.begin() as connection:  # no policy for the next owner: no clock of theirs
        connection.execute(sa.update(tables.sla_policies).values(active=False))
    with app.uow() as uow:
        assign(uow=uow, customer_id=seeded.script_id, rep_id=seeded.darcel_id, actor=SYSTEM,
               now=app.now())  # fmt: skip
        uow.commit()
    moved = text_of(user_client.get(f"/customers/{seeded.script_id}?lang=zh-CN").text)
    assert "已取消 负责人已变更，计时停止" in moved


def test_the_customer_list_marks_an_overdue_first_contact(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    _moses_gets_a_customer_under_a_policy(app, user_client, seeded)
    due = text_of(user_client.get("/customers?lang=zh-CN").text)
    assert "11-03 10:30 前" in due
    with app.engine.begin() as connection:
        connection.execute(sa.update(tables.sla_clocks).values(state="breached"))
    overdue = text_of(user_client.get("/customers?lang=en").text)
    assert "Overdue" in overdue and "by 11-03" not in overdue


def test_a_next_contact_target_on_the_form_and_the_next_clock_on_the_pages(
    app: Fenpei, user_client: TestClient, seeded: World, clock: FixedClock
) -> None:
    bad = user_client.post(
        "/admin/sla/policies?lang=zh-CN",
        data={"name": "再联系", "first_contact_minutes": "120", "remind_before_minutes": "30",
              "next_contact_minutes": "30"},
    )  # fmt: skip
    added = user_client.post(
        "/admin/sla/policies",
        data={"name": "再联系", "first_contact_minutes": "120", "next_contact_minutes": "60"},
    )
    listed = text_of(user_client.get("/admin/sla?lang=zh-CN").text)
    with app.uow() as uow:  # Monday 17:30 in Shanghai
        assign(uow=uow, customer_id=seeded.script_id, rep_id=seeded.moses_id, actor=SYSTEM,
               now=app.now())  # fmt: skip
        record_follow_up(uow=uow, customer_id=seeded.script_id, actor=SYSTEM, kind="phone",
                         at=app.now(), content="通话", now=app.now())  # fmt: skip
        uow.commit()
    clock.advance(minutes=5)
    check(uow_factory=app.uow, rulebook=app.rulebook, now=app.now(), rng=Random(1))

    assert bad.status_code == 422 and 'id="sla-e-next_contact_minutes"' in bad.text
    assert "须大于提前提醒的分钟数" in text_of(bad.text)
    assert added.status_code == 303
    assert "下次联系时限（工作分钟）" in listed and "60 分钟" in listed
    page = user_client.get(f"/customers/{seeded.script_id}?lang=zh-CN").text
    assert 'data-kind="next"' in page
    words = text_of(page)
    assert "下次联系时限" in words and "计时中" in words and "2026-11-03 09:30" in words
    mine = text_of(client_for(app, "moses", Role.rep, rep_id=seeded.moses_id).get(
        "/my?lang=zh-CN").text)  # fmt: skip
    assert "下次联系 11-03 09:30 前" in mine
    english = text_of(user_client.get(f"/customers/{seeded.script_id}?lang=en").text)
    assert "Next contact" in english and "First contact" not in english


def test_the_admin_edits_a_policy_on_the_page_and_a_manager_may_not(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    user_client.post(
        "/admin/sla/policies",
        data={"name": "两小时首呼", "first_contact_minutes": "120", "remind_before_minutes": "30",
              "notify_manager": "on"},
    )  # fmt: skip
    with app.engine.connect() as connection:
        policy_id = connection.scalar(sa.select(tables.sla_policies.c.id))
    form = user_client.get(f"/admin/sla?lang=zh-CN&edit={policy_id}").text
    assert "编辑时限规则：两小时首呼" in text_of(form)
    assert f'action="/admin/sla/policies/{policy_id}"' in form
    assert (
        'id="sla-first_contact_minutes" name="first_contact_minutes" type="number" value="120"'
        in form
    )
    assert 'id="sla-notify_manager" name="notify_manager" type="checkbox" checked' in form

    def stored() -> tuple[object, ...]:
        p = tables.sla_policies.c
        with app.engine.connect() as connection:
            row = connection.execute(
                sa.select(p.name, p.first_contact_minutes, p.notify_manager, p.updated_at)
            ).one()
        return tuple(row)

    before = stored()
    bad = user_client.post(
        f"/admin/sla/policies/{policy_id}?lang=zh-CN",
        data={"name": "两小时首呼", "first_contact_minutes": "0"},
    )
    assert bad.status_code == 422 and "请修改标出的字段" in text_of(bad.text)
    assert 'aria-describedby="sla-e-first_contact_minutes"' in bad.text
    assert f'action="/admin/sla/policies/{policy_id}"' in bad.text  # still the edit form
    assert stored() == before

    saved = user_client.post(
        f"/admin/sla/policies/{policy_id}",
        data={"name": "一小时首呼", "first_contact_minutes": "60", "remind_before_minutes": "15"},
    )
    assert (saved.status_code, saved.headers["location"]) == (303, "/admin/sla?done=updated")
    assert stored()[:3] == ("一小时首呼", 60, False)

    manager = client_for(app, "boss", Role.manager)
    assert manager.get(f"/admin/sla?edit={policy_id}").status_code == 403
    refused = manager.post(f"/admin/sla/policies/{policy_id}", data={"name": "x"})
    assert refused.status_code == 403
    assert stored()[:3] == ("一小时首呼", 60, False)
