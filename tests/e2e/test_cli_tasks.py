"""`fenpei tasks …`: create (routed to the customer's owner), list, show with history and
why, work, complete, rate, chase, reassign and the statistics, from the command line; a
bad value exits 1 naming the field and changes nothing."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from fenpei.bootstrap import Fenpei
from fenpei.cli._common import console
from fenpei.cli.main import app as cli
from fenpei.domain.users import SYSTEM
from fenpei.services import assignments, org
from fenpei.services.customers import create_customer
from tests.e2e._visible_text import latin_words

runner = CliRunner()


@pytest.fixture
def owned(app: Fenpei, monkeypatch: pytest.MonkeyPatch) -> int:
    """A customer owned by 张伟 (李娜 is in the same team); its id."""
    monkeypatch.setenv("FENPEI_DATABASE_URL", app.settings.database_url)
    monkeypatch.delenv("FENPEI_LANGUAGE", raising=False)
    monkeypatch.setattr(console, "width", 200)
    now = app.now()
    with app.uow() as uow:
        team = org.create_team(uow=uow, name="华东销售部", actor=SYSTEM, now=now)
        for name in ("张伟", "李娜"):
            org.create_rep(
                uow=uow, fields={"name": name, "team_id": team.id}, actor=SYSTEM, now=now
            )
        customer = create_customer(uow=uow, fields={"name": "上海星辰科技"}, actor=SYSTEM, now=now)
        uow.commit()
    assert customer.id is not None
    with app.uow() as uow:
        rep = uow.reps.by_name("张伟")
        assert rep is not None and rep.id is not None
        assignments.assign(uow=uow, customer_id=customer.id, rep_id=rep.id, actor=SYSTEM, now=now)
        uow.commit()
    return customer.id


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(cli, list(args))
    return result.exit_code, result.output


def test_a_task_is_routed_to_the_owner_worked_completed_rated_and_counted(owned: int) -> None:
    code, added = run(
        "tasks",
        "add",
        "回电确认报价",
        "--customer",
        str(owned),
        "--priority",
        "high",
        "--due",
        "2099-11-05 18:00",
    )
    assert code == 0 and "已创建任务 1，分配给 张伟" in added, added

    code, mine = run("tasks", "list", "--rep", "张伟")
    assert code == 0 and "回电确认报价" in mine and "高" in mine and "待办" in mine, mine
    assert "回电确认报价" not in run("tasks", "list", "--rep", "李娜")[1]
    assert run("tasks", "progress", "1", "40", "--rep", "张伟")[0] == 0
    code, chased = run("tasks", "chase", "1", "--note", "今天完成")
    assert code == 0 and "催办" in chased, chased
    code, done = run("tasks", "complete", "1", "--difficulty", "3", "--rep", "张伟")
    assert code == 0 and "已完成" in done, done
    assert run("tasks", "rate", "1", "--quality", "4", "--satisfaction", "5")[0] == 0

    code, shown = run("tasks", "show", "1")
    assert code == 0, shown
    assert "分配原因: 没有任务规则分配，交给客户的负责人" in shown
    assert "no task rule" not in shown  # the engine's English stays out of the Chinese CLI
    for line in ("进度更新: 40%", "催办: 今天完成", "完成", "评价"):
        assert line in shown, (line, shown)
    code, table = run("tasks", "stats")
    assert code == 0 and "张伟" in table and "100%" in table and "4.0" in table, table


def test_a_bad_value_exits_1_naming_the_field_and_changes_nothing(owned: int) -> None:
    code, bad = run("tasks", "add", "x", "--priority", "whenever", "--urgency", "9")
    assert code == 1 and "priority" in bad and "urgency" in bad, bad
    code, listed = run("tasks", "list", "--all")
    assert code == 0 and "x" not in latin_words(listed.replace("Tasks", "")), listed

    assert run("tasks", "add", "回电", "--assignee", "李娜")[0] == 0
    code, bad = run("tasks", "status", "1", "blocked")
    assert code == 1 and "reason" in bad, bad
    code, bad = run("tasks", "rate", "1", "--quality", "4", "--satisfaction", "4")
    assert code == 1 and "status" in bad, bad
    code, bad = run("tasks", "show", "1", "--rep", "张伟")
    assert code == 1 and "not found" in bad.lower(), bad
    assert run("tasks", "add", "[red]回电[/red]")[0] == 0
    assert "#2 [red]回电[/red]" in run("tasks", "show", "2")[1]
    code, moved = run("tasks", "assign", "1", "张伟", "--reason", "李娜休假", "--lang", "en")
    assert code == 0 and "Task 1 given to 张伟" in moved, moved
    code, shown = run("tasks", "show", "1", "--lang", "en")
    assert "reassigned → 张伟 (李娜休假)" in shown and "to do" in shown, shown
