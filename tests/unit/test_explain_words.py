"""Stored explanations in the page's words: the engine's reason codes and failure data
from the catalogs, and explanations stored before codes existed still read."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from fenpei.config import Language
from fenpei.http.schemas import AssignmentRead
from fenpei.services.maven_import import IMPORTED_OWNER_REASON
from fenpei.web._explain import explain_lines
from fenpei.web._reasons import coded_reason, queue_reason_text
from fenpei.web._said import stored_reason
from fenpei.web.i18n import translator
from tests.unit.test_strategies import choose, rep

zh, en = translator(Language.zh_cn), translator(Language.en)
AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def _record(explanation: dict[str, Any], method: str = "rule") -> AssignmentRead:
    return AssignmentRead(
        id=1, customer_id=1, method=method, from_rep_id=None, to_rep_id=7, to_rep_name="张伟",
        rule_id=3, strategy="least_loaded", reason=None, actor="system", at=AT,
        capacity_override=False, explanation=explanation,
    )  # fmt: skip


def _texts(explanation: dict[str, Any], t: Any = zh) -> list[str]:
    return [line.text for line in explain_lines(t, _record(explanation), lambda *_: None)]


ROUTED: dict[str, Any] = {
    "outcome": "assigned", "rep_id": 7, "rule_id": 3, "rule_name": "华东大客户",
    "strategy": "least_loaded", "candidates": [{"rep_id": 7, "rep_name": "张伟", "score": 0.6}],
    "reason": "rule '华东大客户' matched; least loaded: 12/30 open (40%, default capacity)",
    "trace": [{
        "rule_id": 1, "rule_name": "集团大客户", "result": "no_match",
        "failed_condition": "name contains '集团' (was '上海星辰科技')",
    }],
}  # fmt: skip


def test_an_explanation_stored_before_codes_still_reads_in_chinese() -> None:
    assert _texts(ROUTED) == [
        "跳过规则「集团大客户」：不满足 name contains '集团' (was '上海星辰科技')",
        "命中规则 #3「华东大客户」：",
        "选中 张伟：负载最低（在跟进 12/30，40%）",  # the old reading drops "default"
    ]


def test_codes_and_failure_data_are_said_in_the_page_language() -> None:
    coded = {
        **ROUTED,
        "reason": "ignored when a code is there",
        "reason_code": "least_loaded",
        "reason_params": {"open": 12, "capacity": 30, "share": 0.4, "default": False, "tie": True},
        "trace": [{
            **ROUTED["trace"][0],
            "failed": {"key": "failed.leaf", "values": {
                "was": "'上海星辰科技'",
                "tree": {"field": "name", "op": "contains", "value": "集团"}}},
        }],
    }  # fmt: skip

    zh_lines, en_lines = _texts(coded), _texts(coded, en)

    assert (
        zh_lines[0] == "跳过规则「集团大客户」：不满足 客户名称 包含 集团（实际为 '上海星辰科技'）"
    )
    assert zh_lines[-1] == "选中 张伟：负载最低（在跟进 12/30，40%），同等负载中等待最久"
    assert en_lines[-1].endswith("least loaded (12/30 open, 40%), waiting longest among equals")


@pytest.mark.parametrize(
    ("strategy", "options", "state"),
    [
        ("round_robin", {}, {}),
        ("round_robin", {}, {"last_rep_id": 1, "last_rep_name": "李娜"}),
        ("weighted_round_robin", {}, {}),
        ("random", {}, {}),
        ("random", {"weighted": True}, {}),
        ("least_loaded", {"default_capacity": 10}, {}),
        ("value_balanced", {}, {}),
        ("best_match", {}, {}),
    ],
)
def test_every_strategy_gives_a_code_the_pages_can_say(
    strategy: str, options: dict[str, Any], state: dict[str, Any]
) -> None:
    team = [
        rep(1, open_count=2, skills={"industries": ["Retail"]}),
        rep(2, open_count=1, max_open=5),
    ]
    choice = choose(strategy, team, options=options, state=state)

    words = coded_reason(zh, choice.code, choice.params)

    assert choice.code and words is not None, (choice.code, choice.params)
    latin = {w for w in re.findall(r"[A-Za-z]{2,}", words)} - {"Retail", "Rep"}
    assert latin == set(), words


def test_queue_reasons_and_imports_read_in_chinese() -> None:
    assert queue_reason_text(zh, "no rule could place the customer") == "没有规则能分配该客户"
    assert queue_reason_text(zh, "pending routing (import 12)") == "等待分配（导入批次 12）"
    stored = "rule '华东': nobody in the target is eligible; queued until someone frees up"
    assert queue_reason_text(zh, stored) == "规则「华东」：目标中没有可接单的销售，排队等待有人空出"
    assert queue_reason_text(zh, "something new") == "something new"  # shown as stored
    imported = _texts({"kind": "import", "file": "sales_pipeline.csv", "line": 12})
    assert imported == ["随负责人一起从 sales_pipeline.csv 第 12 行导入"]


def test_a_reason_fenpei_wrote_is_said_and_a_typed_one_shown_as_typed() -> None:
    assert stored_reason(zh, IMPORTED_OWNER_REASON) == "Maven CRM 导入：沿用源数据中的负责人"
    assert stored_reason(zh, "Moses is on leave") == "Moses is on leave"
    assert stored_reason(zh, None) == ""


def test_pool_sentences_of_older_decisions_read_in_chinese() -> None:
    pooled = {"outcome": "pool", "reason": "rule 'VIP' sends it to pool vip", "pool": "vip"}
    parked = "rule '华东': nobody in the target; parked in pool team:3"

    assert _texts(pooled) == ["规则「VIP」将其放入公海「vip」"]
    assert queue_reason_text(zh, parked) == "规则「华东」：目标中没有销售，已放入团队 3 的公海"
