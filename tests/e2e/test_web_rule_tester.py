"""The rule tester on an existing rule (POST /rules/try): whether this rule matches the
customer as well as which rule fires first, and each candidate's score with its reasons."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.domain.users import SYSTEM
from fenpei.services import rules
from tests.e2e.conftest import World
from tests.e2e.test_web import text_of
from tests.fakes import FixedClock


@pytest.fixture
def east_rule(app: Fenpei, clock: FixedClock, seeded: World) -> int:
    """ "VIP 大客户" (priority 10: level A → the pool) above "East 华东" (priority 50: region
    East → the East team, least loaded), the rule under test."""
    with app.uow() as uow:
        rules.create_rule(
            uow=uow,
            fields={
                "name": "VIP 大客户",
                "priority": 10,
                "conditions": {"field": "level", "op": "eq", "value": "A"},
                "target": {"kind": "pool", "pool": "VIP"},
            },
            actor=SYSTEM,
            now=clock.at,
        )
        made = rules.create_rule(
            uow=uow,
            fields={
                "name": "East 华东",
                "priority": 50,
                "conditions": {"field": "region", "op": "eq", "value": "East"},
                "target": {"kind": "team", "team_id": seeded.team_id},
                "strategy": "least_loaded",
            },
            actor=SYSTEM,
            now=clock.at,
        )
        uow.commit()
    assert made.id is not None
    return made.id


def _try(client: TestClient, rule_id: int, lang: str = "zh-CN", **customer: str) -> str:
    form = {"rule_id": str(rule_id), **{f"customer_{k}": v for k, v in customer.items()}}
    response = client.post(f"/rules/try?lang={lang}", data=form)
    assert response.status_code == 200, response.text
    return response.text


def _this_rule(page: str) -> str:
    found = re.search(r'<div class="this-rule[^"]*"[^>]*>(.*?)</div>', page, re.S)
    assert found, page
    return text_of(found[1])


def _candidates(page: str) -> dict[str, str]:
    listed = page.split('data-testid="candidates">', 1)[1].split("</ul>", 1)[0]
    return {
        text_of(who).rstrip(" ✓"): text_of(why)
        for who, why in re.findall(
            r'<span class="who">(.*?)</span>.*?<span class="why">(.*?)</span>', listed, re.S
        )
    }


def test_a_matching_rule_below_the_one_that_fires_says_so_and_whom_it_would_pick(
    user_client: TestClient, east_rule: int
) -> None:
    page = _try(user_client, east_rule, region="East", level="A")

    assert 'data-testid="fired-rule">VIP 大客户<' in page
    assert _this_rule(page).startswith(
        "本规则「East 华东」 匹配此客户，但排在前面的「VIP 大客户」先生效。"
        " 若由本规则分配，客户将分给 Moses Frase。"
    )
    assert "负载 0/100（0%，按默认容量）" in _this_rule(page)


def test_a_rule_that_fires_lists_each_candidates_score_with_its_load(
    user_client: TestClient, east_rule: int
) -> None:
    page = _try(user_client, east_rule, region="East", level="B")

    assert _this_rule(page) == "本规则「East 华东」 匹配此客户，并首先生效。"
    assert _candidates(page) == {
        "Moses Frase": "负载 0/100（0%，按默认容量）",
        "Darcel Schlecht": "负载 1/100（1%，按默认容量）",
    }
    english = _try(user_client, east_rule, lang="en", region="East", level="B")
    assert _this_rule(english) == "This rule, “East 华东”, matches this customer, and fires first."
    assert _candidates(english)["Darcel Schlecht"] == "load 1/100 (1%, default capacity)"


def test_a_rule_that_does_not_match_names_the_failed_condition(
    user_client: TestClient, east_rule: int
) -> None:
    page = _try(user_client, east_rule, region="West")

    assert 'data-result="no_match"' in page
    assert _this_rule(page).startswith("本规则「East 华东」 不匹配此客户，未满足：")
    assert "region" in _this_rule(page)
