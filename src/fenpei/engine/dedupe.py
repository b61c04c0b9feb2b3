"""Duplicate pairs among many customers, without comparing every pair (pure).

Two ways a pair is found:

- **exact**: equal normalised phone, email or company keys (``domain/duplicates``): one
  dictionary per key, so linear in the customers.
- **fuzzy company names**: *prefix filtering* (AllPairs, Bayardo et al. 2007) over each
  company key's character bigrams, the bigrams ordered from the rarest to the most common
  in the whole set. Two names whose bigram sets have Jaccard similarity ≥ ``min_overlap``
  must share a bigram among the first ``|x| - ceil(min_overlap·|x|) + 1`` of their rarest
  ones, so indexing only those prefixes finds every such pair (no recall lost to the
  blocking itself, unlike fixed blocks or a sorted neighbourhood, which miss a typo in the
  first letters), while common bigrams (科技, 有限, "co") sit at the end of each list and
  never make the huge blocks that would bring back O(n²). Each candidate is then scored
  with rapidfuzz: the best of the plain ratio of the keys and the token-sort ratio of the
  spaced names (swapped words: "Huawei Beijing" / "Beijing Huawei").

Chinese and Latin names alike: bigrams of the key (``北京字节跳动`` → 北京, 京字, …).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process

from fenpei.domain.duplicates import company_key

# A group of customers sharing one key larger than this is chained (each to the first)
# rather than paired all with all: merging them one by one collapses the group anyway.
MAX_GROUP_ALL_PAIRS = 12
# Scores, 0..100: one phone or email is one person; one company name may be several
# contacts of one company, so it weighs less; each further reason adds a little.
SCORE_PHONE = 95.0
SCORE_EMAIL = 95.0
SCORE_COMPANY = 85.0
FUZZY_WEIGHT = 0.9
EXTRA_REASON = 3.0

_SPACES = re.compile(r"[\W_]+")
_CJK_RUNS = re.compile(r"[^\x00-\x7f]+")
_LATIN_RUNS = re.compile(r"[\x00-\x7f]+")
# A token shared by more names than this is not probed (a bounded loss of recall on
# degenerate data, where every token is common; prefix filtering keeps blocks small else).
MAX_BLOCK = 2_000


@dataclass(frozen=True)
class KeyedCustomer:
    """What matching reads of a customer: its id, its duplicate keys and company name."""

    id: int
    phone_key: str | None = None
    email_key: str | None = None
    company_key: str | None = None
    company_name: str | None = None


@dataclass
class PairFound:
    """A candidate duplicate pair, ``low_id < high_id``, with why and how sure (0..100)."""

    low_id: int
    high_id: int
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)
    similarity: float | None = None  # the company names' similarity, 0..100, if fuzzy


@dataclass(frozen=True)
class MatchSettings:
    min_similarity: float = 85.0  # company names at least this similar (rapidfuzz, 0..100)
    min_overlap: float = 0.5  # bigram Jaccard the blocking guarantees to find
    min_key_length: int = 4  # shorter company keys are too short to compare fuzzily


def tokens(key: str, name: str | None = None) -> list[str]:
    """What blocking compares, distinct: the bigrams of each run of Chinese characters in
    the key (``北京字节`` → 北京, 京字, 字节), and the Latin words of ``name`` (given as
    ``spaced`` writes it: ``acme trading``), or the key's Latin runs
    when there is no name. Latin bigrams are too few and too common to block on; words are
    many and rare."""
    found: list[str] = []
    for run in _CJK_RUNS.findall(key):
        found.extend(run[i : i + 2] for i in range(len(run) - 1)) if len(run) > 1 else found.append(
            run
        )
    words = name.split() if name else _LATIN_RUNS.findall(key)
    found.extend(w for w in words if w.isascii())
    return list(dict.fromkeys(found)) or [key]


@lru_cache(maxsize=65_536)
def _word_key(word: str) -> str | None:
    return company_key(word)


def spaced(name: str) -> str:
    """The name's words, each normalised as a company key (so legal forms such as Inc or
    有限公司 drop out), joined by spaces: for the token-sort comparison."""
    text = _SPACES.sub(" ", unicodedata.normalize("NFKC", name).casefold())
    return " ".join(key for word in text.split() if (key := _word_key(word)))


def _pair(found: dict[tuple[int, int], PairFound], a: int, b: int) -> PairFound:
    low, high = (a, b) if a < b else (b, a)
    pair = found.get((low, high))
    if pair is None:
        pair = found[(low, high)] = PairFound(low, high)
    return pair


def _exact(customers: Sequence[KeyedCustomer], found: dict[tuple[int, int], PairFound]) -> None:
    for attr, reason in (
        ("phone_key", "phone"),
        ("email_key", "email"),
        ("company_key", "company"),
    ):
        groups: dict[str, list[int]] = defaultdict(list)
        for c in customers:
            key = getattr(c, attr)
            if key:
                groups[key].append(c.id)
        for ids in groups.values():
            if len(ids) < 2:
                continue
            if len(ids) <= MAX_GROUP_ALL_PAIRS:
                pairs = [(a, b) for i, a in enumerate(ids) for b in ids[i + 1 :]]
            else:
                pairs = [(ids[0], b) for b in ids[1:]]
            for a, b in pairs:
                _pair(found, a, b).reasons.append(reason)


def candidate_pairs(
    grams: Sequence[list[str]], *, min_overlap: float
) -> tuple[list[int], list[int]]:
    """Index pairs of token lists whose sets may reach ``min_overlap`` Jaccard (prefix
    filtering; every pair that does is among them), as two parallel lists. Sorts each
    token list in place, rarest token first."""
    frequency: dict[str, int] = defaultdict(int)
    for gs in grams:
        for g in gs:
            frequency[g] += 1
    for gs in grams:
        gs.sort(key=lambda g: (frequency[g], g))
    sizes = [len(gs) for gs in grams]
    # Shorter sets first: a set can only reach min_overlap with one at least min_overlap
    # times its size (the length filter), so the index need hold only the earlier ones.
    order = sorted(range(len(grams)), key=sizes.__getitem__)
    index: dict[str, list[int]] = defaultdict(list)
    left: list[int] = []
    right: list[int] = []
    for i in order:
        gs = grams[i]
        prefix = gs[: sizes[i] - math.ceil(min_overlap * sizes[i]) + 1]
        found: set[int] = set()
        for g in prefix:
            posting = index[g]
            if len(posting) <= MAX_BLOCK:
                found.update(posting)  # the union in C: the pass over the blocks
        least = min_overlap * sizes[i]
        kept = [j for j in found if sizes[j] >= least]
        left.extend(kept)
        right.extend([i] * len(kept))
        for g in prefix:
            index[g].append(i)
    return left, right


def _fuzzy(
    customers: Sequence[KeyedCustomer],
    found: dict[tuple[int, int], PairFound],
    settings: MatchSettings,
) -> None:
    named = [
        c for c in customers if c.company_key and len(c.company_key) >= settings.min_key_length
    ]
    words = [spaced(c.company_name) if c.company_name else "" for c in named]
    grams = [tokens(c.company_key or "", w or None) for c, w in zip(named, words, strict=True)]
    left, right = candidate_pairs(grams, min_overlap=settings.min_overlap)
    if not left:
        return
    # Both measures over all candidates at once, in rapidfuzz's C loop (pairwise).
    cutoff = settings.min_similarity
    keys = [c.company_key or "" for c in named]
    plain = process.cpdist(
        [keys[i] for i in left], [keys[j] for j in right], scorer=fuzz.ratio,
        score_cutoff=cutoff, dtype=np.float32,
    )  # fmt: skip
    swapped = process.cpdist(
        [words[i] for i in left], [words[j] for j in right], scorer=fuzz.token_sort_ratio,
        score_cutoff=cutoff, dtype=np.float32,
    )  # fmt: skip
    best = np.maximum(plain, swapped)
    for k in np.nonzero(best >= cutoff)[0].tolist():
        a, b = named[left[k]], named[right[k]]
        if a.company_key == b.company_key or a.id == b.id:
            continue  # an exact match, already found
        pair = _pair(found, a.id, b.id)
        pair.similarity = round(float(best[k]), 1)
        pair.reasons.append("company_similar")


def score_pair(pair: PairFound) -> float:
    """The pair's score: its strongest reason, plus a little for each further one."""
    strengths = []
    for reason in pair.reasons:
        if reason == "phone":
            strengths.append(SCORE_PHONE)
        elif reason == "email":
            strengths.append(SCORE_EMAIL)
        elif reason == "company":
            strengths.append(SCORE_COMPANY)
        elif reason == "company_similar" and pair.similarity is not None:
            strengths.append(pair.similarity * FUZZY_WEIGHT)
    strengths.sort(reverse=True)
    return round(min(100.0, strengths[0] + EXTRA_REASON * (len(strengths) - 1)), 1)


