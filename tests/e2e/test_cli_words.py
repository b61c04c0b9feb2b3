"""`fenpei history` speaks the configured language: words, dates and numbers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from typer.testing import CliRunner

from fenpei.bootstrap import Fenpei
from fenpei.cli._common import console
from fenpei.cli.main import app as cli
from fenpei.domain.users import SYSTEM
from fenpei.services import assignments, org
from fenpei.services.customers import create_customer
from tests.e2e._visible_text import latin_words
from tests.fakes import FixedClock

runner = CliRunner()


@pytest.fixture
def transferred(app: Fenpei, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> int:
    """A customer given to 张伟, then moved to 李娜 with a reason; its id."""
    monkeypatch.setenv("FENPEI_DATABASE_URL", app.settings.database_url)
    monkeypatch.delenv("FENPEI_LANGUAGE", raising=False)
    monkeypatch.setattr(console, "width", 200)
    with app.uow() as uow:
        team = org.create_team(uow=uow, name="华东销售部", actor=SYSTEM, now=clock.at)
        reps = [
            org.create_rep(
                uow=uow, fields={"name": name, "team_id": team.id}, actor=SYSTEM, now=clock.at
            )
            for name in ("张伟", "李娜")
        ]
        customer = create_customer(
            uow=uow, fields={"name": "上海星辰科技"}, actor=SYSTEM, now=clock.at
        )
        uow.commit()
    assert customer.id and reps[0].id and reps[1].id
    for rep, later, reason in ((reps[0], 0, None), (reps[1], 1, "客户要求更换")):
        with app.uow() as uow:
            assert rep.id
            assignments.assign(
                uow=uow,
                customer_id=customer.id,
                rep_id=rep.id,
                actor=SYSTEM,
                now=clock.at + timedelta(days=later),
                reason=reason,
            )
            uow.commit()
    return customer.id


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_history_is_in_chinese_by_default_with_chinese_dates(
    transferred: int, clock: FixedClock
) -> None:
    result = runner.invoke(cli, ["history", str(transferred)])

    assert result.exit_code == 0, result.output
    out = result.output
    assert f"上海星辰科技（{transferred}）的负责人变更记录" in out
    for word in (
        "时间",
        "方式",
        "原负责人",
        "新负责人",
        "操作人",
        "原因",
        "手动分配",
        "转移",
        "系统",
    ):
        assert word in out
    assert "2026年11月2日 17:30" in out and "2026年11月3日 17:30" in out  # Asia/Shanghai
    assert "客户要求更换" in out and "manual" not in out and "system" not in out


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_history_follows_lang_and_the_configured_language(
    transferred: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    english = runner.invoke(cli, ["history", str(transferred), "--lang", "en"])
    monkeypatch.setenv("FENPEI_LANGUAGE", "en")
    configured = runner.invoke(cli, ["history", str(transferred)])

    assert english.exit_code == 0 and english.output == configured.output
    assert "Ownership history of 上海星辰科技" in english.output
    assert "Nov 2, 2026 17:30" in english.output and "transfer" in english.output
    assert "system" in english.output and "手动分配" not in english.output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_unknown_language_exits_2_naming_the_known_ones(transferred: int) -> None:
    result = runner.invoke(cli, ["history", str(transferred), "--lang", "fr"])

    assert result.exit_code == 2
    assert "--lang: unknown language 'fr' (one of zh-CN, en)" in result.output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_show_and_assign_speak_chinese_by_default(transferred: int) -> None:
    shown = runner.invoke(cli, ["customers", "show", str(transferred)])
    english = runner.invoke(cli, ["customers", "show", str(transferred), "--lang", "en"])
    refused = runner.invoke(
        cli, ["assign", str(transferred), "张伟", "--reason", "x", "--lang", "fr"]
    )
    moved = runner.invoke(cli, ["assign", str(transferred), "张伟", "--reason", "回到原负责人"])

    assert shown.exit_code == 0, shown.output
    assert f"客户 {transferred}" in shown.output and "│ 姓名" in shown.output
    assert "新线索" in shown.output and "负责人" in shown.output and "2026年11月2日" in shown.output
    assert "new" not in shown.output and "Stage" in english.output and "New" in english.output
    assert refused.exit_code == 2  # nothing changed: the language is checked first
    assert moved.exit_code == 0 and "上海星辰科技 → 张伟 (转移)" in moved.output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_customer_list_speaks_chinese_by_default(transferred: int) -> None:
    listed = runner.invoke(cli, ["customers", "list"])

    assert listed.exit_code == 0, listed.output
    assert "客户 第 1–1 条，共 1 条" in listed.output
    assert all(word in listed.output for word in ("编号", "阶段", "负责人", "新线索", "李娜"))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_customer_added_says_where_it_went_in_chinese(transferred: int) -> None:
    added = runner.invoke(cli, ["customers", "add", "name=杭州云帆贸易"])
    english = runner.invoke(cli, ["customers", "add", "name=Cloudsail", "--lang", "en"])

    assert added.exit_code == 0, added.output
    assert added.output.startswith(f"客户 {transferred + 1} 杭州云帆贸易")
    assert "没有规则能分配该客户" in added.output and not latin_words(added.output)
    assert english.output.startswith(f"customer {transferred + 2} Cloudsail")
