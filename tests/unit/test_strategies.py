"""Strategies: how a rule picks one rep among eligible ones, fairly, reproducibly, explained."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import groupby
from random import Random
from typing import Any

import pytest

from fenpei.domain.customers import Customer
from fenpei.domain.org import Rep
from fenpei.engine.capacity import Usage
from fenpei.engine.model import Choice, RepState
from fenpei.engine.strategies import STRATEGIES, get_strategy, validate_options

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CUSTOMER = Customer(name="Acme", industry="Retail", region="East", level="B")


def rep(
    rep_id: int,
    *,
    open_count: int = 0,
    max_open: int | None = None,
    weight: int = 1,
    seniority: int = 50,
    skills: dict[str, list[str]] | None = None,
    open_value: str = "0",
    last_assigned_at: datetime | None = None,
) -> RepState:
    return RepState(
        rep=Rep(
            name=f"Rep{rep_id}",
            id=rep_id,
            weight=weight,
            seniority=seniority,
            max_open=max_open,
            skills=skills or {},
        ),
        usage=Usage(open_count),
        open_value=Decimal(open_value),
        last_assigned_at=last_assigned_at,
    )


def choose(
    name: str,
    candidates: Sequence[RepState],
    *,
    state: Mapping[str, Any] | None = None,
    options: Mapping[str, Any] | None = None,
    customer: Customer = CUSTOMER,
    seed: int = 0,
) -> Choice:
    return get_strategy(name).choose(
        candidates, customer=customer, state=state or {}, options=options or {}, rng=Random(seed)
    )


def run(
    name: str, teams: Iterable[Sequence[RepState]], state: Mapping[str, Any] | None = None
) -> tuple[list[int], Mapping[str, Any]]:
    """Route once per team given, carrying the state along; the ids served, and the state."""
    served, state = [], state or {}
    for team in teams:
        choice = choose(name, team, state=state)
        served.append(choice.rep_id)
        state = choice.new_state
    return served, state


def longest_run(served: Sequence[int]) -> int:
    return max(len(list(group)) for _, group in groupby(served))


# -- round robin ------------------------------------------------------------------------


def test_round_robin_serves_each_rep_exactly_equally_over_300_calls() -> None:
    team = [rep(2), rep(5), rep(9)]
    served, _ = run("round_robin", [team] * 300)
    assert Counter(served) == {2: 100, 5: 100, 9: 100}
    assert served[:6] == [2, 5, 9, 2, 5, 9]


def test_round_robin_skips_an_ineligible_rep_and_resumes_after_the_one_served() -> None:
    everyone = [rep(1), rep(2), rep(3), rep(4)]
    without_2 = [rep(1), rep(3), rep(4)]
    served, _ = run("round_robin", [everyone, without_2, everyone, everyone, everyone])
    assert served == [1, 3, 4, 1, 2]


def test_round_robin_slots_a_new_rep_in_by_id() -> None:
    served, state = run("round_robin", [[rep(1), rep(3), rep(5)]] * 2)
    assert served == [1, 3]
    served, _ = run("round_robin", [[rep(1), rep(3), rep(4), rep(5), rep(6)]] * 5, state)
    assert served == [4, 5, 6, 1, 3]


def test_round_robin_moves_on_when_the_rep_served_last_has_left() -> None:
    choice = choose("round_robin", [rep(1), rep(4)], state={"last_rep_id": 2})
    assert choice.rep_id == 4
    assert choice.reason == "round robin: next after rep #2"


def test_round_robin_state_survives_a_restart_through_json() -> None:
    team = [rep(1), rep(2), rep(3)]
    straight, _ = run("round_robin", [team] * 7)
    restarted: list[int] = []
    state: dict[str, Any] = {}
    for _ in range(7):
        choice = choose("round_robin", team, state=json.loads(json.dumps(state)))
        restarted.append(choice.rep_id)
        state = choice.new_state
    assert restarted == straight == [1, 2, 3, 1, 2, 3, 1]


def test_round_robin_explains_whose_turn_follows_whom_and_ranks_the_rotation() -> None:
    first = choose("round_robin", [rep(1), rep(2), rep(3)])
    assert first.reason == "round robin: first turn"
    second = choose("round_robin", [rep(1), rep(2), rep(3)], state=first.new_state)
    assert second.reason == "round robin: next after Rep1"
    assert second.scores == {2: 3.0, 3: 2.0, 1: 1.0}


def test_round_robin_starts_over_from_a_state_it_cannot_read() -> None:
    assert choose("round_robin", [rep(1), rep(2)], state={"last_rep_id": "x"}).rep_id == 1


# -- smooth weighted round robin --------------------------------------------------------


@pytest.mark.parametrize("weights", [(2, 1), (3, 2, 1), (1, 4, 2)])
def test_weighted_round_robin_gives_exact_shares_in_every_full_cycle(
    weights: tuple[int, ...],
) -> None:
    team = [rep(i + 1, weight=w) for i, w in enumerate(weights)]
    cycle = sum(weights)
    served, _ = run("weighted_round_robin", [team] * (cycle * 10))
    for start in range(0, len(served), cycle):
        counts = Counter(served[start : start + cycle])
        assert counts == {i + 1: w for i, w in enumerate(weights)}


def test_weighted_round_robin_interleaves_rather_than_serving_in_bursts() -> None:
    team = [rep(1, weight=3), rep(2, weight=2), rep(3, weight=1)]
    served, _ = run("weighted_round_robin", [team] * 60)
    assert served[:6] == [1, 2, 1, 3, 2, 1]
    assert longest_run(served) == 2  # AAABBC in bursts would give 3
    assert longest_run([r for r in served if r != 1]) == 2  # B and C alternate too


def test_weighted_round_robin_drops_a_removed_rep_and_stays_fair_to_the_rest() -> None:
    team = [rep(1, weight=2), rep(2, weight=1), rep(3, weight=3)]
    _, state = run("weighted_round_robin", [team] * 4)
    smaller = [rep(1, weight=2), rep(2, weight=1)]
    served, state = run("weighted_round_robin", [smaller] * 30, state)
    assert set(state["current"]) == {"1", "2"}
    # Credit owed from before the removal is paid off in the first cycle, then 2:1 exactly.
    assert abs(Counter(served)[1] - 20) <= 1
    for start in range(3, 30, 3):
        assert Counter(served[start : start + 3]) == {1: 2, 2: 1}


def test_weighted_round_robin_gives_a_new_rep_their_share_from_zero() -> None:
    _, state = run("weighted_round_robin", [[rep(1), rep(2)]] * 3)
    bigger = [rep(1), rep(2), rep(3, weight=2)]
    served, state = run("weighted_round_robin", [bigger] * 40, state)
    assert Counter(served) == {1: 10, 2: 10, 3: 20}
    assert sum(state["current"].values()) == 0


def test_weighted_round_robin_scores_the_credit_it_chose_on() -> None:
    choice = choose("weighted_round_robin", [rep(1, weight=2), rep(2, weight=1)])
    assert choice.scores == {1: 2.0, 2: 1.0}
    assert choice.new_state == {"current": {"1": -1, "2": 1}}
    assert choice.reason == "weighted round robin: Rep1, weight 2 of 3, credit 2"


# -- least loaded -----------------------------------------------------------------------


def test_least_loaded_measures_load_relative_to_capacity() -> None:
    choice = choose(
        "least_loaded", [rep(1, open_count=10, max_open=20), rep(2, open_count=15, max_open=100)]
    )
    assert choice.rep_id == 2
    assert choice.reason == "least loaded: 15/100 open (15%)"
    assert choice.scores == {1: 0.5, 2: 0.85}


def test_least_loaded_measures_reps_without_a_limit_against_the_default_capacity() -> None:
    team = [rep(1, open_count=30), rep(2, open_count=5, max_open=10)]
    assert choose("least_loaded", team).rep_id == 1  # 30% against 50%
    tight = choose("least_loaded", team, options={"default_capacity": 50})
    assert tight.rep_id == 2  # 60% against 50%
    loose = choose("least_loaded", team, options={"default_capacity": 300})
    assert loose.reason == "least loaded: 30/300 open (10%, default capacity)"


def test_least_loaded_breaks_ties_by_who_has_waited_longest_then_by_id() -> None:
    earlier, later = T0, T0 + timedelta(hours=1)
    team = [rep(1, open_count=2, max_open=10, last_assigned_at=later),
            rep(2, open_count=4, max_open=20, last_assigned_at=earlier),
            rep(3, open_count=1, max_open=5, last_assigned_at=later)]  # fmt: skip
    choice = choose("least_loaded", team)
    assert choice.rep_id == 2
    assert choice.reason.endswith(", waiting longest among equals")
    never = rep(4, open_count=3, max_open=15)
    assert choose("least_loaded", [*team, never]).rep_id == 4
    assert choose("least_loaded", [rep(7), rep(6)]).rep_id == 6


def test_least_loaded_evens_out_a_skewed_team() -> None:
    open_counts = {1: 10, 2: 0, 3: 0, 4: 0}
    last: dict[int, datetime | None] = dict.fromkeys(open_counts)
    for minute in range(30):
        team = [
            rep(i, open_count=n, max_open=40, last_assigned_at=last[i])
            for i, n in open_counts.items()
        ]
        chosen = choose("least_loaded", team).rep_id
        open_counts[chosen] += 1
        last[chosen] = T0 + timedelta(minutes=minute)
    assert max(open_counts.values()) - min(open_counts.values()) <= 1
    assert open_counts == {1: 10, 2: 10, 3: 10, 4: 10}


# -- random -----------------------------------------------------------------------------


def draws(seed: int, count: int, options: Mapping[str, Any] | None = None) -> list[int]:
    team = [rep(1, weight=1), rep(2, weight=2), rep(3, weight=3)]
    rng = Random(seed)
    strategy = get_strategy("random")
    return [
        strategy.choose(team, customer=CUSTOMER, state={}, options=options or {}, rng=rng).rep_id
        for _ in range(count)
    ]


def chi_square(observed: Counter[int], expected: Mapping[int, float]) -> float:
    return sum((observed[k] - e) ** 2 / e for k, e in expected.items())


def test_random_is_reproducible_with_the_same_seed() -> None:
    assert draws(7, 50) == draws(7, 50)
    assert draws(7, 50) != draws(8, 50)


def test_random_is_roughly_uniform_over_3000_draws() -> None:
    counts = Counter(draws(2026, 3000))
    # 13.8 is the 0.1% tail of chi-square with 2 degrees of freedom: a loose bound.
    assert chi_square(counts, {1: 1000, 2: 1000, 3: 1000}) < 13.8


def test_weighted_random_draws_in_proportion_to_rep_weight() -> None:
    counts = Counter(draws(2026, 3000, {"weighted": True}))
    assert chi_square(counts, {1: 500, 2: 1000, 3: 1500}) < 13.8


def test_random_scores_are_each_reps_chance() -> None:
    team = [rep(1, weight=1), rep(2, weight=3)]
    assert choose("random", team).scores == {1: 0.5, 2: 0.5}
    weighted = choose("random", team, options={"weighted": True})
    assert weighted.scores == {1: 0.25, 2: 0.75}
    assert weighted.reason.startswith("weighted random draw: weight")


# -- value balanced ---------------------------------------------------------------------


def test_value_balanced_chooses_the_rep_holding_the_least_open_value() -> None:
    team = [rep(1, open_count=1, open_value="90000"), rep(2, open_count=12, open_value="15000.5")]
    choice = choose("value_balanced", team)
    assert choice.rep_id == 2
    assert choice.scores == {1: -90000.0, 2: -15000.5}
    assert choice.reason == "value balanced: 15,000.50 open expected value"


def test_value_balanced_breaks_ties_by_who_has_waited_longest() -> None:
    team = [rep(1, open_value="500", last_assigned_at=T0 + timedelta(days=1)),
            rep(2, open_value="500", last_assigned_at=T0),
            rep(3, open_value="800")]  # fmt: skip
    assert choose("value_balanced", team).rep_id == 2


# -- best match -------------------------------------------------------------------------


def test_best_match_prefers_the_industry_expert_case_insensitively() -> None:
    team = [rep(1, skills={"regions": ["East"]}), rep(2, skills={"industries": ["retail"]})]
    choice = choose(
        "best_match", team, customer=Customer(name="c", industry="Retail", region="West")
    )
    assert choice.rep_id == 2
    assert choice.reason == "best match 3: industry Retail ✓, load 0%"
    assert choice.scores == {1: 0.0, 2: 3.0}


def test_best_match_sends_level_a_to_senior_reps_and_level_d_to_juniors() -> None:
    team = [rep(1, seniority=10), rep(2, seniority=90), rep(3, seniority=50)]

    def best_for(level: str, options: Mapping[str, Any] | None = None) -> int:
        return choose("best_match", team, customer=Customer(name="c", level=level),
                      options=options).rep_id  # fmt: skip

    assert best_for("A") == 2
    assert best_for("d") == 1
    targets = {"seniority_targets": {"A": 50}}
    assert best_for("A", targets) == 3
    assert best_for("D", targets) == 1  # levels the rule leaves out keep their default target


def test_best_match_counts_region_language_and_product_and_says_what_matched() -> None:
    customer = Customer(name="c", industry="Retail", region="East", product_interest="CRM",
                        custom={"language": "en"})  # fmt: skip
    expert = rep(1, max_open=10, open_count=1,
                 skills={"industries": ["Retail"], "regions": ["east"], "languages": ["EN"],
                         "products": ["crm"]})  # fmt: skip
    choice = choose("best_match", [expert, rep(2)], customer=customer)
    assert choice.scores[1] == pytest.approx(3 + 2 + 2 + 1 - 2 * 0.1)
    assert choice.reason == (
        "best match 7.8: industry Retail ✓, region East ✓, language en ✓, product CRM ✓, load 10%"
    )


def test_best_match_weights_come_from_options() -> None:
    team = [rep(1, skills={"industries": ["Retail"]}), rep(2, skills={"regions": ["East"]})]
    assert choose("best_match", team).rep_id == 1
    assert choose("best_match", team, options={"weights": {"region": 5}}).rep_id == 2


def test_best_match_load_penalty_evens_out_equally_skilled_reps() -> None:
    skills = {"industries": ["Retail"]}
    open_counts = {1: 0, 2: 0, 3: 0}
    for _ in range(31):
        team = [rep(i, open_count=n, max_open=50, skills=skills) for i, n in open_counts.items()]
        open_counts[choose("best_match", team).rep_id] += 1
    assert sorted(open_counts.values()) == [10, 10, 11]


def test_best_match_load_outweighs_a_small_skill_edge() -> None:
    product = {"products": ["CRM"]}
    customer = Customer(name="c", product_interest="CRM")
    team = [rep(1, open_count=40, max_open=50, skills=product), rep(2, open_count=5, max_open=50)]
    assert choose("best_match", team, customer=customer).rep_id == 2  # 1 - 1.6 < 0 - 0.2


# -- every strategy ---------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_every_strategy_scores_every_candidate_and_returns_json_state(name: str) -> None:
    strategy = get_strategy(name)
    assert strategy.name == name
    teams = [
        [rep(1, weight=2, open_count=3, max_open=10), rep(2), rep(3, weight=3, open_value="50")],
        [rep(2), rep(3, weight=3, open_value="50")],  # rep 1 on leave
        [rep(2), rep(3, weight=3), rep(4, seniority=99, open_count=1)],  # rep 4 joins
        [rep(5)],  # a team of one
    ]
    state: Mapping[str, Any] = {}
    for team in teams:
        choice = strategy.choose(team, customer=CUSTOMER, state=state, options={}, rng=Random(1))
        again = strategy.choose(team, customer=CUSTOMER, state=state, options={}, rng=Random(1))
        assert again == choice  # deterministic given its arguments
        assert choice.rep_id in {c.id for c in team}
        assert set(choice.scores) == {c.id for c in team}
        assert all(isinstance(score, float) for score in choice.scores.values())
        assert choice.reason
        state = json.loads(json.dumps(choice.new_state, allow_nan=False))
        assert state == choice.new_state


@pytest.mark.parametrize("name", sorted(set(STRATEGIES) - {"random"}))
def test_every_ranking_strategy_picks_a_rep_with_the_top_score(name: str) -> None:
    team = [rep(1, open_count=4, max_open=10), rep(2, weight=2, open_value="10"), rep(3)]
    choice = choose(name, team, state={"last_rep_id": 1, "current": {"2": 1}})
    assert choice.scores[choice.rep_id] == max(choice.scores.values())


def test_strategies_leave_the_state_they_were_given_untouched() -> None:
    state = {"current": {"1": 1, "2": -1}}
    frozen = json.dumps(state)
    choose("weighted_round_robin", [rep(1), rep(2)], state=state)
    assert json.dumps(state) == frozen


def test_an_unknown_strategy_is_refused_with_the_known_names() -> None:
    with pytest.raises(ValueError, match="unknown strategy 'fastest'") as raised:
        get_strategy("fastest")
    assert all(name in str(raised.value) for name in STRATEGIES)


# -- validate_options -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("round_robin", {}),
        ("weighted_round_robin", {}),
        ("least_loaded", {"default_capacity": 40}),
        ("random", {"weighted": True}),
        ("value_balanced", {}),
        ("best_match", {"weights": {"industry": 5, "load": 0.5}, "default_capacity": 30,
                        "seniority_targets": {"A": 90, "VIP": 100}}),
    ],
)  # fmt: skip
def test_valid_options_have_no_problems(name: str, options: dict[str, Any]) -> None:
    assert validate_options(name, options) == []


@pytest.mark.parametrize(
    ("name", "options", "problems"),
    [
        ("nearest", {}, ["strategy: unknown 'nearest' (known: round_robin, "
                         "weighted_round_robin, least_loaded, random, value_balanced, "
                         "best_match, predicted_conversion, batch_optimal)"]),
        ("round_robin", {"step": 2}, ["step: unknown option (this strategy takes: none)"]),
        ("least_loaded", {"default_capacity": 0},
         ["default_capacity: must be a whole number ≥ 1, got 0"]),
        ("least_loaded", {"default_capacity": True},
         ["default_capacity: must be a whole number ≥ 1, got True"]),
        ("random", {"weighted": "yes"}, ["weighted: must be true or false, got 'yes'"]),
        ("best_match", {"weights": {"regoin": 2}},
         ["weights.regoin: unknown weight (known: industry, language, load, product, "
          "region, seniority)"]),
        ("best_match", {"weights": {"industry": "3"}},
         ["weights.industry: must be a number, got '3'"]),
        ("best_match", {"weights": {"load": False, "region": -1}},
         ["weights.load: must be a number, got False",
          "weights.region: must be ≥ 0, got -1"]),
        ("best_match", {"weights": [3, 2]},
         ["weights: must be an object of name → number, got [3, 2]"]),
        ("best_match", {"seniority_targets": {"A": 150}},
         ["seniority_targets.A: must be between 1 and 100, got 150"]),
        ("best_match", {"weight": {}},
         ["weight: unknown option (this strategy takes: default_capacity, seniority_targets, "
          "weights)"]),
    ],
)  # fmt: skip
def test_invalid_options_are_reported_by_name(
    name: str, options: dict[str, Any], problems: list[str]
) -> None:
    assert validate_options(name, options) == problems


def test_options_that_are_not_an_object_are_a_problem() -> None:
    problems = validate_options("round_robin", [1])  # type: ignore[arg-type]
    assert problems == ["strategy_options: must be an object, got [1]"]


def test_a_strategy_given_bad_options_at_routing_time_uses_its_defaults() -> None:
    team = [rep(1, open_count=30), rep(2, open_count=5, max_open=10)]
    bad = {"default_capacity": "lots", "weights": {"industry": "3"}}
    for name in ("least_loaded", "best_match"):
        assert choose(name, team, options=bad) == choose(name, team)


# -- edges the mutation run found untested (docs/mutation.md) ----------------------------


def test_weighted_random_takes_one_draw_per_pick_so_a_seed_replays_the_same_picks() -> None:
    rng = Random(11)  # draws() uses reps 1, 2, 3 weighing 1, 2, 3 and one generator throughout
    expected = [rng.choices([1, 2, 3], weights=[1, 2, 3])[0] for _ in range(40)]
    assert draws(11, 40, {"weighted": True}) == expected


def test_weighted_random_explains_the_chosen_reps_own_weight_and_chance() -> None:
    team = [rep(1, weight=1), rep(2, weight=3)]
    reasons = {
        choice.rep_id: choice.reason
        for seed in range(20)
        for choice in [choose("random", team, options={"weighted": True}, seed=seed)]
    }
    assert reasons == {
        1: "weighted random draw: weight 1 of 4 (25%)",
        2: "weighted random draw: weight 3 of 4 (75%)",
    }


def test_value_balanced_says_when_a_tie_was_broken() -> None:
    team = [rep(1, open_value="500", last_assigned_at=T0), rep(2, open_value="500")]
    choice = choose("value_balanced", team)
    assert choice.rep_id == 2
    assert (
        choice.reason == "value balanced: 500.00 open expected value, waiting longest among equals"
    )


@pytest.mark.parametrize("name", ["round_robin", "weighted_round_robin", "value_balanced"])
def test_strategies_without_options_refuse_any_option_by_name(name: str) -> None:
    assert validate_options(name, {"step": 2}) == [
        "step: unknown option (this strategy takes: none)"
    ]


def test_weighted_round_robin_ignores_saved_credits_that_are_not_whole_numbers() -> None:
    team = [rep(1), rep(2)]
    state = {"current": {"1": "lots", "2": True, "3": 1.5}}
    choice = choose("weighted_round_robin", team, state=state)
    assert choice.scores == {1: 1.0, 2: 1.0}
    assert choice.new_state == {"current": {"1": -1, "2": 1}}


def test_best_match_ignores_a_language_that_is_not_text() -> None:
    customer = Customer(name="c", custom={"language": 5})
    choice = choose("best_match", [rep(1, skills={"languages": ["5"]}), rep(2)], customer=customer)
    assert choice.scores == {1: 0.0, 2: 0.0}


def test_best_match_gives_no_seniority_score_for_a_level_without_a_target() -> None:
    team = [rep(1, seniority=1), rep(2, seniority=100)]
    vip = choose("best_match", team, customer=Customer(name="c", level="VIP"))
    assert vip.scores == {1: 0.0, 2: 0.0}
    assert vip.reason == "best match 0: load 0%"
    odd = choose("best_match", team, customer=Customer(name="c", level="A"),
                 options={"seniority_targets": {"A": "high"}})  # fmt: skip
    assert odd.scores == {1: 0.0, 2: 0.0}


def test_best_match_uses_its_defaults_when_weight_or_target_options_are_not_objects() -> None:
    team = [rep(1, seniority=90, skills={"industries": ["Retail"]}), rep(2, seniority=10)]
    customer = Customer(name="c", industry="Retail", level="A")
    bad = {"weights": [3, 2], "seniority_targets": "high"}
    assert choose("best_match", team, customer=customer, options=bad) == choose(
        "best_match", team, customer=customer
    )


def test_option_bounds_are_inclusive() -> None:
    assert validate_options("least_loaded", {"default_capacity": 1}) == []
    assert validate_options("best_match", {"weights": {"load": 0}}) == []
    assert validate_options("best_match", {"seniority_targets": {"A": 1, "D": 100}}) == []


def test_a_default_capacity_of_one_is_honoured_and_zero_falls_back_to_100() -> None:
    team = [rep(1, open_count=1), rep(2, open_count=5, max_open=10)]
    one = choose("least_loaded", team, options={"default_capacity": 1})
    assert one.rep_id == 2
    assert one.scores == {1: 0.0, 2: 0.5}
    zero = choose("least_loaded", team, options={"default_capacity": 0})
    assert zero == choose("least_loaded", team)
    assert zero.scores[1] == 0.99


def test_an_unknown_strategy_lists_the_known_ones_comma_separated() -> None:
    with pytest.raises(ValueError) as raised:
        get_strategy("fastest")
    assert str(raised.value) == (
        "unknown strategy 'fastest' (known: round_robin, weighted_round_robin, least_loaded, "
        "random, value_balanced, best_match, predicted_conversion, batch_optimal)"
    )


def test_best_match_seniority_fit_is_one_at_the_target_and_falls_by_a_99th_per_step() -> None:
    team = [rep(1, seniority=67), rep(2, seniority=1)]
    choice = choose("best_match", team, customer=Customer(name="c", level="B"))
    assert choice.scores == {1: 1.0, 2: round(1 - 66 / 99, 6)}
    assert choice.reason == "best match 1: seniority 67 for level B (fit 1.00), load 0%"


def test_best_match_shows_its_score_to_two_decimals() -> None:
    choice = choose("best_match", [rep(1, skills={"industries": ["Retail"]})],
                    customer=Customer(name="c", industry="Retail"),
                    options={"weights": {"industry": 1.234}})  # fmt: skip
    assert choice.reason == "best match 1.23: industry Retail ✓, load 0%"


def test_best_match_never_shows_a_negative_zero() -> None:
    team = [rep(1, open_count=1)]  # 1% of the default capacity
    customer = Customer(name="c")
    barely = choose("best_match", team, customer=customer, options={"weights": {"load": 1e-7}})
    assert json.dumps(barely.scores) == '{"1": 0.0}'  # -1e-9 rounds to 0, not -0
    small = choose("best_match", team, customer=customer, options={"weights": {"load": 0.1}})
    assert small.reason == "best match 0: load 1%"  # -0.001 shows as 0, not -0


def test_best_match_treats_scores_equal_to_six_decimals_as_a_tie() -> None:
    waited = rep(1, open_count=1)  # never assigned; load costs it 2e-7
    served_lately = rep(2, last_assigned_at=T0)
    options = {"weights": {"load": 2e-5}}
    choice = choose("best_match", [waited, served_lately], customer=Customer(name="c"),
                    options=options)  # fmt: skip
    assert choice.rep_id == 1
    assert choice.scores == {1: 0.0, 2: 0.0}


def test_a_rep_with_max_open_zero_counts_as_more_than_full() -> None:
    team = [rep(1, max_open=0), rep(2, open_count=9, max_open=10)]
    choice = choose("least_loaded", team)
    assert choice.rep_id == 2
    assert choice.scores == {1: 0.0, 2: 0.1}


def test_least_loaded_uses_a_max_open_of_one_as_is() -> None:
    team = [rep(1, max_open=1), rep(2, open_count=1, max_open=10)]
    choice = choose("least_loaded", team)
    assert choice.rep_id == 1
    assert choice.scores == {1: 1.0, 2: 0.9}
