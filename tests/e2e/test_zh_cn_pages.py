"""No English in zh-CN pages: every GET page, as admin, manager, rep and auditor, over a
world whose names are Chinese, shows no Latin word that did not come from the data.

The same walk over a world named in English must see the English names (the check can
fail), and a page with an English UI word is caught. In English, the pages over that world
show no Chinese but the language switch's "中文".
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.domain.users import SYSTEM, Role, User
from fenpei.services import assignments, categories, org, rules, users
from fenpei.services.files import attachments
from fenpei.services.follow_ups.records import record_follow_up
from fenpei.services.follow_ups.stages import change_stage
from fenpei.services.notifications.subscriptions import create_subscription
from fenpei.services.sla import calendars
from fenpei.services.sla import policies as sla_policies
from fenpei.services.tasks import workflow
from fenpei.services.tasks.intake import create_and_route
from fenpei.services.tasks.records import TaskInput
from tests.e2e._page_walk import filled, page_paths
from tests.e2e._visible_text import foreign_words, latin_words, visible_text
from tests.e2e.conftest import ADMIN_PASSWORD, log_in
from tests.fakes import FixedClock
from tests.file_samples import tiny_png

CHINESE = {
    "team": "华东销售部", "sub_team": "上海一组", "rep_a": "张伟", "rep_b": "李娜",
    "rep_c": "王芳", "customer_a": "上海星辰科技", "customer_b": "杭州云帆贸易",
    "customer_c": "南京小李", "region": "华东", "industry": "制造业", "rule_a": "华东大客户",
    "rule_b": "华东轮流", "rule_none": "西北专线", "other_region": "西北", "reason": "客户要求更换",
    "admin": "系统管理员", "manager": "赵经理", "rep_user": "张伟账号", "auditor": "审计员",
    "subscription": "订单系统", "skill": "汽车", "rule_skip": "集团大客户", "group": "集团",
    "customer_d": "成都小商户", "sla_policy": "两小时首呼", "holiday": "公司年会",
    "task": "回访星辰科技", "task_late": "寄送合同",
}  # fmt: skip
ENGLISH = {
    "team": "East Sales", "sub_team": "Shanghai Squad", "rep_a": "Walter White",
    "rep_b": "Lina Lee", "rep_c": "Frank Wong", "customer_a": "Starlight Technology",
    "customer_b": "Cloudsail Trading", "customer_c": "Nanjing Smallwood", "region": "Eastland",
    "industry": "Manufacturing", "rule_a": "Eastland Key Accounts", "rule_b": "Eastland Rotation",
    "rule_none": "Northwest Line", "other_region": "Northwest", "reason": "Customer asked",
    "admin": "Administrator", "manager": "Manager Zhao", "rep_user": "Walter Account",
    "auditor": "Auditor Qian", "subscription": "Order System", "skill": "Automotive",
    "rule_skip": "Group Accounts", "group": "Group", "customer_d": "Chengdu Corner Shop",
    "sla_policy": "Two Hour Call", "holiday": "Company Gala", "task": "Call Starlight back",
    "task_late": "Post the contract",
}  # fmt: skip
# Typed by whoever set the world up, shown as typed: usernames, addresses, the time zone.
LATIN_DATA = [
    "admin", "manager1", "rep1", "auditor1",
    "zhangwei@example.com", "Asia/Shanghai",
]  # fmt: skip
DISPLAY_NAME_KEYS = {
    "admin": "admin", "manager1": "manager", "rep1": "rep_user", "auditor1": "auditor"
}  # fmt: skip
ROLES = {"admin": Role.admin, "manager1": Role.manager, "rep1": Role.rep, "auditor1": Role.auditor}


@dataclass(frozen=True)
class Seeded:
    ids: dict[str, int | str]
    data: list[str]


def _seed(app: Fenpei, clock: FixedClock, client: TestClient, names: dict[str, str]) -> Seeded:
    """Teams, reps (one on leave, one away), users of every role, categories, rules of
    several strategies, routed / hand-assigned / transferred / unplaced customers."""
    now = clock.at
    with app.uow() as uow:

        def login(username: str, role: Role, rep_id: int | None = None) -> User:
            return users.create_user(
                uow=uow, hasher=app.hasher, username=username, password=ADMIN_PASSWORD,
                role=role, display_name=names[DISPLAY_NAME_KEYS[username]], actor=SYSTEM,
                now=now, rep_id=rep_id,
            )  # fmt: skip

        # A rep's login needs its rep: that one is made once the reps are.
        made = {role: login(username, role) for username, role in ROLES.items() if role != Role.rep}
        team = org.create_team(
            uow=uow, name=names["team"], actor=SYSTEM, now=now,
            manager_user_id=made[Role.manager].id,
        )  # fmt: skip
        sub_team = org.create_team(
            uow=uow, name=names["sub_team"], parent_id=team.id, actor=SYSTEM, now=now
        )
        reps = [
            org.create_rep(
                uow=uow,
                fields={
                    "name": names[key], "team_id": team.id if key != "rep_c" else sub_team.id,
                    "email": "zhangwei@example.com" if key == "rep_a" else None,
                    "max_open": 30, "skills": {"industries": [names["skill"]]},
                },
                actor=SYSTEM, now=now,
            )
            for key in ("rep_a", "rep_b", "rep_c")
        ]  # fmt: skip
        for key in ("region", "other_region"):
            categories.add_value(
                uow=uow, key="region", code=names[key], label=None, actor=SYSTEM, now=now
            )
        categories.add_value(
            uow=uow, key="industry", code=names["industry"], label=None, actor=SYSTEM, now=now
        )
        rep_ids = [rep.id for rep in reps]
        region_is = {"all": [{"field": "region", "op": "eq", "value": names["region"]}]}
        rules_made = [
            rules.create_rule(  # no index can rule it out: customers are tried against it
                uow=uow, actor=SYSTEM, now=now,
                fields={
                    "name": names["rule_skip"], "strategy": "random",
                    "conditions": {"all": [
                        {"field": "name", "op": "contains", "value": names["group"]}]},
                    "target": {"kind": "reps", "rep_ids": rep_ids},
                },
            ),
            rules.create_rule(
                uow=uow, actor=SYSTEM, now=now,
                fields={
                    "name": names["rule_none"], "strategy": "round_robin",
                    "conditions": {"all": [
                        {"field": "region", "op": "eq", "value": names["other_region"]}]},
                    "target": {"kind": "reps", "rep_ids": rep_ids},
                },
            ),
            rules.create_rule(
                uow=uow, actor=SYSTEM, now=now,
                fields={
                    "name": names["rule_a"], "strategy": "least_loaded",
                    "strategy_options": {"default_capacity": 50},
                    "conditions": {"all": [*region_is["all"],
                                           {"field": "level", "op": "in", "value": ["A", "B"]}]},
                    "target": {"kind": "team", "team_id": team.id},
                },
            ),
            rules.create_rule(
                uow=uow, actor=SYSTEM, now=now,
                fields={
                    "name": names["rule_b"], "strategy": "round_robin", "conditions": region_is,
                    "target": {"kind": "reps", "rep_ids": rep_ids},
                },
            ),
        ]  # fmt: skip
        made.update(
            {
                role: login(name, role, reps[0].id)
                for name, role in ROLES.items()
                if role == Role.rep
            }
        )
        # SLA: new owners get a clock (customer page, 我的客户), and an imported holiday
        sla_policies.create_policy(
            uow=uow, actor=SYSTEM, now=now,
            fields={"name": names["sla_policy"], "first_contact_minutes": 120,
                    "remind_before_minutes": 30, "notify_manager": True},
        )  # fmt: skip
        calendars.import_year(
            uow=uow,
            actor=SYSTEM,
            year=now.year,
            text=f"{now.year}-12-31,holiday,{names['holiday']}",
        )
        uow.commit()
    rep_ids_made = [rep.id for rep in reps if rep.id is not None]
    assert len(rep_ids_made) == len(reps)
    with app.uow() as uow:
        org.add_leave(
            uow=uow, rep_id=rep_ids_made[1], starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(days=3), actor=SYSTEM, now=now,
        )  # fmt: skip
        org.update_rep(
            uow=uow, rep_id=rep_ids_made[2], fields={"away": True}, actor=SYSTEM, now=now
        )
        subscription = create_subscription(
            uow=uow, actor=SYSTEM, name=names["subscription"],
            url="https://erp.zhongke.cn/webhook/fenpei", now=now,
        )  # fmt: skip
        uow.commit()
    log_in(client)
    customer_ids = []
    for key, level, region in (
        ("customer_a", "A", "region"), ("customer_b", "C", "region"),
        ("customer_c", "B", "other_region"), ("customer_d", "", ""),
    ):  # fmt: skip
        form = {"name": names[key], "region": names.get(region, ""), "level": level,
                "company_name": names[key]}  # fmt: skip
        response = client.post("/customers/new", data=form)
        assert response.status_code == 303, response.text
        customer_ids.append(int(response.headers["location"].split("/")[2].split("?")[0]))
    with app.uow() as uow:
        assignments.assign(
            uow=uow, customer_id=customer_ids[0], rep_id=rep_ids_made[2], actor=SYSTEM,
            now=now + timedelta(minutes=5), reason=names["reason"], override_capacity=True,
        )  # fmt: skip
        uow.commit()
    with app.uow() as uow:  # the timeline: a follow-up, the stage it moved, a loss with why
        record_follow_up(
            uow=uow, customer_id=customer_ids[0], actor=SYSTEM, kind="visit", at=now,
            content=names["reason"], outcome=names["reason"], next_at=now + timedelta(days=1),
            now=now,
        )  # fmt: skip
        change_stage(
            uow=uow, customer_id=customer_ids[0], to="lost", reason=names["reason"],
            actor=SYSTEM, now=now,
        )  # fmt: skip
        uow.commit()
    task_id, item_id = _seed_tasks(app, names, customer_ids[0], rep_ids_made[2], now)
    with app.uow() as uow:  # a file on the customer's page (资料)
        attachments.upload(
            uow=uow, store=app.files, customer_id=customer_ids[0], stream=io.BytesIO(tiny_png()),
            file_name=names["customer_a"] + ".png", actor=SYSTEM, now=now, max_bytes=10**6,
        )  # fmt: skip
        uow.commit()
    assert team.id and sub_team.id and subscription.id and rules_made[2].id and reps[0].id
    ids: dict[str, int | str] = {
        "customer_id": customer_ids[0], "rep_id": reps[0].id, "rule_id": rules_made[2].id,
        "team_id": team.id, "subscription_id": subscription.id,
        "user_id": made[Role.rep].id or 0, "version": 1, "username": "rep1",
        # pages other areas may add: a real key or name where one exists, else an id the
        # world lacks (the not-found page is walked too)
        "key": "region", "name": "retry-queue", "role": "manager", "token_id": 1,
        "leave_id": 1, "delivery_id": 1, "job_id": 1, "import_id": 1, "event_id": 1,
        "notification_id": 1, "company": names["customer_a"], "task_id": task_id,
        "item_id": item_id, "attachment_id": 999_999,
        "kind": "assignments",  # an export (web/pages_exports.py): the history as CSV
    }  # fmt: skip
    return Seeded(ids, [*names.values(), *LATIN_DATA])


def _seed_tasks(
    app: Fenpei, names: dict[str, str], customer_id: int, rep_id: int, now: datetime
) -> tuple[int, int]:
    """A task routed to the customer's owner, worked (checklist, comment, progress,
    blocked), and an overdue one done and rated: every line of a task's page in words."""
    with app.uow() as uow:
        task = create_and_route(
            uow=uow, actor=SYSTEM, now=now,
            data=TaskInput(title=names["task"], description=names["reason"], kind="visit",
                           category="sales", priority="urgent", urgency=5,
                           customer_ids=[customer_id], due_at=now + timedelta(hours=3),
                           effort_hours="2", checklist=[names["reason"]],
                           recurrence={"kind": "weekly", "weekdays": [0]}),
        )  # fmt: skip
        late = create_and_route(
            uow=uow, actor=SYSTEM, now=now, assignee_id=rep_id,
            data=TaskInput(title=names["task_late"], due_at=now - timedelta(days=1)),
        )  # fmt: skip
        assert task.id is not None and late.id is not None
        workflow.comment(uow=uow, actor=SYSTEM, task_id=task.id, body=names["reason"], now=now)
        workflow.set_progress(uow=uow, actor=SYSTEM, task_id=task.id, progress=30, now=now)
        workflow.change_status(uow=uow, actor=SYSTEM, task_id=task.id, status="blocked",
                               reason=names["reason"], now=now)  # fmt: skip
        workflow.chase(uow=uow, actor=SYSTEM, task_id=late.id, note=names["reason"], now=now)
        workflow.complete(uow=uow, actor=SYSTEM, task_id=late.id, difficulty=3,
                          note=names["reason"], now=now)  # fmt: skip
        workflow.rate(uow=uow, actor=SYSTEM, task_id=late.id, quality=4, satisfaction=5,
                      note=names["reason"], now=now)  # fmt: skip
        uow.commit()
        return task.id, uow.tasks.items(task.id)[0].id or 0


