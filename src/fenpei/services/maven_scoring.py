"""The demo's scorecard (打分卡) for the Maven data: points for size, revenue, a high-ticket
product, a sector that buys and the home market — graded A/B/C/D by the default thresholds
(80 / 60 / 40), so the customer list and the rules have grades to show and test."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fenpei.domain.scoring import ScoreModel
from fenpei.domain.users import Actor
from fenpei.services.ports import UnitOfWork
from fenpei.services.scoring.models import activate, save_scorecard

_LINES: list[dict[str, Any]] = [
    {"label": "5,000+ staff", "points": 30,
     "conditions": {"field": "employees", "op": "gte", "value": 5000}},
    {"label": "1,000-4,999 staff", "points": 15,
     "conditions": {"all": [{"field": "employees", "op": "gte", "value": 1000},
                            {"field": "employees", "op": "lt", "value": 5000}]}},
    {"label": "revenue of $1B or more", "points": 25,
     "conditions": {"field": "revenue", "op": "gte", "value": 1_000_000_000}},
    {"label": "a high-ticket product", "points": 20,
     "conditions": {"field": "product_interest", "op": "in",
                    "value": ["GTK 500", "GTX Pro", "MG Advanced", "GTX Plus Pro"]}},
    {"label": "a sector that buys", "points": 15,
     "conditions": {"field": "industry", "op": "in",
                    "value": ["technology", "software", "medical", "finance"]}},
    {"label": "United States", "points": 10,
     "conditions": {"field": "country", "op": "eq", "value": "United States"}},
]  # fmt: skip


def create_maven_scorecard(*, uow: UnitOfWork, actor: Actor, now: datetime) -> ScoreModel:
    """Save the demo scorecard as a version and make it the active one."""
    card, _ = save_scorecard(uow=uow, actor=actor, name="Maven demo scorecard",
                             lines=_LINES, now=now)  # fmt: skip
    assert card.id is not None
    return activate(uow=uow, actor=actor, model_id=card.id, now=now)
