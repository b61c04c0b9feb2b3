"""``route_optimal``: a batch's batch_optimal customers placed together within every
capacity, the rest routed as ever, the left-over falling back as their rule says."""

from __future__ import annotations

import gc
from decimal import Decimal
from random import Random

import pytest

from fenpei.domain.customers import Customer
from fenpei.engine.batch_routing import route_optimal
from fenpei.engine.bulk import route_many
from fenpei.engine.explain import explain
from fenpei.engine.model import Fallback, Outcome, Target, TargetKind
from tests.unit._affinity import FixedAffinity
from tests.unit.test_router import EAST, NOW, context, rep, reps_target, rule

ALICE = rep(1, "Alice", max_open=1)
BOB = rep(2, "Bob", max_open=5)
CAROL = rep(3, "Carol", max_open=5)
A, B = Customer(name="A", region="East"), Customer(name="B", region="East")
# Alice is the best for both; she wins A far more often than Bob would.
P = FixedAffinity({("A", 1): 0.9, ("A", 2): 0.2, ("B", 1): 0.41, ("B", 2): 0.38})


def _optimal(**options: object) -> object:
    return rule(
        1,
        "Smart",
        target=reps_target(1, 2),
        strategy="batch_optimal",
        strategy_options=dict(options),
    )


def test_the_batch_gives_the_full_rep_to_whom_she_gains_most_and_says_why() -> None:
    ctx = context([_optimal()], (ALICE, BOB), affinity=P)

    b, a = route_optimal([B, A], ctx, now=NOW, rng=Random(0))

    assert (a.rep_id, b.rep_id) == (1, 2)  # one at a time, B (first) would take Alice
    assert a.reason_params == {"p": 0.9, "why": "best", "rep": "Alice"}
    assert b.reason_code == "batch_optimal" and b.strategy == "batch_optimal"
    assert b.reason_params["why"] == "full"
    assert (b.reason_params["best_rep"], b.reason_params["best_p"]) == ("Alice", 0.41)
    assert "Alice (p 0.41) was full in this batch; Bob (p 0.38)" in explain(b)
    assert [c.rep_name for c in b.candidates] == ["Alice", "Bob"]
    sequential = route_many([B, A], ctx, now=NOW, rng=Random(0))
    assert [d.rep_id for d in sequential] == [1, 2]  # what the batch improves on


def test_the_max_per_rep_bound_is_kept_and_said() -> None:
    customers = [Customer(name=f"C{i}", region="East") for i in range(4)]
    p = FixedAffinity(of=lambda c, r: 0.5 if r == 3 else 0.3)
    smart = rule(
        1, target=reps_target(2, 3), strategy="batch_optimal", strategy_options={"max_per_rep": 2}
    )

    made = route_optimal(
        customers, context([smart], (BOB, CAROL), affinity=p), now=NOW, rng=Random(0)
    )

    assert sorted(d.rep_id for d in made) == [2, 2, 3, 3]  # type: ignore[type-var]
    assert {d.reason_params["why"] for d in made if d.rep_id == 2} == {"bound"}


def test_customers_nobody_has_room_for_fall_back_as_the_rule_says() -> None:
    lone = rep(1, "Alice", max_open=1)
    customers = [Customer(name=n, region="East") for n in ("A", "B", "C")]
    to_pool = rule(
        1,
        target=reps_target(1),
        strategy="batch_optimal",
        fallback=Fallback.team_pool,
        fallback_pool="vip",
    )
    onward = rule(1, target=reps_target(1), strategy="batch_optimal")
    catch = rule(2, "Catch", target=reps_target(3), strategy="round_robin")

    pooled = route_optimal(
        customers, context([to_pool], (lone,), affinity=P), now=NOW, rng=Random(0)
    )
    moved = route_optimal(
        customers, context([onward, catch], (lone, CAROL), affinity=P), now=NOW, rng=Random(0)
    )

    assert [d.outcome for d in pooled].count(Outcome.assigned) == 1
    left = [d for d in pooled if d.outcome is Outcome.pool]
    assert len(left) == 2 and {d.pool for d in left} == {"vip"}
    assert left[0].reason_params["why"] == "batch_full"
    assert "every eligible rep is full in this batch" in left[0].reason
    assert sorted(d.rep_id for d in moved) == [1, 3, 3]  # type: ignore[type-var]
    passed_on = next(d for d in moved if d.rep_id == 3)
    assert [t.result for t in passed_on.trace] == ["no_eligible_rep", "matched"]


