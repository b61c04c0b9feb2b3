"""Strategies (分配策略): how a rule picks one rep among the eligible ones.

Each strategy is a module with one class; registering it is one line in ``STRATEGIES``.
A strategy is pure and deterministic given its arguments: randomness comes only from
``rng``, memory only from ``state`` (which it returns, updated, as ``Choice.new_state``:
JSON-ready, str keys, and still valid when reps join, leave or are ineligible next time).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from random import Random
from types import MappingProxyType
from typing import Any, Protocol

from fenpei.engine.items import WorkItem
from fenpei.engine.model import Choice, RepState
from fenpei.engine.scoring.contract import Affinity
from fenpei.engine.strategies._common import default_capacity
from fenpei.engine.strategies.batch_optimal import BatchOptimal
from fenpei.engine.strategies.best_match import BestMatch
from fenpei.engine.strategies.least_loaded import LeastLoaded
from fenpei.engine.strategies.predicted_conversion import PredictedConversion
from fenpei.engine.strategies.random_pick import RandomPick
from fenpei.engine.strategies.round_robin import RoundRobin
from fenpei.engine.strategies.value_balanced import ValueBalanced
from fenpei.engine.strategies.weighted_round_robin import WeightedRoundRobin


class Strategy(Protocol):
    name: str
    # Whether the choice depends on the candidates' loads (not only on who is eligible):
    # a single decision then reads the loads again under its rule's lock.
    weighs_load: bool

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
        """Pick one of ``candidates`` (non-empty, by rep id), scoring every one of them.
        ``affinity``: the active learned p(win | customer, rep), for the strategies that
        route on it (None when no model is active: they fall back as they document)."""
        ...

    def option_problems(self, options: Mapping[str, Any]) -> list[str]:
        """What is wrong with ``options`` for this strategy; empty when they are fine."""
        ...


STRATEGIES: Mapping[str, Strategy] = MappingProxyType(
    {
        strategy.name: strategy
        for strategy in (
            RoundRobin(),
            WeightedRoundRobin(),
            LeastLoaded(),
            RandomPick(),
            ValueBalanced(),
            BestMatch(),
            PredictedConversion(),
            BatchOptimal(),
        )
    }
)


def get_strategy(name: str) -> Strategy:
    """The strategy called ``name``; a ValueError naming the known ones if there is none."""
    try:
        return STRATEGIES[name]
    except KeyError:
        known = ", ".join(STRATEGIES)
        raise ValueError(f"unknown strategy {name!r} (known: {known})") from None


def validate_options(name: str, options: Mapping[str, Any]) -> list[str]:
    """Problems with a rule's strategy and its options, each naming the option at fault."""
    if name not in STRATEGIES:
        return [f"strategy: unknown {name!r} (known: {', '.join(STRATEGIES)})"]
    if not isinstance(options, Mapping):
        return [f"strategy_options: must be an object, got {options!r}"]
    return STRATEGIES[name].option_problems(options)


# The strategies that weigh a rep's open customers as a share of capacity: a rep without
# max_open is measured against the rule's default capacity (value_balanced weighs money,
# not capacity; the others weigh no load at all).
MEASURES_CAPACITY = frozenset(
    {"least_loaded", "best_match", "predicted_conversion", "batch_optimal"}
)


def measured_capacity(name: str, options: Mapping[str, Any]) -> int | None:
    """The capacity a rule using strategy ``name`` measures a rep without max_open
    against (its ``default_capacity``, 100 unless set), or None if it measures none."""
    return default_capacity(options) if name in MEASURES_CAPACITY else None


__all__ = [
    "MEASURES_CAPACITY",
    "STRATEGIES",
    "Strategy",
    "get_strategy",
    "measured_capacity",
    "validate_options",
]
