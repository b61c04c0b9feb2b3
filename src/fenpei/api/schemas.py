"""What the API reads and returns, named by intent. Domain objects are not API schemas."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    field_validator,
)

from fenpei.domain.assignments import AssignMethod
from fenpei.domain.customers import Stage
from fenpei.engine.model import Outcome

# Ids are 32-bit integers in the database: a larger number can name nothing.
MAX_ID = 2**31 - 1
MAX_OFFSET = 2**31 - 1


def _empty_as_none(value: object) -> object:
    """An HTML form sends ``stage=`` for "any"; treat an empty parameter as absent."""
    return None if isinstance(value, str) and not value.strip() else value


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value.strip()


EmptyIsNone = BeforeValidator(_empty_as_none)
FilterText = Annotated[str, Field(max_length=200), AfterValidator(_no_nul)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
CustomerSort = Literal[
    "created_at",
    "-created_at",
    "updated_at",
    "-updated_at",
    "name",
    "-name",
    "expected_value",
    "-expected_value",
    "score",
    "-score",
    "stage",
    "-stage",
    "level",
    "-level",
    "id",
    "-id",
]


class FieldErrorRead(BaseModel):
    field: str = Field(description="Path of the value at fault, e.g. `limit` or `rows[3].email`.")
    message: str


class ErrorRead(BaseModel):
    """Every error the API returns has this shape."""

    code: str = Field(description="Stable machine-readable code, e.g. `validation_failed`.")
    message: str
    errors: list[FieldErrorRead] = Field(default_factory=list)


class CustomerFilters(BaseModel):
    """Query parameters of the customer list; an empty parameter means "any"."""

    q: Annotated[FilterText | None, EmptyIsNone] = Field(
        None, description="Text in name, company, email, phone or external id."
    )
    owner_id: Annotated[Id | None, EmptyIsNone] = None
    unowned: Annotated[bool, EmptyIsNone] = Field(False, description="Only customers in the pool.")
    team_id: Annotated[Id | None, EmptyIsNone] = None
    stage: Annotated[Stage | None, EmptyIsNone] = None
    level: Annotated[FilterText | None, EmptyIsNone] = None
    region: Annotated[FilterText | None, EmptyIsNone] = None
    industry: Annotated[FilterText | None, EmptyIsNone] = None
    source: Annotated[FilterText | None, EmptyIsNone] = None
    created_from: Annotated[datetime | None, EmptyIsNone] = Field(
        None, description="Created at or after; without a zone, in the configured time zone."
    )
    created_to: Annotated[datetime | None, EmptyIsNone] = Field(
        None, description="Created before (exclusive); without a zone, in the configured one."
    )
    sort: Annotated[CustomerSort, EmptyIsNone] = Field(
        "-created_at", description="A field, `-` first for descending."
    )
    offset: Annotated[int, EmptyIsNone] = Field(0, ge=0, le=MAX_OFFSET)
    limit: Annotated[int, EmptyIsNone] = Field(50, ge=1, le=500)


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
    score: float | None
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
    closed_at: datetime | None


class CustomerPage(BaseModel):
    items: list[CustomerRead]
    total: int = Field(description="How many customers match the filters, on all pages.")
    offset: int
    limit: int


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
    time_zone: str


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    database: Literal["ok", "unreachable"]


# --- rules and routing ------------------------------------------------------------------------

_RULE_EXAMPLE: dict[str, Any] = {
    "name": "East A-level → East team",
    "priority": 10,
    "conditions": {
        "all": [
            {"field": "region", "op": "eq", "value": "East"},
            {"field": "level", "op": "in", "value": ["A", "B"]},
        ]
    },
    "target": {"kind": "team", "team_id": 1},
    "strategy": "round_robin",
    "fallback": "next_rule",
}
# Keys a rule can hold but whose value can never be null (window and fallback_pool can).
_NOT_NULL = ("name", "priority", "conditions", "target", "strategy", "strategy_options",
             "fallback", "required_skills", "enabled")  # fmt: skip


def _not_null(value: object) -> object:
    if value is None:
        raise ValueError("must not be null; leave the key out to keep the current value")
    return value


class RuleCreate(BaseModel):
    """A new rule. ``conditions``, ``target``, ``window`` are JSON objects the service checks,
    naming every bad part by its path (``conditions.all[0].field``)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_RULE_EXAMPLE]})

    name: str = Field(max_length=1000)
    priority: StrictInt = Field(100, description="Lower is tried first; the default rule is last.")
    conditions: dict[str, Any] = Field(
        default_factory=dict, description="A condition tree; `{}` matches every customer."
    )
    target: dict[str, Any] = Field(
        description="Who may receive: `{kind: reps|team|skill|account_owner|pool|queue, …}`."
    )
    strategy: str = "round_robin"
    strategy_options: dict[str, Any] = Field(default_factory=dict)
    fallback: str = Field("next_rule", description="`next_rule`, `team_pool` or `queue`.")
    fallback_pool: str | None = None
    required_skills: list[str] = Field(default_factory=list)
    window: dict[str, Any] | None = Field(
        None, description="When the rule applies: time zone, dates, weekdays, hours."
    )
    enabled: bool = True


