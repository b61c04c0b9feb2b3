"""The customer page's follow-up and stage forms, its timeline, and "my customers" by what
is due — in both languages, with errors on the field and nothing saved."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services import assignments, users
from fenpei.services.customers import create_customer
from fenpei.services.follow_ups.records import record_follow_up
from tests.e2e._visible_text import foreign_words
from tests.e2e.conftest import ADMIN_PASSWORD, World, log_in
from tests.fakes import FixedClock

_TIMELINE_ITEM = re.compile(r'<li class="timeline-item timeline-(\w+)">')


def _log_in_as(app: Fenpei, clock: FixedClock, client: TestClient, rep_id: int, name: str) -> None:
    with app.uow() as uow:
        users.create_user(
            uow=uow, hasher=app.hasher, username=name, password=ADMIN_PASSWORD, role=Role.rep,
            rep_id=rep_id, actor=SYSTEM, now=clock.at,
        )  # fmt: skip
        uow.commit()
    log_in(client, username=name)


def _darcel_on_acme(app: Fenpei, clock: FixedClock, client: TestClient, seeded: World) -> str:
    """Two days after the seeded reassignment, ``client`` is Acme's owner Darcel; Acme's page."""
    clock.advance(days=2)
    _log_in_as(app, clock, client, seeded.darcel_id, "darcel")
    return f"/customers/{seeded.acme_id}"


def test_the_owner_logs_a_follow_up_from_the_page_and_sees_it_on_top(
    app: Fenpei, clock: FixedClock, client: TestClient, seeded: World
) -> None:
    page = _darcel_on_acme(app, clock, client, seeded)
    client.cookies.set("lang", "zh-CN")

    form = client.get(page).text
    posted = client.post(
        f"{page}/follow-ups",
        data={"kind": "wechat", "at": "", "content": "微信聊了新方案", "outcome": "有兴趣",
              "next_at": "2026-11-10T10:00", "stage": "", "reason": ""},
    )  # fmt: skip
    shown = client.get(posted.headers["location"]).text

    assert f'action="/customers/{seeded.acme_id}/follow-ups"' in form
    assert "微信" in form and "写跟进记录" in form
    assert posted.status_code == 303 and "followed=1" in posted.headers["location"]
    assert _TIMELINE_ITEM.findall(shown)[:2] == ["follow_up", "stage_change"]
    assert "微信聊了新方案" in shown and "下次跟进：2026-11-10 10:00" in shown
    assert "首次跟进" in shown and "跟进记录已保存" in shown
    assert not foreign_words(
        shown,
        data=["Acme", "Moses Frase", "Darcel Schlecht", "darcel", "Moses is on leave", "East"],
    )


def test_a_bad_follow_up_is_shown_on_its_fields_and_nothing_is_saved(
    app: Fenpei, clock: FixedClock, client: TestClient, seeded: World
) -> None:
    page = _darcel_on_acme(app, clock, client, seeded)

    bad = client.post(
        f"{page}/follow-ups",
        data={"kind": "phone", "at": "2026-11-04T09:00", "content": " ",
              "next_at": "2026-11-03T09:00", "stage": "lost", "reason": ""},
    )  # fmt: skip
    lost = client.post(f"{page}/stage", data={"stage": "lost", "reason": ""})

    assert bad.status_code == 422
    for field in ("content", "next_at", "reason"):
        assert f'aria-describedby="fu-e-{field}"' in bad.text, field
    assert "须晚于本次跟进时间" in bad.text and "请填写输单原因" in bad.text
    assert lost.status_code == 422 and 'id="st-e-reason"' in lost.text
    with app.uow(read_only=True) as uow:
        assert uow.follow_ups.count_for(seeded.acme_id) == 0
        customer = uow.customers.get(seeded.acme_id)
        assert customer is not None and customer.stage.value == "new"
    moved = client.post(f"{page}/stage", data={"stage": "lost", "reason": "价格太高"})
    assert moved.status_code == 303
    assert "价格太高" in client.get(moved.headers["location"]).text


def test_another_rep_cannot_post_to_a_customer_they_do_not_own(
    app: Fenpei, clock: FixedClock, client: TestClient, seeded: World
) -> None:
    _log_in_as(app, clock, client, seeded.moses_id, "moses")

    response = client.post(
        f"/customers/{seeded.acme_id}/follow-ups", data={"kind": "phone", "content": "x"}
    )

    assert response.status_code == 404


def test_my_customers_by_what_is_due_puts_overdue_first_and_marks_it(
    app: Fenpei, clock: FixedClock, client: TestClient, seeded: World
) -> None:
    owner = Actor("moses", Role.rep, rep_id=seeded.moses_id)
    with app.uow() as uow:
        made = {}
        for name in ("不急客户", "逾期客户", "无计划客户"):
            customer = create_customer(uow=uow, fields={"name": name}, actor=SYSTEM, now=clock.at)
            assert customer.id is not None
            assignments.assign(uow=uow, customer_id=customer.id, rep_id=seeded.moses_id,
                               actor=SYSTEM, now=clock.at)  # fmt: skip
            made[name] = customer.id
        uow.commit()
    with app.uow() as uow:
        for name, days in (("不急客户", 5), ("逾期客户", 1)):
            record_follow_up(uow=uow, customer_id=made[name], actor=owner, kind="phone",
                             at=clock.at, content="电话", next_at=clock.at + timedelta(days=days),
                             now=clock.at)  # fmt: skip
        uow.commit()
    clock.advance(days=2)
    _log_in_as(app, clock, client, seeded.moses_id, "moses")
    client.cookies.set("lang", "zh-CN")

    due = client.get("/my?order=due").text
    recent = client.get("/my").text

    names = re.findall(r'<a href="/customers/\d+">([^<]+)</a>', due)
    assert names[:3] == ["逾期客户", "不急客户", "无计划客户"]
    assert due.count('class="badge badge-danger overdue"') == 1 and "已逾期" in due
    assert "按到期事项" in recent and "下次跟进" in recent
    assert not foreign_words(due, data=["moses", "Moses", "Frase"])


def test_the_author_corrects_a_follow_up_on_the_timeline_and_a_colleague_cannot(
    app: Fenpei, clock: FixedClock, client: TestClient, seeded: World
) -> None:
    page = _darcel_on_acme(app, clock, client, seeded)
    client.cookies.set("lang", "zh-CN")
    client.post(
        f"{page}/follow-ups",
        data={"kind": "phone", "at": "", "content": "电话没接通", "next_at": "2026-11-10T10:00"},
    )
    with app.uow(read_only=True) as uow:
        (logged,) = uow.follow_ups.for_customer(seeded.acme_id, limit=5)
    action = f"{page}/follow-ups/{logged.id}"

    offered = client.get(page).text
    bad = client.post(action, data={"kind": "phone", "content": " ", "next_at": "2026-11-01T09:00"})
    fixed = client.post(
        action, data={"kind": "wechat", "content": "电话没接通，改发微信", "outcome": "已读",
                      "next_at": "2026-11-11T15:00"},
    )  # fmt: skip
    shown = client.get(fixed.headers["location"]).text

    assert f'action="{action}"' in offered and "更正" in offered and "跟进时间不可更改" in offered
    assert bad.status_code == 422 and '<details class="follow-up-correction" open>' in bad.text
    assert f'aria-describedby="fc-{logged.id}-e-content"' in bad.text
    assert f'aria-describedby="fc-{logged.id}-e-next_at"' in bad.text
    assert fixed.status_code == 303 and fixed.headers["location"].endswith(
        f"?corrected=1#follow-up-{logged.id}"
    )
    assert "跟进记录已更正" in shown and "电话没接通，改发微信" in shown and "已更正于" in shown
    assert "下次跟进：2026-11-11 15:00" in shown
    with app.uow(read_only=True) as uow:
        customer = uow.customers.get(seeded.acme_id)
        assert customer is not None and customer.next_follow_up_at is not None
        assert customer.next_follow_up_at.isoformat().startswith("2026-11-11T07:00")
        assert uow.follow_ups.for_customer(seeded.acme_id, limit=5)[0].at == logged.at
    assert not foreign_words(
        shown,
        data=["Acme", "Moses Frase", "Darcel Schlecht", "darcel", "Moses is on leave", "East"],
    )

    admin = TestClient(client.app, follow_redirects=False)
    log_in(admin)
    assert f'action="{action}"' in admin.get(page).text  # an admin may, any time
    _log_in_as(app, clock, client, seeded.moses_id, "moses")
    assert client.post(action, data={"kind": "phone", "content": "x"}).status_code == 404
