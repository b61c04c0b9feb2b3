"""What the customer page and list show of a customer's score: the grade, the points, the
probability and why, in the page's words (``_scoring_words``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from fenpei.domain.customers import Customer
from fenpei.domain.users import Actor
from fenpei.services.ports import UnitOfWork
from fenpei.services.scoring import models
from fenpei.web._scoring_words import Number, factor_words, line_words, probability
from fenpei.web.i18n import Translate


def customer_scoring(
    uow: UnitOfWork, actor: Actor, customer_id: int, t: Translate, n: Number, now: datetime
) -> dict[str, Any]:
    """The customer page's scoring card: the values, and every reason in words."""
    why = models.explain(uow=uow, actor=actor, customer_id=customer_id, now=now)
    c = why.customer
    return {
        "scoring": {
            "score": c.score,
            "probability": probability(n, c.win_probability),
            "grade": c.grade,
            "scored_at": c.scored_at,
            "lines": [line_words(t, n, p) for p in why.lines],
            "factors": [factor_words(t, n, p) for p in why.factors],
            "scorecard": why.scorecard,
            "model": why.model,
        }
    }


def list_scoring(
    uow: UnitOfWork, customers: Sequence[Customer], t: Translate, n: Number, now: datetime
) -> dict[str, Any]:
    """The list's score column: each customer's top two reasons in words, by id."""
    reasons = models.top_reasons(uow=uow, customers=customers, now=now, top=2)
    words = {
        customer_id: [
            line_words(t, n, p) if p.figures.get("line") is not None else factor_words(t, n, p)
            for p in parts
        ]
        for customer_id, parts in reasons.items()
    }
    return {
        "score_why": words,
        "probabilities": {c.id: probability(n, c.win_probability) for c in customers},
    }
