"""Request and response shapes of redistributing a pool (batch optimal)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from fenpei.http.fields import Id


class RedistributionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rule_id: Id = Field(description="The rule whose target, skills and capacity apply.")
    dry_run: bool = Field(default=True, description="Say what would happen; change nothing.")


class RedistributionLine(BaseModel):
    rep_id: int
    rep_name: str
    customers: int = Field(description="Customers this rep gets (would get, a dry run).")


class RedistributionDecision(BaseModel):
    customer_id: int
    outcome: str = Field(description="`assigned`, or `pool`: stays in the pool.")
    rep_id: int | None
    reason: str
    reason_code: str
    reason_params: dict[str, Any]


class RedistributionRead(BaseModel):
    pool: str
    rule_id: int
    rule_name: str
    dry_run: bool
    considered: int = Field(description="Customers waiting in the pool, all solved together.")
    staying: int = Field(description="Customers nobody had room for: they stay in the pool.")
    expected_wins: float | None = Field(
        description="Sum of p(win) of the customers placed; null with no affinity model active."
    )
    reps: list[RedistributionLine]
    decisions: list[RedistributionDecision] = Field(description="The first 50, explained.")
