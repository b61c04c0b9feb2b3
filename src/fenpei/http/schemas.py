"""The read schemas both doors show: the API returns them, the pages render them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from fenpei.domain.assignments import AssignMethod
from fenpei.domain.customers import Stage


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class CustomerRead(_Read):
    id: int
    external_id: str | None
    name: str
    company_id: int | None
    company_name: str | None
    phone: str | None
    email: str | None
    wechat: str | None
    country: str | None
    province: str | None
    city: str | None
    region: str | None
    industry: str | None
    employees: int | None
    revenue: Decimal | None
    level: str | None
    customer_type: str | None
    source: str | None
    product_interest: str | None
    expected_value: Decimal | None
    stage: Stage
    tags: list[str]
    custom: dict[str, Any]
    score: float | None = Field(description="评分: the active scorecard's points.")
    win_probability: float | None = Field(
        default=None, description="成交概率: the active learned model's p(win), 0..1."
    )
    grade: str | None = Field(default=None, description="等级 A/B/C/D by the grade settings.")
    scored_at: datetime | None = Field(default=None, description="When last scored.")
    owner_id: int | None = Field(
        description="The rep who owns it (负责人); null while in the pool."
    )
    owner_name: str | None = None
    team_id: int | None
    team_name: str | None = None
    created_at: datetime
    updated_at: datetime
    assigned_at: datetime | None
    last_follow_up_at: datetime | None
    next_follow_up_at: datetime | None = Field(
        default=None, description="When to follow up next (the latest follow-up's plan)."
    )
    closed_at: datetime | None
    key_account: bool = Field(default=False, description="A key account (重点客户).")


class AssignmentRead(_Read):
    """One change of ownership (分配记录); ``to_rep_id`` null means "to the pool"."""

    id: int
    customer_id: int
    method: AssignMethod
    from_rep_id: int | None
    from_rep_name: str | None = None
    to_rep_id: int | None
    to_rep_name: str | None = None
    rule_id: int | None
    strategy: str | None
    reason: str | None
    actor: str
    at: datetime
    capacity_override: bool
    explanation: dict[str, Any]
    arm: str | None = Field(
        None, description="`smart` or `holdout` when the rule runs a randomised holdout."
    )


class TeamRead(_Read):
    id: int
    name: str
    parent_id: int | None
    manager_name: str | None
    region: str | None
    created_at: datetime | None


class RepRead(_Read):
    id: int
    name: str
    email: str | None
    team_id: int | None
    team_name: str | None = None
    active: bool
    away: bool
    skills: dict[str, list[str]]
    tags: list[str]
    seniority: int
    weight: int
    max_open: int | None
    max_per_day: int | None
    max_per_week: int | None
    max_per_month: int | None
    task_capacity: float | None = Field(
        None,
        description="Hours of open tasks the rep may hold (each task without an "
        "estimate weighs 1); null: no limit. Apart from customer capacity.",
    )
    time_zone: str
