"""Request and response shapes of the pool (公海) endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from fenpei.domain.pools import MAX_CAP, MAX_COOLDOWN_DAYS, ReclaimAction, ReclaimRule
from fenpei.domain.reclaim import MAX_LEVEL_CODE, MAX_RECLAIM_DAYS
from fenpei.http.fields import Id
from fenpei.http.schemas import AssignmentRead, CustomerRead

Cap = Field(default=None, ge=0, le=MAX_CAP)
Days = Field(default=None, ge=0, le=MAX_RECLAIM_DAYS)
LevelCode = Annotated[str, StringConstraints(min_length=1, max_length=MAX_LEVEL_CODE)]
LevelDays = dict[LevelCode, dict[ReclaimRule, Annotated[int, Field(ge=1, le=MAX_RECLAIM_DAYS)]]]


class PoolRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str = Field(description="`public`, `team:<id>`, or a name a rule gave.")
    name: str
    team_id: int | None = Field(description="Only this team's reps see and claim; null: all.")
    daily_claim_cap: int | None = Field(description="Claims per rep per local day; null: no cap.")
    max_owned: int | None = Field(description="A rep holding this many may not claim more.")
    count_won: bool = Field(description="Whether won customers count toward `max_owned`.")
    cooldown_days: int = Field(description="Days before a rep may re-claim one they gave up.")
    mask_contacts: bool = Field(description="Phone, email, WeChat hidden from reps until claimed.")
    protection_days: int = Field(
        default=0, description="Days an owner keeps a customer from this pool protected (保护期)."
    )
    reclaim_enabled: bool = Field(default=False, description="Reclaim (回收) runs for it.")
    no_follow_up_days: int | None = Field(
        default=None, description="Reclaim after this many days without a follow-up."
    )
    not_won_days: int | None = Field(default=None, description="… not won within this many.")
    stuck_days: int | None = Field(default=None, description="… this many days in one stage.")
    level_days: LevelDays = Field(
        default_factory=dict, description='Per customer level: {"A": {"no_follow_up": 30}}.'
    )
    warn_days: int = Field(default=0, description="Warn the owner this many days before.")
    exempt_key_accounts: bool = Field(default=True, description="Key accounts are not reclaimed.")
    exempt_won: bool = Field(default=True, description="Won customers are not reclaimed.")
    reclaim_action: ReclaimAction = Field(
        default=ReclaimAction.pool, description="`pool`, or `reroute`: the pool, then routing."
    )
    max_key_accounts: int | None = Field(default=None, description="Key accounts a rep may hold.")
    configured: bool = Field(
        default=False, description="False: nobody set terms; these are the defaults."
    )


class PoolTerms(BaseModel):
    """The terms to set; fields left out keep their value."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    team_id: Id | None = None
    daily_claim_cap: int | None = Cap
    max_owned: int | None = Cap
    count_won: bool | None = None
    cooldown_days: int | None = Field(default=None, ge=0, le=MAX_COOLDOWN_DAYS)
    mask_contacts: bool | None = None
    protection_days: int | None = Field(default=None, ge=0, le=MAX_COOLDOWN_DAYS)
    reclaim_enabled: bool | None = None
    no_follow_up_days: int | None = Days
    not_won_days: int | None = Days
    stuck_days: int | None = Days
    level_days: LevelDays | None = Field(default=None, max_length=50)
    warn_days: int | None = Days
    exempt_key_accounts: bool | None = None
    exempt_won: bool | None = None
    reclaim_action: ReclaimAction | None = None
    max_key_accounts: int | None = Cap


class PoolCustomersRead(BaseModel):
    pool: PoolRead
    total: int
    masked: bool = Field(description="Contacts are masked for you in this list.")
    customers: list[CustomerRead]


class ClaimCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"customer_id": 42, "rep_id": 7}]}
    )

    customer_id: Id
    rep_id: Id | None = Field(
        default=None,
        description="An admin or manager pushes the customer to this rep (in their scope); "
        "a rep leaves it out (or names themself) to claim.",
    )


class ReturnCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: Id
    reason: str = Field(min_length=1, max_length=100, description="A `return_reason` code.")
    note: str | None = Field(default=None, max_length=890)


class ReclaimPlanItemRead(BaseModel):
    """A customer that would be reclaimed now, and why."""

    model_config = ConfigDict(from_attributes=True)

    customer_id: int
    name: str
    owner_id: int
    pool: str
    rule: ReclaimRule
    level: str | None
    days: int
    since: datetime = Field(description="When the rule's clock started.")
    due: datetime
    action: ReclaimAction
    reason: str = Field(description="Why, in words.")


class ReclaimRunRead(BaseModel):
    warned: int
    reclaimed: dict[str, int] = Field(description="Per pool.")
    rerouted: dict[str, int] = Field(description="Routing outcomes of the rerouted.")
    summary: str


class KeyAccountUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key_account: bool = Field(description="Mark (true) or unmark a key account (重点客户).")


class PoolMove(BaseModel):
    """Customers waiting in this pool to move to another (managers in scope, admins)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"customer_ids": [4, 5], "to_pool": "team:2"}]},
    )

    customer_ids: list[Id] = Field(min_length=1, max_length=500)
    to_pool: str = Field(min_length=1, max_length=100, description="The key of the pool.")
    reason: str | None = Field(default=None, max_length=1000)


class PoolPush(BaseModel):
    """Customers waiting in this pool to push to one rep (分配给…; managers in scope, admins)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"customer_ids": [4, 5], "rep_id": 7}]},
    )

    customer_ids: list[Id] = Field(min_length=1, max_length=500)
    rep_id: Id = Field(description="The rep (in your scope) who takes them.")


class PoolPushRead(BaseModel):
    """What a push did: one assignment record per customer."""

    pushed: list[AssignmentRead]