# Pages in a state a bare GET does not show: the pool's 查重 box with a match and with a
# value it cannot compare; the task rules' list and editor.
STATES = ["/pool?dup_company={company}", "/pool?dup_phone=12", "/rules?subject=task",
          "/rules/new?subject=task"]  # fmt: skip


def _walk(client: TestClient, app: FastAPI, seeded: Seeded) -> dict[str, dict[str, str]]:
    """Each page's foreign words, for every role, in zh-CN."""
    found: dict[str, dict[str, str]] = {}
    client.cookies.set("lang", "zh-CN")
    for username in ROLES:
        log_in(client, username=username)
        for template in [*page_paths(app), *STATES]:
            path = filled(template, seeded.ids)
            response = client.get(path)
            assert response.status_code < 500, (username, path, response.text[:500])
            if words := foreign_words(response.text, data=seeded.data):
                found[f"{username} {path} {response.status_code}"] = words
    return found


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_zh_cn_pages_show_no_english_that_did_not_come_from_data(
    app: Fenpei, clock: FixedClock, client: TestClient
) -> None:
    seeded = _seed(app, clock, client, CHINESE)
    assert len(page_paths(client.app)) >= 15  # type: ignore[arg-type]  # the walk itself works

    found = _walk(client, client.app, seeded)  # type: ignore[arg-type]

    assert found == {}, "\n".join(
        f"{page}: {word!r} in {piece!r}"
        for page, words in found.items()
        for word, piece in words.items()
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_check_sees_english_names_when_they_are_not_declared_as_data(
    app: Fenpei, clock: FixedClock, client: TestClient
) -> None:
    seeded = _seed(app, clock, client, ENGLISH)
    undeclared = Seeded(seeded.ids, LATIN_DATA)

    found = _walk(client, client.app, undeclared)  # type: ignore[arg-type]

    seen = {word for words in found.values() for word in words}
    assert {"walter", "starlight", "eastland", "rotation", "manufacturing"} <= seen
    assert seen <= {w for name in ENGLISH.values() for w in latin_words(name)}


def test_an_english_ui_word_on_a_page_is_caught() -> None:
    page = """<html><head><title>客户</title><script>var shown = "never";</script></head>
    <body><h1>上海星辰科技</h1><button>Save</button><input placeholder="Search">
    <a title="负责人 Moses">Moses</a><span aria-label="Close">×</span><p>API 密钥</p>
    <p>事件 <code translate="no">customer.<b>assigned</b></code> 已发送 <b>Sent</b></p>
    </body></html>"""

    found = foreign_words(page, data=["上海星辰科技", "Moses"])

    assert set(found) == {"save", "search", "close", "sent"}


_HAN = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]+")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_english_pages_show_no_chinese_that_did_not_come_from_data(
    app: Fenpei, clock: FixedClock, client: TestClient
) -> None:
    seeded = _seed(app, clock, client, ENGLISH)
    client.cookies.set("lang", "en")
    found: dict[str, set[str]] = {}
    for username in ROLES:
        log_in(client, username=username)
        for template in [*page_paths(client.app), *STATES]:  # type: ignore[arg-type]
            path = filled(template, seeded.ids)
            pieces = visible_text(client.get(path).text)
            chinese = {run for piece in pieces for run in _HAN.findall(piece)} - {"中文"}
            if chinese:
                found[f"{username} {path}"] = chinese

    assert found == {}
