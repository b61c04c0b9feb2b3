"""Assignment records (分配记录): immutable, one per change of ownership."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class AssignMethod(StrEnum):
    rule = "rule"
    manual = "manual"
    bulk = "bulk"
    claim = "claim"
    return_ = "return"
    reclaim = "reclaim"
    transfer = "transfer"
    import_ = "import"
    move = "move"  # from one pool to another by a manager or admin (nobody owns it)
    reroute = "reroute"  # dynamic re-routing (动态分配): a rule's trigger fired on a change
    sync = "sync"  # the CRM of record changed the owner (CRM sync); never pushed back


@dataclass(eq=False)
class Assignment:
    """Customer moved ``from_rep_id`` → ``to_rep_id`` (None = to the pool). Never updated."""

    customer_id: int
    method: AssignMethod
    at: datetime
    from_rep_id: int | None = None
    to_rep_id: int | None = None
    rule_id: int | None = None
    strategy: str | None = None
    reason: str | None = None
    explanation: dict[str, Any] = field(default_factory=dict)
    actor: str = "system"
    capacity_override: bool = False
    idempotency_key: str | None = None
    # The experiment arm when the rule runs a randomised holdout (domain.scoring.Arm).
    arm: str | None = None
    id: int | None = None
