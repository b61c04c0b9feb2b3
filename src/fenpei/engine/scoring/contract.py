"""What a scoring model offers the rest of fenpei, whatever its algorithm.

A model is built from its stored ``params`` (``loading.load_model``) and never changes
afterwards; every method is pure. ``Contribution`` is one reason for a score, as data the
pages and the CLI put in words ("industry = retail raises the odds ×1.4").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from fenpei.domain.customers import Customer
from fenpei.engine.items import WorkItem


@dataclass(frozen=True)
class Contribution:
    """One part of a score. ``feature``: what it is about ("industry", "rep × industry",
    "prior"); ``value``: the customer's value of it ("retail"); ``effect``: what it adds
    on the model's own scale (log-odds for learned models, points for a scorecard)."""

    feature: str
    value: str
    effect: float
    figures: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Example:
    """One customer of the history: who owned it (if anyone) and whether it was won.
    ``at``: when the outcome became known (a time split trains on the earlier ones)."""

    customer: Customer
    won: bool
    at: datetime
    rep_id: int | None = None
    team_id: int | None = None
    value: float | None = None  # what it was worth when won


class CustomerScorer(Protocol):
    """p(win | customer): how likely the customer is to be won, whoever works it."""

    @property
    def algorithm(self) -> str: ...

    def p_win(self, customer: WorkItem) -> float: ...

    def factors(self, customer: WorkItem, top: int = 3) -> Sequence[Contribution]:
        """The ``top`` contributions that moved this customer's score most, largest first."""
        ...


class Affinity(Protocol):
    """p(win | customer, rep): how likely each rep is to win this customer. A rep the model
    has never seen gets their team's or everyone's estimate (cold start), never an error."""

    @property
    def algorithm(self) -> str: ...

    def p_win(self, customer: WorkItem, rep_ids: Sequence[int]) -> Mapping[int, float]: ...

    def factors(self, customer: WorkItem, rep_id: int, top: int = 3) -> Sequence[Contribution]: ...


class Scorecard(Protocol):
    """Rule-based points (打分卡): the sum of the points of every line the customer meets."""

    @property
    def algorithm(self) -> str: ...

    def points(self, customer: Customer) -> float: ...

    def factors(self, customer: Customer, top: int = 3) -> Sequence[Contribution]: ...
