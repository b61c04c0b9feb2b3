"""Assignment rules (分配规则) as stored: conditions, target, strategy, fallback; versioned."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

DEFAULT_RULE_NAME = "Default: public pool / 默认：公海"
PUBLIC_POOL = "public"

# The bounds a new or changed rule meets, whichever door it comes through (API, the rule
# editor, ``fenpei rules add``); services._rule_validation enforces them, the API schemas
# document them. Depth, text and list size in general: ``domain.limits``.
MAX_TARGET_REPS = 1_000  # target.rep_ids
MAX_REQUIRED_SKILLS = 50  # required_skills ...
MAX_SKILL_NAME = 100  # ... each at most this long
MAX_CONDITION_VALUES = 1_000  # the values of one ``in`` / ``not_in`` test (the engine's)
MAX_REORDERED = 1_000  # rule ids in one reorder
# Any number in conditions, target, strategy options or window: finite and at most this
# large either way (money is at most 10^14, so every real value fits).
MAX_RULE_NUMBER = 10**15


class RuleSubject(StrEnum):
    """What a rule routes: the same language, targets and strategies serve both."""

    customer = "customer"
    task = "task"


@dataclass(eq=False)
class Rule:
    """A routing rule. ``target``, ``window`` and ``conditions`` are validated JSON objects;
    ``version`` grows with every saved change (see ``RuleVersion``)."""

    name: str
    priority: int
    conditions: dict[str, Any] = field(default_factory=dict)
    target: dict[str, Any] = field(default_factory=dict)
    strategy: str = "round_robin"
    strategy_options: dict[str, Any] = field(default_factory=dict)
    fallback: str = "next_rule"
    fallback_pool: str | None = None
    required_skills: list[str] = field(default_factory=list)
    window: dict[str, Any] | None = None
    enabled: bool = True
    is_default: bool = False
    subject: str = "customer"  # what the rule routes: RuleSubject
    # A randomised holdout: {"share": 0.1, "strategy": "round_robin", "options": {}} routes
    # that share of the rule's customers by the baseline strategy instead (engine.model).
    holdout: dict[str, Any] | None = None
    # Dynamic re-routing (动态分配): {"when": <conditions>, "min_days": 7} routes a customer
    # the rule matches again when a change makes ``when`` true (services.routing_reroute).
    reroute: dict[str, Any] | None = None
    version: int = 1
    id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    deleted_at: datetime | None = None


@dataclass(eq=False)
class RuleVersion:
    """The full content of a rule as saved at one version, kept for history and restore."""

    rule_id: int
    version: int
    snapshot: dict[str, Any]
    actor: str
    at: datetime
    # Why a version was saved when no person typed it, as data the pages translate:
    # {"kind": "category_merge", "category": "industry", "code": "retail", "into": "commerce"}.
    note: dict[str, Any] | None = None
    id: int | None = None


@dataclass(eq=False)
class RoutingState:
    """A strategy's memory for one rule (e.g. the round-robin cursor); survives restarts."""

    rule_id: int
    state: dict[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None
