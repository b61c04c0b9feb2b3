"""Predicted conversion (预测成交): the rep most likely to win the customer, less their load.

p(win | customer, rep) comes from the active affinity model (``scoring.contract.Affinity``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from random import Random
from typing import Any

from fenpei.domain.phrases import Phrase
from fenpei.engine.items import WorkItem
from fenpei.engine.model import Choice, RepState
from fenpei.engine.scoring.contract import Affinity
from fenpei.engine.strategies._common import (
    default_capacity_problems,
    is_number,
    load,
    load_params,
    pick_lowest,
    unknown_options,
)
from fenpei.engine.strategies.least_loaded import LeastLoaded

DEFAULT_LOAD_WEIGHT = 0.1  # λ: a full rep costs 0.1 of probability against an empty one
OPTIONS = ("load_weight", "weigh_value", "default_capacity")


def load_weight(options: Mapping[str, Any]) -> float:
    """``options["load_weight"]`` (λ) if valid, else the default (validation reports it)."""
    value = options.get("load_weight", DEFAULT_LOAD_WEIGHT)
    return float(value) if is_number(value) and value >= 0 else DEFAULT_LOAD_WEIGHT


def customer_value(customer: WorkItem, options: Mapping[str, Any]) -> float:
    """What winning the customer is worth in the score: its expected value when the rule
    weighs value and the customer has one, else 1 (a win is a win)."""
    if options.get("weigh_value") is not True:
        return 1.0
    value = getattr(customer, "expected_value", None)
    return float(value) if isinstance(value, Decimal | int | float) and value > 0 else 1.0


def p_win_score(p: float, share: float, value: float, weight: float) -> float:
    """The score: value × (p − λ × load share), rounded so float noise decides nothing."""
    return round(value * (p - weight * share), 9) + 0.0


def option_problems(options: Mapping[str, Any], allowed: Sequence[str]) -> list[str]:
    """Problems with the options the strategies on p(win) share."""
    problems = unknown_options(options, allowed) + default_capacity_problems(options)
    if "load_weight" in options:
        value = options["load_weight"]
        if not is_number(value) or not 0 <= value <= 10:
            text = "load_weight: must be a number between 0 and 10, got {got!r}"
            problems.append(Phrase("optimal.load_weight", text, got=value))
    if "weigh_value" in options and not isinstance(options["weigh_value"], bool):
        text = "weigh_value: must be true or false, got {got!r}"
        problems.append(Phrase("optimal.weigh_value", text, got=options["weigh_value"]))
    return problems


def without_model(
    candidates: Sequence[RepState],
    *,
    customer: WorkItem,
    state: Mapping[str, Any],
    options: Mapping[str, Any],
    rng: Random,
    code: str,
) -> Choice:
    """With no affinity model active: least loaded's choice, saying so."""
    plain = {k: v for k, v in options.items() if k == "default_capacity"}
    chosen = LeastLoaded().choose(
        candidates, customer=customer, state=state, options=plain, rng=rng
    )
    return Choice(
        rep_id=chosen.rep_id,
        scores=chosen.scores,
        reason=f"no prediction model is active; {chosen.reason}",
        code=f"{code}.no_model",
        params=chosen.params,
    )


class PredictedConversion:
    """Scores each eligible rep value × (p − λ × load), where p is the active affinity
    model's p(win | customer, rep), load the share of capacity in use (as least loaded
    measures it) and λ ``options["load_weight"]`` (0.1 unless set: a full rep needs a p
    0.1 higher than an empty one's). With ``weigh_value`` the customer's expected value
    scales every score (its expected won value): one customer's choice is the same, a
    batch's trades between customers change. Equal scores go to the rep waiting longest.
    With no model active it chooses as least loaded does and says so.

    Score: that number, e.g. 0.41 − 0.1 × 30% = 0.38.
    """

    name = "predicted_conversion"
    weighs_load = True

    def choose(
        self,
        candidates: Sequence[RepState],
        *,
        customer: WorkItem,
        state: Mapping[str, Any],
        options: Mapping[str, Any],
        rng: Random,
        affinity: Affinity | None = None,
    ) -> Choice:
        if affinity is None:
            return without_model(
                candidates,
                customer=customer,
                state=state,
                options=options,
                rng=rng,
                code="predicted_conversion",  # batch_optimal's single choice says the same
            )
        return choose_on_p(candidates, customer=customer, options=options, affinity=affinity)

    def option_problems(self, options: Mapping[str, Any]) -> list[str]:
        return option_problems(options, OPTIONS)


def choose_on_p(
    candidates: Sequence[RepState],
    *,
    customer: WorkItem,
    options: Mapping[str, Any],
    affinity: Affinity,
    code: str = "predicted_conversion",
) -> Choice:
    """The argmax of value × (p − λ × load) over ``candidates``, explained."""
    weight, value = load_weight(options), customer_value(customer, options)
    p = affinity.p_win(customer, [c.id for c in candidates])
    shares = {c.id: float(load(c, options)) for c in candidates}
    scores = {
        c.id: p_win_score(float(p.get(c.id, 0.0)), shares[c.id], value, weight) for c in candidates
    }
    chosen, tied = pick_lowest(candidates, {rep_id: -s for rep_id, s in scores.items()})
    chosen_p = float(p.get(chosen.id, 0.0))
    best_p_id = max(candidates, key=lambda c: (float(p.get(c.id, 0.0)), -c.id)).id
    params: dict[str, Any] = {
        "p": chosen_p,
        "load_weight": weight,
        "load": load_params(chosen, options),
        "score": scores[chosen.id],
        "tie": tied,
    }
    if value != 1.0:
        params["value"] = value
    if best_p_id != chosen.id:  # the load term outweighed a higher p: say whose
        params["best_rep_id"] = best_p_id
        params["best_p"] = float(p.get(best_p_id, 0.0))
        params["best_load"] = shares[best_p_id]
    return Choice(
        rep_id=chosen.id,
        scores=scores,
        reason=(
            f"predicted conversion: p(win) {chosen_p:.2f} − {weight:g} × load "
            f"{shares[chosen.id]:.0%} = {scores[chosen.id]:.3f}"
        ),
        code=code,
        params=params,
    )
