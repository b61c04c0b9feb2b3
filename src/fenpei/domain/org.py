"""The sales org: teams (团队, a tree) and reps (销售人员) with skills and capacity."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any


@dataclass(eq=False)
class Team:
    """A group of reps with a manager; ``parent_id`` makes teams a tree."""

    name: str
    id: int | None = None
    parent_id: int | None = None
    manager_name: str | None = None
    manager_user_id: int | None = None
    region: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class Capacity:
    """A rep's limits (负荷上限); None means unlimited. Per day / week / month count the
    customers received in the rep's current local day, week (from Monday) and month."""

    max_open: int | None = None
    max_per_day: int | None = None
    max_per_week: int | None = None
    max_per_month: int | None = None


SKILL_KINDS = ("industries", "products", "languages", "regions")
# Bounds on a rep's lists (services._org_fields enforces them, the API schemas document them).
MAX_TAGS = 50  # tags
MAX_SKILLS_PER_KIND = 50  # values under each of SKILL_KINDS
MAX_LABEL_LENGTH = 100  # one tag or skill
MAX_SPANS_PER_DAY = 24  # working-hours spans in one day


@dataclass(eq=False)
class Rep:
    """A salesperson who can own customers."""

    name: str
    id: int | None = None
    user_id: int | None = None
    email: str | None = None
    team_id: int | None = None
    active: bool = True
    away: bool = False
    skills: dict[str, list[str]] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    seniority: int = 1
    weight: int = 1
    max_open: int | None = None
    max_per_day: int | None = None
    max_per_week: int | None = None
    max_per_month: int | None = None
    # Task capacity (任务容量): the open tasks a rep may hold, each weighing its estimated
    # hours, or 1 when none is set (domain/tasks.py); None: no limit. Apart from customers.
    task_capacity: Decimal | None = None
    time_zone: str = "Asia/Shanghai"
    working_hours: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def capacity(self) -> Capacity:
        return Capacity(self.max_open, self.max_per_day, self.max_per_week, self.max_per_month)


@dataclass(eq=False)
class Leave:
    """A period a rep is away (休假); partial days are just shorter periods."""

    rep_id: int
    starts_at: datetime
    ends_at: datetime
    id: int | None = None
    note: str | None = None

    def covers(self, moment: datetime) -> bool:
        return self.starts_at <= moment < self.ends_at
