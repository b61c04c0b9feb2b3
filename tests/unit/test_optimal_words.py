"""The strategies on p(win) explained in zh-CN and English: every reason code and score
factor they produce is put in words from the catalogs."""

from __future__ import annotations

from decimal import Decimal
from random import Random

from fenpei.config import Language
from fenpei.domain.customers import Customer
from fenpei.engine.batch_routing import BATCH_FULL, route_optimal
from fenpei.engine.model import Fallback
from fenpei.engine.score_factors import score_factors
from fenpei.engine.strategies import get_strategy
from fenpei.web._reasons import _BATCH_FULL, coded_reason, queue_reason_text
from fenpei.web._score_words import factors_text
from fenpei.web.i18n import number_formatter, translator
from tests.unit._affinity import FixedAffinity
from tests.unit.test_batch_routing import ALICE, BOB, P
from tests.unit.test_router import NOW, context, reps_target, rule
from tests.unit.test_strategies import rep

zh, en = translator(Language.zh_cn), translator(Language.en)
LEAD = Customer(name="Lead", expected_value=Decimal(800))


def test_predicted_conversion_in_words_with_the_rep_it_passed_over() -> None:
    reps = [rep(1, max_open=10, open_count=8), rep(2, max_open=10)]
    p = FixedAffinity({("Lead", 1): 0.41, ("Lead", 2): 0.38})
    choice = get_strategy("predicted_conversion").choose(
        reps, customer=LEAD, state={}, options={}, rng=Random(0), affinity=p
    )

    assert coded_reason(zh, choice.code, choice.params) == (
        "预测成交：成交概率 0.38 − 0.1 × 负载 0% = 0.380；成交概率更高（0.41）的销售负载更重（80%）"
    )
    assert coded_reason(en, choice.code, choice.params) == (
        "predicted conversion: p(win) 0.38 − 0.1 × load 0% = 0.380; "
        "a rep more likely to win it (0.41) was busier (80%)"
    )


def test_no_model_says_so_and_gives_least_loaded_words() -> None:
    choice = get_strategy("batch_optimal").choose(
        [rep(1, max_open=4, open_count=1)], customer=LEAD, state={}, options={}, rng=Random(0)
    )

    assert coded_reason(zh, choice.code, choice.params) == (
        "未启用成交预测模型，改按负载最低（在跟进 1/4，25%）"
    )


def test_every_batch_trade_off_in_words() -> None:
    ctx = context(
        [rule(1, target=reps_target(1, 2), strategy="batch_optimal")], (ALICE, BOB), affinity=P
    )
    b, a = route_optimal([Customer(name="B"), Customer(name="A")], ctx, now=NOW, rng=Random(0))

    assert coded_reason(zh, a.reason_code, a.reason_params) == (
        "批量最优：Alice（成交概率 0.90），对该客户成交概率最高"
    )
    assert coded_reason(zh, b.reason_code, b.reason_params) == (
        "批量最优：Alice（成交概率 0.41）在本批中已满额；改由 Bob（成交概率 0.38）"
    )
    for why in ("bound", "trade"):
        params = {**b.reason_params, "why": why}
        for t in (zh, en):
            text = coded_reason(t, "batch_optimal", params)
            assert text and "Alice" in text and "Bob" in text and "{" not in text


def test_a_batch_left_over_parked_or_queued_is_said_in_words() -> None:
    pool_rule = rule(
        1,
        target=reps_target(1),
        strategy="batch_optimal",
        fallback=Fallback.team_pool,
        fallback_pool="vip",
    )
    queue_rule = rule(1, target=reps_target(1), strategy="batch_optimal", fallback=Fallback.queue)
    two = [Customer(name="A"), Customer(name="B")]
    pooled = route_optimal(two, context([pool_rule], (ALICE,), affinity=P), now=NOW, rng=Random(0))[
        1
    ]
    queued = route_optimal(
        two, context([queue_rule], (ALICE,), affinity=P), now=NOW, rng=Random(0)
    )[1]

    assert _BATCH_FULL == BATCH_FULL
    assert "本批中所有可接单的销售均已满额" in str(
        coded_reason(zh, pooled.reason_code, pooled.reason_params)
    )
    assert "本批中所有可接单的销售均已满额" in queue_reason_text(zh, queued.reason)


def test_a_candidates_p_win_factor_in_words() -> None:
    options = {"weigh_value": True}
    candidate = rep(1, max_open=10, open_count=2)
    factors = score_factors(
        "predicted_conversion",
        candidate,
        score=800 * (0.5 - 0.1 * 0.2),
        top_score=0,
        customer=LEAD,
        options=options,
    )

    words = factors_text(zh, number_formatter(Language.zh_cn), factors)

    assert words[0] == "成交概率 0.5 × 预期金额 800：+400"
    assert words[1].startswith("负载 2/10")