def find_pairs(
    customers: Sequence[KeyedCustomer], settings: MatchSettings | None = None
) -> list[PairFound]:
    """Every duplicate pair among ``customers``, strongest first."""
    settings = settings or MatchSettings()
    found: dict[tuple[int, int], PairFound] = {}
    _exact(customers, found)
    _fuzzy(customers, found, settings)
    for pair in found.values():
        pair.reasons = list(dict.fromkeys(pair.reasons))
        pair.score = score_pair(pair)
    return sorted(found.values(), key=lambda p: (-p.score, p.low_id, p.high_id))


def all_pairs(
    customers: Sequence[KeyedCustomer], settings: MatchSettings | None = None
) -> list[PairFound]:
    """The baseline: every pair of company names compared (O(n²), in rapidfuzz's C loop,
    ``process.cdist``, the fastest all-pairs there is); for measuring blocking against."""
    settings = settings or MatchSettings()
    found: dict[tuple[int, int], PairFound] = {}
    _exact(customers, found)
    named = [
        c for c in customers if c.company_key and len(c.company_key) >= settings.min_key_length
    ]
    keys = [c.company_key or "" for c in named]
    names = [spaced(c.company_name or "") for c in named]
    cutoff = settings.min_similarity
    plain = process.cdist(keys, keys, scorer=fuzz.ratio, score_cutoff=cutoff, dtype=np.uint8)
    swapped = process.cdist(
        names, names, scorer=fuzz.token_sort_ratio, score_cutoff=cutoff, dtype=np.uint8
    )
    rows, columns = np.nonzero(np.triu(np.maximum(plain, swapped), k=1))
    for i, j in zip(rows.tolist(), columns.tolist(), strict=True):
        a, b = named[i], named[j]
        if a.company_key != b.company_key:
            pair = _pair(found, a.id, b.id)
            pair.similarity = round(max(plain[i, j], swapped[i, j]), 1)
            pair.reasons.append("company_similar")
    for pair in found.values():
        pair.reasons = list(dict.fromkeys(pair.reasons))
        pair.score = score_pair(pair)
    return sorted(found.values(), key=lambda p: (-p.score, p.low_id, p.high_id))
