"""Blocking and scoring of the bulk duplicate scan (engine/dedupe.py), and the rule for the
survivor's owner (domain/dedupe.py)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from itertools import combinations

from fenpei.domain.customers import Customer
from fenpei.domain.dedupe import survivor_owner
from fenpei.domain.duplicates import company_key, email_key, phone_key
from fenpei.engine.dedupe import (
    KeyedCustomer,
    MatchSettings,
    PairFound,
    all_pairs,
    candidate_pairs,
    find_pairs,
    score_pair,
    tokens,
)

AT = datetime(2026, 12, 1, 9, tzinfo=UTC)


def _keyed(i: int, company: str | None = None, phone: str | None = None,
           email: str | None = None) -> KeyedCustomer:  # fmt: skip
    return KeyedCustomer(i, phone_key(phone), email_key(email), company_key(company), company)


def _jaccard(a: list[str], b: list[str]) -> float:
    x, y = set(a), set(b)
    return len(x & y) / len(x | y)


def test_tokens_are_chinese_bigrams_and_latin_words() -> None:
    assert tokens("北京字节跳动") == ["北京", "京字", "字节", "节跳", "跳动"]
    assert tokens("acmetrading", "acme trading") == ["acme", "trading"]
    assert tokens("x") == ["x"]


def test_prefix_filtering_finds_every_pair_above_the_overlap_it_promises() -> None:
    rng = random.Random(3)
    alphabet = "华宏鑫瑞泰恒达信丰盛源隆嘉德安康"
    keys = ["".join(rng.choice(alphabet) for _ in range(rng.randint(3, 7))) for _ in range(300)]
    grams = [tokens(k) for k in keys]
    expected = {
        (i, j) for i, j in combinations(range(len(keys)), 2)
        if _jaccard(grams[i], grams[j]) >= 0.5
    }  # fmt: skip
    left, right = candidate_pairs([list(g) for g in grams], min_overlap=0.5)
    found = {(min(i, j), max(i, j)) for i, j in zip(left, right, strict=True)}
    assert expected <= found
    assert len(found) < len(keys) * (len(keys) - 1) // 2  # and it did not compare them all


def test_exact_keys_pair_phone_email_and_company_written_differently() -> None:
    customers = [
        _keyed(1, "北京字节跳动科技有限公司", phone="138 0013 8000"),
        _keyed(2, "北京字节跳动科技", phone="+86 138-0013-8000"),
        _keyed(3, email="Wang@Example.CN"),
        _keyed(4, email="wang@example.cn "),
        _keyed(5, "ＡＣＭＥ Trading Co., Ltd."),
        _keyed(6, "acme trading inc"),
    ]
    found = {(p.low_id, p.high_id): p for p in find_pairs(customers)}
    assert set(found) == {(1, 2), (3, 4), (5, 6)}
    assert found[(1, 2)].reasons == ["phone", "company"]
    assert found[(3, 4)].reasons == ["email"]
    assert found[(5, 6)].reasons == ["company"]
    assert found[(1, 2)].score > found[(3, 4)].score > found[(5, 6)].score


def test_fuzzy_company_names_typo_and_swapped_words_with_their_similarity() -> None:
    customers = [
        _keyed(1, "Acme Trading Co., Ltd."),
        _keyed(2, "ACME Tradng Ltd"),
        _keyed(3, "Trading Acme Inc"),
        _keyed(4, "上海浦东发展银行"),
        _keyed(5, "杭州阿里巴巴网络"),
    ]
    found = {(p.low_id, p.high_id): p for p in find_pairs(customers)}
    assert set(found) == {(1, 2), (1, 3), (2, 3)}
    assert found[(1, 3)].similarity == 100.0 and found[(1, 3)].reasons == ["company_similar"]
    assert 85 <= (found[(1, 2)].similarity or 0) < 100
    stricter = find_pairs(customers, MatchSettings(min_similarity=99))
    assert {(p.low_id, p.high_id) for p in stricter} == {(1, 3)}


def test_the_blocked_scan_finds_what_comparing_all_pairs_finds() -> None:
    rng = random.Random(5)
    words = ["Acme", "Bolt", "Crane", "Delta", "Ember", "Flint", "Grove", "Harbor", "Iris"]
    names = [f"{rng.choice(words)} {rng.choice(words)} {rng.choice(words)} Ltd" for _ in range(60)]
    names += ["北京字节跳动科技", "北京字節跳动科技", "上海星辰科技", "上海星晨科技"]
    customers = [_keyed(i + 1, n) for i, n in enumerate(names)]
    blocked = {(p.low_id, p.high_id) for p in find_pairs(customers)}
    everything = {(p.low_id, p.high_id) for p in all_pairs(customers)}
    assert blocked == everything
    assert len(blocked) > 3


def test_score_is_the_strongest_reason_plus_a_little_for_each_other() -> None:
    assert score_pair(PairFound(1, 2, reasons=["company"])) == 85.0
    assert score_pair(PairFound(1, 2, reasons=["phone", "email"])) == 98.0
    assert score_pair(PairFound(1, 2, reasons=["phone", "email", "company"])) == 100.0
    assert score_pair(PairFound(1, 2, reasons=["company_similar"], similarity=90.0)) == 81.0


def _customer(owner: int | None, *, followed: int | None = None, assigned: int = 0) -> Customer:
    return Customer(
        name="c", owner_id=owner,
        last_follow_up_at=AT + timedelta(days=followed) if followed is not None else None,
        assigned_at=AT + timedelta(days=assigned) if owner is not None else None,
    )  # fmt: skip


def test_the_survivor_owner_rule() -> None:
    only_other = survivor_owner(_customer(None), _customer(7))
    assert (only_other.rep_id, only_other.changes, only_other.reason) == (7, True, "only_other")
    kept = survivor_owner(_customer(3), _customer(None))
    assert (kept.rep_id, kept.changes) == (3, False)
    assert survivor_owner(_customer(None), _customer(None)).rep_id is None
    recent = survivor_owner(_customer(3, followed=1), _customer(7, followed=2))
    assert (recent.rep_id, recent.reason) == (7, "recent_follow_up")
    assert survivor_owner(_customer(3, followed=2), _customer(7, followed=1)).rep_id == 3
    older = survivor_owner(_customer(3, assigned=5), _customer(7, assigned=1))
    assert (older.rep_id, older.reason) == (7, "older_assignment")
    assert survivor_owner(_customer(3, assigned=1), _customer(7, assigned=1)).rep_id == 3