class RuleUpdate(BaseModel):
    """A change to a rule: only the keys given change; the result is the next version."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"priority": 20}, {"strategy": "least_loaded"}]},
    )

    name: str | None = Field(None, max_length=1000)
    priority: StrictInt | None = None
    conditions: dict[str, Any] | None = None
    target: dict[str, Any] | None = None
    strategy: str | None = None
    strategy_options: dict[str, Any] | None = None
    fallback: str | None = None
    fallback_pool: str | None = None
    required_skills: list[str] | None = None
    window: dict[str, Any] | None = None
    enabled: bool | None = None

    _no_nulls = field_validator(*_NOT_NULL, mode="before")(_not_null)


class RuleRead(_Read):
    id: int
    name: str
    priority: int
    conditions: dict[str, Any]
    conditions_text: str | None = Field(
        None, description="The conditions in words, e.g. `region = 'East' and level = 'A'`."
    )
    target: dict[str, Any]
    strategy: str
    strategy_options: dict[str, Any]
    fallback: str
    fallback_pool: str | None
    required_skills: list[str]
    window: dict[str, Any] | None
    enabled: bool
    is_default: bool
    version: int
    created_at: datetime | None
    updated_at: datetime | None


class RuleVersionRead(_Read):
    """A rule's full content as saved at one version."""

    rule_id: int
    version: int
    snapshot: dict[str, Any]
    actor: str
    at: datetime


class RuleReorder(BaseModel):
    """Rules in the order to try them; they get priorities 10, 20, 30 …"""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"rule_ids": [3, 1, 2]}]}
    )

    rule_ids: list[Id] = Field(max_length=10_000)


_CUSTOMER_EXAMPLE: dict[str, Any] = {
    "name": "Wang Fang 王芳",
    "company_name": "Acme 上海",
    "email": "wang.fang@acme.example",
    "region": "East",
    "level": "A",
}


class RulePreview(BaseModel):
    """A customer's fields, as for a new customer; nothing is stored."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [_CUSTOMER_EXAMPLE]})


class RuleTraceRead(BaseModel):
    rule_id: int
    rule_name: str
    result: str = Field(
        description="`matched`, `no_match`, `disabled`, `outside_window` or `no_eligible_rep`."
    )
    failed_condition: str | None


class CandidateRead(BaseModel):
    rep_id: int
    rep_name: str
    score: float


class ExclusionRead(BaseModel):
    rep_id: int
    rep_name: str
    reason: str


class DecisionRead(BaseModel):
    """Where routing placed (or would place) a customer, and the whole story of why."""

    outcome: Outcome
    reason: str
    rep_id: int | None
    rule_id: int | None
    rule_name: str | None
    strategy: str | None
    pool: str | None
    trace: list[RuleTraceRead]
    rules_skipped: int = Field(description="Rules the index proved could not match.")
    candidates: list[CandidateRead]
    exclusions: list[ExclusionRead]
    state_before: dict[str, Any]
    state_after: dict[str, Any]
    text: str = Field(description="The decision in one plain sentence.")


class LeadCreate(BaseModel):
    """A new lead: a customer's fields, stored and routed at once (``route: false`` to skip)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={"examples": [_CUSTOMER_EXAMPLE, {**_CUSTOMER_EXAMPLE, "route": False}]},
    )

    route: bool = Field(True, description="Route it now; false leaves it unowned.")


class LeadCustomerRead(_Read):
    id: int
    name: str
    owner_id: int | None
    owner_name: str | None = None
    pool: str | None
    queue_reason: str | None


class LeadRead(BaseModel):
    customer: LeadCustomerRead
    decision: DecisionRead | None = Field(description="Null when the lead was not routed.")


# --- customer writes, manual assignments, audit -------------------------------------------------


class CustomerCreate(BaseModel):
    """A new customer's fields; the service names every bad or unknown one."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [_CUSTOMER_EXAMPLE]})


class CustomerUpdate(BaseModel):
    """Only the fields given change; the owner changes through an assignment, not here."""

    model_config = ConfigDict(
        extra="allow", json_schema_extra={"examples": [{"stage": "contacted", "level": "B"}]}
    )


class CustomerCreated(BaseModel):
    customer: CustomerRead
    decision: DecisionRead | None = Field(description="Null when the customer was not routed.")


Reason = Annotated[str | None, Field(max_length=1000)]


class AssignmentCreate(BaseModel):
    """Give a customer to a rep by hand; a reason is due when it already has an owner."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"customer_id": 1, "rep_id": 2, "reason": "key account"}]},
    )

    customer_id: Id
    rep_id: Id
    reason: Reason = None
    override_capacity: bool = Field(False, description="Admins only: assign above capacity.")


class BulkAssignmentCreate(BaseModel):
    """Give many customers to one rep, or spread them evenly over several; all or nothing."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"customer_ids": [1, 2, 3], "rep_ids": [4, 5]}]},
    )

    customer_ids: list[Id] = Field(min_length=1, max_length=10_000)
    rep_ids: list[Id] = Field(min_length=1, max_length=1_000)
    reason: Reason = None
    override_capacity: bool = Field(False, description="Admins only: assign above capacity.")


class AuditEntryRead(_Read):
    """Who changed what, when: the object as it was before and after."""

    id: int
    actor: str
    action: str
    object_type: str
    object_id: str
    before: dict[str, Any]
    after: dict[str, Any]
    at: datetime
