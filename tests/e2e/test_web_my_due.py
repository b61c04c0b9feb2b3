"""我的客户 by what is due: the earliest of the next follow-up, the running SLA clock and the
reclaim, overdue first, said in words in the rep's zone — on the page and by the API, in a
fixed number of statements however many customers a page shows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.domain.sla import ClockState, SlaClock
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services import assignments, users
from fenpei.services.customers import create_customer
from fenpei.services.follow_ups.records import record_follow_up
from fenpei.services.pool.terms import set_terms
from tests.e2e._visible_text import foreign_words
from tests.e2e.conftest import ADMIN_PASSWORD, World, log_in
from tests.fakes import FixedClock

_NAMES = re.compile(r'<a href="/customers/\d+">([^<]+)</a>')
_DUE = re.compile(r'<span class="due-thing due-(\w+)( due-overdue)?" title="[^"]+">([^<]+)</span>')
ADMIN = Actor("root", Role.admin)


def _give(app: Fenpei, clock: FixedClock, rep_id: int, **levels: str | None) -> dict[str, int]:
    made = {}
    with app.uow() as uow:
        for name, level in levels.items():
            fields = {"name": name, **({"level": level} if level else {})}
            customer = create_customer(uow=uow, fields=fields, actor=SYSTEM, now=clock.at)
            assert customer.id is not None
            assignments.assign(
                uow=uow, customer_id=customer.id, rep_id=rep_id, actor=SYSTEM, now=clock.at
            )
            made[name] = customer.id
        uow.commit()
    return made


def _plan_follow_up(
    app: Fenpei, clock: FixedClock, rep_id: int, customer_id: int, **in_: float
) -> None:
    with app.uow() as uow:
        record_follow_up(
            uow=uow, customer_id=customer_id, actor=Actor("rep", Role.rep, rep_id=rep_id),
            kind="phone", at=clock.at, content="电话", next_at=clock.at + timedelta(**in_),
            now=clock.at,
        )  # fmt: skip
        uow.commit()


def _start_clock(
    app: Fenpei,
    clock: FixedClock,
    rep_id: int,
    customer_id: int,
    *,
    paused: bool = False,
    **in_: float,
) -> None:
    with app.uow() as uow:
        uow.sla.add_clock(
            SlaClock(
                customer_id=customer_id, rep_id=rep_id, started_at=clock.at,
                due_at=clock.at + timedelta(**in_), state=ClockState.open,
                paused_at=clock.at if paused else None,
            )
        )  # fmt: skip
        uow.commit()


def _log_in_as(app: Fenpei, clock: FixedClock, client: TestClient, rep_id: int, name: str) -> None:
    with app.uow() as uow:
        users.create_user(
            uow=uow, hasher=app.hasher, username=name, password=ADMIN_PASSWORD, role=Role.rep,
            rep_id=rep_id, actor=SYSTEM, now=clock.at,
        )  # fmt: skip
        uow.commit()
    log_in(client, username=name)


def _moses_has_one_of_each(app: Fenpei, clock: FixedClock, seeded: World) -> None:
    """At 09:30 UTC (17:30 in Moses' Shanghai) his customers get: a follow-up in 1 hour, one
    tomorrow; nothing; a level-C customer his pool reclaims after 3 days without a
    follow-up. Three hours later (20:30 Shanghai) a first-contact clock runs to 1 hour from
    then, and a paused one to 30 minutes from then."""
    with app.uow() as uow:
        set_terms(uow=uow, key="public", actor=ADMIN, now=clock.at, fields={
            "reclaim_enabled": True, "level_days": {"C": {"no_follow_up": 3}},
        })  # fmt: skip
        uow.commit()
    moses = seeded.moses_id
    names = ("逾期跟进", "明天跟进", "首次联系客户", "暂停客户", "无事客户")
    made = _give(app, clock, moses, **dict.fromkeys(names), 回收客户="C")
    _plan_follow_up(app, clock, moses, made["逾期跟进"], hours=1)
    _plan_follow_up(app, clock, moses, made["明天跟进"], days=1, hours=3)
    clock.advance(hours=3)
    _start_clock(app, clock, moses, made["首次联系客户"], hours=1)
    _start_clock(app, clock, moses, made["暂停客户"], minutes=30, paused=True)


def test_overdue_first_then_the_sla_due_in_an_hour_then_tomorrow_and_a_paused_clock_not_at_all(
    app: Fenpei, clock: FixedClock, client: TestClient, seeded: World
) -> None:
    _moses_has_one_of_each(app, clock, seeded)
    _log_in_as(app, clock, client, seeded.moses_id, "moses")
    client.cookies.set("lang", "zh-CN")

    page = client.get("/my?order=due").text

    names = _NAMES.findall(page)
    assert names[:4] == ["逾期跟进", "首次联系客户", "明天跟进", "回收客户"]
    assert names[4:] == ["无事客户", "暂停客户"]  # nothing due: newest first
    assert _DUE.findall(page) == [
        ("follow_up", " due-overdue", "跟进 今天 18:30 · 已逾期 2 小时"),
        ("first_contact", "", "首次联系 今天 21:30"),
        ("follow_up", "", "跟进 明天 20:30"),
        ("reclaim", "", "将于 11-05 回收"),
    ]
    assert "按到期事项" in page and "到期事项" in page
    assert not foreign_words(page, data=["moses", "Moses", "Frase"])


def test_the_words_in_english_and_a_reclaim_that_is_past(
    app: Fenpei, clock: FixedClock, client: TestClient, seeded: World
) -> None:
    _moses_has_one_of_each(app, clock, seeded)
    _log_in_as(app, clock, client, seeded.moses_id, "moses")
    client.cookies.set("lang", "en")

    soon = client.get("/my?order=due").text
    clock.advance(days=4)  # the reclaim (3 days) and everything else is past
    log_in(client, username="moses")
    late = client.get("/my?order=due").text

    assert [text for *_, text in _DUE.findall(soon)] == [
        "Follow up today 18:30 · 2 h overdue",
        "First contact today 21:30",
        "Follow up tomorrow 20:30",
        "Back to the pool 11-05",
    ]
    assert ("reclaim", " due-overdue", "Due back to the pool yesterday 17:30 · 27 h overdue") in (
        _DUE.findall(late)
    )
    assert "By what is due" in soon


def test_the_api_sorts_by_what_is_due_too(
    app: Fenpei, clock: FixedClock, client: TestClient, seeded: World
) -> None:
    _moses_has_one_of_each(app, clock, seeded)
    log_in(client)

    listed = client.get(
        "/api/v1/customers", params={"sort": "due", "owner_id": seeded.moses_id}
    ).json()

    names = [item["name"] for item in listed["items"]]
    assert names[:4] == ["逾期跟进", "首次联系客户", "明天跟进", "回收客户"]
    assert set(names[4:]) == {"无事客户", "暂停客户"}
    due = {item["name"]: item["due"] for item in listed["items"]}
    assert due["逾期跟进"] == [{"kind": "follow_up", "at": "2026-11-02T10:30:00Z", "overdue": True}]
    assert [d["kind"] for d in due["首次联系客户"]] == ["first_contact"]
    assert due["回收客户"] == [{"kind": "reclaim", "at": "2026-11-05T09:30:00Z", "overdue": False}]
    assert due["暂停客户"] == due["无事客户"] == []  # a paused clock is not due
    pooled = client.get("/api/v1/customers", params={"unowned": True}).json()["items"]
    assert pooled and all(item["due"] == [] for item in pooled)  # nobody's: nothing due


def test_a_manager_sorts_the_team_s_customers_by_what_is_due_and_reads_it_in_words(
    app: Fenpei, clock: FixedClock, client: TestClient, seeded: World
) -> None:
    _moses_has_one_of_each(app, clock, seeded)
    log_in(client)
    client.cookies.set("lang", "zh-CN")

    page = client.get("/customers", params={"sort": "due", "owner": seeded.moses_id}).text
    backwards = client.get("/customers", params={"sort": "-due", "owner": seeded.moses_id}).text

    assert _NAMES.findall(page)[:4] == ["逾期跟进", "首次联系客户", "明天跟进", "回收客户"]
    assert ("follow_up", " due-overdue", "跟进 今天 18:30 · 已逾期 2 小时") in _DUE.findall(page)
    assert 'aria-sort="ascending"><a href="/customers?owner=' in page and "到期事项" in page
    assert _NAMES.findall(backwards)[:1] == ["回收客户"]  # latest due first, nothing due last


@contextmanager
def _statements(app: Fenpei) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    sa.event.listen(app.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(app.engine, "before_cursor_execute", record)


def test_a_page_by_what_is_due_costs_the_same_statements_for_3_customers_as_for_25(
    app: Fenpei, clock: FixedClock, client: TestClient, seeded: World
) -> None:
    _moses_has_one_of_each(app, clock, seeded)
    _log_in_as(app, clock, client, seeded.moses_id, "moses")
    client.get("/my?order=due")  # warm: the first request reads what the app caches
    with _statements(app) as few:
        client.get("/my?order=due")
    more = _give(app, clock, seeded.moses_id, **{f"客户 {i:02d}": "C" for i in range(19)})
    for customer_id in list(more.values())[:5]:
        _plan_follow_up(app, clock, seeded.moses_id, customer_id, hours=2)
    with _statements(app) as many:
        page = client.get("/my?order=due").text

    assert len(_NAMES.findall(page)) == 25
    assert len(many) == len(few)


def test_the_customer_list_by_what_is_due_costs_the_same_statements_for_few_and_many(
    app: Fenpei, clock: FixedClock, client: TestClient, seeded: World
) -> None:
    _moses_has_one_of_each(app, clock, seeded)
    log_in(client)
    path = f"/customers?sort=due&owner={seeded.moses_id}"
    client.get(path)  # warm: the first request reads what the app caches
    with _statements(app) as few:
        client.get(path)
    _give(app, clock, seeded.moses_id, **{f"客户 {i:02d}": "C" for i in range(19)})
    with _statements(app) as many:
        page = client.get(path).text

    assert len(_NAMES.findall(page)) >= 25
    assert len(many) == len(few)