def test_other_rules_route_as_ever_after_the_batch_took_its_share() -> None:
    # Alice has room for 2: the batch rule takes one, round robin may use the other.
    alice = rep(1, "Alice", max_open=2)
    smart = rule(1, conditions=EAST, target=reps_target(1, 2), strategy="batch_optimal")
    plain = rule(2, target=reps_target(1), strategy="round_robin")
    west = [Customer(name=f"W{i}", region="West") for i in range(2)]

    made = route_optimal(
        [*west, A], context([smart, plain], (alice, BOB), affinity=P), now=NOW, rng=Random(0)
    )

    assert made[2].rep_id == 1 and made[2].strategy == "batch_optimal"
    assert made[0].rep_id == 1 and made[0].strategy == "round_robin"
    assert made[1].outcome is Outcome.queued  # Alice is full: nobody left for it


def test_no_model_no_optimisation_the_batch_routes_as_least_loaded() -> None:
    made = route_optimal([A, B], context([_optimal()], (ALICE, BOB)), now=NOW, rng=Random(0))

    assert [d.reason_code for d in made] == ["predicted_conversion.no_model"] * 2


def test_a_team_target_with_a_vectorised_model_is_asked_once() -> None:
    class Matrix(FixedAffinity):
        def p_dense(self, customers, rep_ids):  # type: ignore[no-untyped-def]
            self.calls += 1
            return [[0.1 * (r % 3) for r in rep_ids] for _ in customers]

    team = [rep(i, f"R{i}", team_id=7, max_open=2) for i in range(1, 7)]
    smart = rule(1, target=Target(TargetKind.team, team_id=7), strategy="batch_optimal")
    matrix = Matrix()
    customers = [Customer(name=f"C{i}", region="East") for i in range(12)]

    made = route_optimal(customers, context([smart], team, affinity=matrix), now=NOW, rng=Random(0))

    assert matrix.calls == 1
    taken = [d.rep_id for d in made]
    assert all(taken.count(r) == 2 for r in range(1, 7))  # everyone full, nobody above


def test_weighing_value_gives_the_best_rep_the_customer_worth_most() -> None:
    rich = Customer(name="Rich", region="East", expected_value=Decimal(100))
    small = Customer(name="Small", region="East", expected_value=Decimal(1))
    p = FixedAffinity({("Rich", 1): 0.5, ("Rich", 2): 0.4, ("Small", 1): 0.9, ("Small", 2): 0.1})

    def alice_gets(**options: object) -> str:
        ctx = context([_optimal(**options)], (ALICE, BOB), affinity=p)
        made = route_optimal([rich, small], ctx, now=NOW, rng=Random(0))
        return next(c.name for c, d in zip((rich, small), made, strict=True) if d.rep_id == 1)

    assert alice_gets() == "Small"  # 0.9 + 0.4 expected wins beat 0.5 + 0.1
    assert alice_gets(weigh_value=True) == "Rich"  # 50 + 0.1 won value beat 0.9 + 40


def test_the_cycle_collector_is_left_as_it_was_found_even_when_a_batch_fails() -> None:
    ctx = context([_optimal()], (ALICE, BOB), affinity=P)

    class Broken(FixedAffinity):
        def p_win(self, customer, rep_ids):  # type: ignore[no-untyped-def]
            raise RuntimeError("model gone")

    try:
        assert gc.isenabled()
        route_optimal([A, B], ctx, now=NOW, rng=Random(0))
        assert gc.isenabled()
        with pytest.raises(RuntimeError):
            route_optimal([A, B], context([_optimal()], (ALICE, BOB), affinity=Broken({})),
                          now=NOW, rng=Random(0))  # fmt: skip
        assert gc.isenabled()
        gc.disable()
        route_optimal([A, B], ctx, now=NOW, rng=Random(0))
        assert not gc.isenabled()  # off before: left off
    finally:
        gc.enable()
