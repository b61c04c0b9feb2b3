"""A rule's randomised holdout: a share of its decisions, drawn from the decision's RNG,
are routed by the baseline strategy and say so; each arm keeps its own strategy state."""

from __future__ import annotations

from collections import Counter
from random import Random
from typing import Any

from fenpei.domain.scoring import Arm
from fenpei.engine.explain import decision_json, explain
from fenpei.engine.model import Holdout
from fenpei.engine.router import route
from tests.unit.test_router import LEAD, NOW, context, reps_target, rule


def _run(share: float, decisions: int, seed: int = 7) -> tuple[list[Any], dict[str, Any]]:
    smart = rule(1, "Smart", target=reps_target(1, 2, 3), strategy="least_loaded",
                 holdout=Holdout(share=share, strategy="round_robin"))  # fmt: skip
    state: dict[str, Any] = {}
    rng = Random(seed)
    made = []
    for _ in range(decisions):
        decision = route(LEAD, context([smart], states={1: state}), now=NOW, rng=rng)
        state = decision.state_after
        made.append(decision)
    return made, state


def test_the_holdout_share_is_routed_by_the_baseline_and_recorded_as_such() -> None:
    made, _ = _run(0.3, 2000)
    arms = Counter(d.arm for d in made)
    by_arm = {arm: {d.strategy for d in made if d.arm == arm} for arm in arms}

    assert set(arms) == {Arm.holdout, Arm.smart}
    assert 0.26 < arms[Arm.holdout] / len(made) < 0.34  # 2000 draws: ±4 points is > 4 sd
    assert by_arm == {Arm.holdout: {"round_robin"}, Arm.smart: {"least_loaded"}}
    held = next(d for d in made if d.arm == Arm.holdout)
    assert decision_json(held)["arm"] == "holdout"
    assert explain(held).endswith("experiment arm: holdout")


def test_the_baseline_keeps_its_own_turn_beside_the_rules_state() -> None:
    made, state = _run(0.5, 60)
    holdout_reps = [d.rep_id for d in made if d.arm == Arm.holdout]

    # Round robin in the holdout arm turns through the reps as if alone.
    assert holdout_reps[:6] == [1, 2, 3, 1, 2, 3]
    assert state[Arm.holdout.value]["last_rep_id"] == holdout_reps[-1]


def test_no_holdout_no_arm_and_the_same_random_draws() -> None:
    plain = rule(1, "Plain", target=reps_target(1, 2, 3), strategy="random")
    decisions = [route(LEAD, context([plain]), now=NOW, rng=Random(3)) for _ in range(2)]

    assert {d.arm for d in decisions} == {None}
    assert "arm" not in decision_json(decisions[0])
    assert decisions[0].rep_id == decisions[1].rep_id
