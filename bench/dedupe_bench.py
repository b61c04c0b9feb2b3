"""Duplicate detection on 100,000 generated customers with planted duplicates: precision,
recall and time of the blocked scan (engine/dedupe.py), against the all-pairs baseline in
the same run.

The customers: Chinese and English company names (city + made-up syllables + industry +
legal form), each with its own phone and email. About 10% are planted duplicates of
another, with a known truth: a typo in the company name, the legal form changed
(有限公司 → 公司, Co., Ltd. → Inc), full-width or upper case, English words swapped, the
phone written another way (+86, dashes, spaces), the email in capitals. Typo and swap
duplicates get their own phone and email, so only the fuzzy company match can find them.

All pairs on 100,000 is 5·10⁹ comparisons: the baseline (rapidfuzz ``process.cdist``,
every pair in C) runs on a sample of whole clusters, its time is extrapolated
quadratically to 100,000, and its recall is measured on the sample, where the blocked
scan runs too for a like-for-like recall.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from itertools import combinations

from fenpei.domain.duplicates import company_key, email_key, phone_key
from fenpei.engine.dedupe import KeyedCustomer, PairFound, all_pairs, find_pairs

TOTAL = 100_000
DUPLICATE_SHARE = 0.10
SAMPLE = 4_000
# About 250 characters common in Chinese company names (字号), so names are as diverse as
# real ones; the cities, trades and legal forms repeat across all of them.
_CJK = (
    "华宏鑫瑞泰恒达信丰盛源隆嘉德安康通汇远博创新金银海天润泽晨光明辉祥和兴荣昌富贵佳"
    "美正道诚志成立方圆中联众合融智慧云星月阳春秋夏冬青蓝白紫红绿橙黄黑灵秀雅静宁航"
    "东南西北国际环球宇宙龙凤麒麟鹏鹰虎豹狮象松柏竹梅兰菊桃李杏梨山川江河湖泊峰岭"
    "长永久万千百亿兆宝玉珠翠晶钻石铁铜锦绣丝绸纺织服饰家居建筑工程机械设备仪器精密"
    "电气能源环保节能照明通讯数码软件硬件网络传媒广告文化教育培训咨询管理投资基金证"
    "农牧渔林果蔬茶酒饮品医药健康养生美容化妆日用百货超市商贸易物流运输仓储供应链"
)
_CITIES = ("北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "南京", "苏州", "西安")
_CN_TRADES = ("科技", "贸易", "电子", "网络", "信息技术", "实业", "生物", "物流", "文化传媒")
_CN_FORMS = ("有限公司", "股份有限公司", "有限责任公司", "公司")
# Made-up English words from ~500 syllables (consonant, vowel, ending): as many distinct
# words as real company names have, so two unrelated names are rarely near-identical.
_SYLLABLES = tuple(
    c + v + e for c in "bdfghjklmnprstvwz" for v in "aeiou" for e in ("", "n", "r", "l", "x", "s")
)
_EN_TRADES = ("Trading", "Logistics", "Software", "Foods", "Textiles", "Capital", "Labs")
_EN_FORMS = ("Co., Ltd.", "Ltd", "Inc.", "Limited", "LLC", "Corp.")


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(2)).capitalize()


def _company(rng: random.Random) -> str:
    if rng.random() < 0.5:
        core = "".join(rng.choice(_CJK) for _ in range(rng.randint(3, 4)))
        return f"{rng.choice(_CITIES)}{core}{rng.choice(_CN_TRADES)}{rng.choice(_CN_FORMS)}"
    return f"{_word(rng)} {_word(rng)} {rng.choice(_EN_TRADES)} {rng.choice(_EN_FORMS)}"


def _typo(rng: random.Random, name: str) -> str:
    core = name.split(" ")[0] if " " in name else name
    i = rng.randrange(2, max(3, min(len(core), 8)))
    alphabet = _CJK if not core.isascii() else "abcdefghijklmnopqrstuvwxyz"
    kind = rng.choice(("replace", "delete", "insert", "transpose"))
    if kind == "replace":
        core = core[:i] + rng.choice(alphabet) + core[i + 1 :]
    elif kind == "delete":
        core = core[:i] + core[i + 1 :]
    elif kind == "insert":
        core = core[:i] + rng.choice(alphabet) + core[i:]
    elif i + 1 < len(core):
        core = core[:i] + core[i + 1] + core[i] + core[i + 2 :]
    return core + name[len(name.split(" ")[0]) :] if " " in name else core


def _reform(rng: random.Random, name: str) -> str:
    for form in (*_CN_FORMS, *_EN_FORMS):
        if name.endswith(form):
            others = [f for f in (_CN_FORMS if not form.isascii() else _EN_FORMS) if f != form]
            return name[: -len(form)] + rng.choice(others)
    return name


def _widen(name: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in name.upper())


def _swap(name: str) -> str:
    words = name.split(" ")
    if len(words) < 3:
        return name
    return " ".join([words[1], words[0], *words[2:]])


def _phone(rng: random.Random) -> str:
    return "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))


def _rephone(phone: str) -> str:
    return f"+86 {phone[:3]}-{phone[3:7]}-{phone[7:]}"


def generate(total: int, seed: int = 16) -> tuple[list[dict[str, str]], list[int]]:
    """``total`` customers and, for each, its cluster (a base and its planted copies)."""
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    cluster: list[int] = []
    bases = int(total * (1 - DUPLICATE_SHARE))
    for i in range(bases):
        rows.append(
            {"company": _company(rng), "phone": _phone(rng), "email": f"c{i}@example{i % 97}.com"}
        )
        cluster.append(i)
    while len(rows) < total:
        b = rng.randrange(bases)
        base = rows[b]
        kind = rng.choice(("typo", "suffix", "width", "swap", "phone", "email"))
        copy = {"company": base["company"], "phone": _phone(rng), "email": f"d{len(rows)}@x.cn"}
        if kind == "typo":
            copy["company"] = _typo(rng, base["company"])
        elif kind == "suffix":
            copy["company"] = _reform(rng, base["company"])
        elif kind == "width":
            copy["company"] = _widen(base["company"])
        elif kind == "swap":
            copy["company"] = (
                _swap(base["company"]) if base["company"].isascii() else _typo(rng, base["company"])
            )
        elif kind == "phone":
            copy = {"company": _company(rng), "phone": _rephone(base["phone"]), "email": ""}
        else:
            copy = {"company": _company(rng), "phone": "", "email": base["email"].upper()}
        rows.append(copy)
        cluster.append(b)
    return rows, cluster


def keyed(rows: list[dict[str, str]], ids: list[int]) -> list[KeyedCustomer]:
    return [
        KeyedCustomer(
            i, phone_key(rows[i]["phone"]), email_key(rows[i]["email"]),
            company_key(rows[i]["company"]), rows[i]["company"],
        )
        for i in ids
    ]  # fmt: skip


def truth(cluster: list[int], ids: list[int]) -> set[tuple[int, int]]:
    members: dict[int, list[int]] = defaultdict(list)
    for i in ids:
        members[cluster[i]].append(i)
    return {(a, b) for group in members.values() for a, b in combinations(sorted(group), 2)}


def quality(found: list[PairFound], true: set[tuple[int, int]]) -> tuple[float, float]:
    got = {(p.low_id, p.high_id) for p in found}
    hits = len(got & true)
    return hits / max(len(got), 1), hits / max(len(true), 1)


def run() -> None:
    t0 = time.perf_counter()
    rows, cluster = generate(TOTAL)
    ids = list(range(TOTAL))
    customers = keyed(rows, ids)
    true = truth(cluster, ids)
    made = time.perf_counter() - t0
    t0 = time.perf_counter()
    found = find_pairs(customers)
    blocked = time.perf_counter() - t0
    precision, recall = quality(found, true)
    # The sample: whole clusters, so its truth is complete.
    rng = random.Random(7)
    members: dict[int, list[int]] = defaultdict(list)
    for i in ids:
        members[cluster[i]].append(i)
    groups = list(members.values())
    rng.shuffle(groups)
    sample: list[int] = []
    for group in groups:
        if len(sample) >= SAMPLE:
            break
        sample.extend(group)
    sample.sort()
    part, part_true = keyed(rows, sample), truth(cluster, sample)
    t0 = time.perf_counter()
    base_found = all_pairs(part)
    base_time = time.perf_counter() - t0
    t0 = time.perf_counter()
    part_found = find_pairs(part)
    part_time = time.perf_counter() - t0
    base_p, base_r = quality(base_found, part_true)
    part_p, part_r = quality(part_found, part_true)
    extrapolated = base_time * (TOTAL / len(sample)) ** 2
    print(f"dedupe: {TOTAL:,} customers ({len(true):,} true pairs), made in {made:.1f}s")
    print(
        f"  blocked scan (prefix filtering + rapidfuzz): {blocked:.2f}s, {len(found):,} pairs, "
        f"precision {precision:.3f}, recall {recall:.3f}"
    )
    print(
        f"  sample of {len(sample):,} (whole clusters, {len(part_true):,} true pairs): "
        f"all pairs (cdist) {base_time:.2f}s precision {base_p:.3f} recall {base_r:.3f}; "
        f"blocked {part_time:.3f}s precision {part_p:.3f} recall {part_r:.3f}"
    )
    print(
        f"  all pairs on {TOTAL:,} extrapolated (n² from the sample): {extrapolated:,.0f}s; "
        f"blocked is {extrapolated / blocked:,.0f}x faster; on the sample its recall is "
        f"{part_r / max(base_r, 1e-9):.3f} of all pairs'"
    )


if __name__ == "__main__":
    run()
