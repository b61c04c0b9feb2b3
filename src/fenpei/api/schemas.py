"""What the API reads and returns, named by intent. Domain objects are not API schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    field_validator,
)

from fenpei.domain.customers import Stage
from fenpei.domain.due import DueKind
from fenpei.domain.limits import MAX_NESTING
from fenpei.domain.rules import (
    MAX_CONDITION_VALUES,
    MAX_REORDERED,
    MAX_REQUIRED_SKILLS,
    MAX_RULE_NUMBER,
    MAX_SKILL_NAME,
    MAX_TARGET_REPS,
)
from fenpei.engine.conditions import MAX_LEAVES
from fenpei.engine.model import Outcome
from fenpei.http.fields import DATE_RANGE, MAX_OFFSET, BoundedDateTime, EmptyIsNone, FilterText, Id
from fenpei.http.schemas import CustomerRead
from fenpei.services.assignments import MAX_BULK_CUSTOMERS, MAX_SPREAD_REPS

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
    "due",
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
    created_from: Annotated[BoundedDateTime | None, EmptyIsNone] = Field(
        None,
        description=f"Created at or after; without a zone, in the configured time zone; "
        f"{DATE_RANGE}.",
    )
    created_to: Annotated[BoundedDateTime | None, EmptyIsNone] = Field(
        None,
        description=f"Created before (exclusive); without a zone, in the configured one; "
        f"{DATE_RANGE}.",
    )
    sort: Annotated[CustomerSort, EmptyIsNone] = Field(
        "-created_at",
        description="A field, `-` first for descending; `due`: what is due soonest first (the "
        "earliest of the next follow-up, the running SLA clock and the reclaim; overdue "
        "first, nothing due last).",
    )
    offset: Annotated[int, EmptyIsNone] = Field(0, ge=0, le=MAX_OFFSET)
    limit: Annotated[int, EmptyIsNone] = Field(50, ge=1, le=500)


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class DueItemRead(BaseModel):
    """One thing due on an owned customer (到期事项)."""

    kind: DueKind = Field(
        description="first_contact / next_contact (its SLA clock), follow_up (the planned "
        "next follow-up) or reclaim (when its pool's terms take it back)."
    )
    at: datetime
    overdue: bool = Field(description="Due at or before the moment of the request.")


class CustomerListItem(CustomerRead):
    due: list[DueItemRead] = Field(
        default_factory=list,
        description="What is due on it, earliest first (none while nobody owns it); "
        "sort=due orders the list by the first.",
    )


class CustomerPage(BaseModel):
    items: list[CustomerListItem]
    total: int = Field(description="How many customers match the filters, on all pages.")
    offset: int
    limit: int


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


_CONDITIONS = (
    "A condition tree; `{}` matches every customer. At most "
    f"{MAX_NESTING} levels of objects and arrays and {MAX_LEAVES} field tests; an `in` / "
    f"`not_in` list holds at most {MAX_CONDITION_VALUES} values; numbers are finite and at "
    f"most 10^{len(str(MAX_RULE_NUMBER)) - 1} either way."
)
Priority = Annotated[
    StrictInt, Field(ge=0, le=1_000_000, description="Lower is tried first; the default is last.")
]
SkillName = Annotated[str, Field(max_length=MAX_SKILL_NAME)]
RequiredSkills = Annotated[
    list[SkillName],
    Field(
        max_length=MAX_REQUIRED_SKILLS,
        description=f"Skills (`industries:retail`) or tags every candidate must have; at most "
        f"{MAX_REQUIRED_SKILLS}, each at most {MAX_SKILL_NAME} characters.",
    ),
]


class RuleTarget(BaseModel):
    """Who may receive; the service checks the keys each ``kind`` needs and names the rest."""

    model_config = ConfigDict(extra="allow")

    kind: str = Field(
        description="`reps`, `team`, `skill`, `account_owner`, `pool`, `queue`, or (task rules) "
        "`customer_owner`: the owner of the task's customer."
    )
    rep_ids: list[StrictInt] | None = Field(
        None,
        max_length=MAX_TARGET_REPS,
        description=f"`reps`: the reps, at most {MAX_TARGET_REPS}.",
    )
    team_id: StrictInt | None = Field(None, description="`team`: the team.")
    include_subteams: StrictBool | None = Field(None, description="`team`: its sub-teams too.")
    skill: str | None = Field(None, max_length=200, description="`skill`: a skill or a tag.")
    pool: str | None = Field(None, max_length=100, description="`pool`: the pool's name.")
    match_on: list[str] | None = Field(
        None, max_length=3, description="`account_owner`: company, email_domain, phone."
    )


_HOLDOUT = (
    'A randomised holdout (对照组), or null: `{"share": 0.2, "strategy": "round_robin", '
    '"options": {}}` routes that share (above 0, at most 0.5) of the customers the rule '
    "places by the baseline `strategy` (not the rule's own), chosen at random; each "
    "assignment records its arm (`smart` or `holdout`). See `GET /reports/holdout`."
)
_REROUTE = (
    'Dynamic re-routing (动态分配), or null: `{"when": <conditions>, "min_days": 7}`. '
    "When a change to a customer this rule matches makes `when` true (it was false before), "
    "the customer is routed again through the rule: at most once per `min_days` days, "
    "never away from an owner inside their protection period, recorded as method `reroute`."
)


class RuleCreate(BaseModel):
    """A new rule. ``conditions``, ``target``, ``window`` are JSON objects the service checks,
    naming every bad part by its path (``conditions.all[0].field``)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_RULE_EXAMPLE]})

    name: str = Field(max_length=1000)
    subject: str = Field(
        "customer",
        max_length=20,
        description="What the rule routes: `customer` or `task` (fixed once created). Task "
        "rules test `task.*` fields (`task.priority`, `task.urgency`, `task.effort_hours` …) "
        "and the task's customer's fields under their usual names.",
    )
    priority: Priority = 100
    conditions: dict[str, Any] = Field(default_factory=dict, description=_CONDITIONS)
    target: RuleTarget
    strategy: str = "round_robin"
    strategy_options: dict[str, Any] = Field(default_factory=dict)
    fallback: str = Field("next_rule", description="`next_rule`, `team_pool` or `queue`.")
    fallback_pool: str | None = None
    required_skills: RequiredSkills = Field(default_factory=list)
    window: dict[str, Any] | None = Field(
        None,
        description=f"When the rule applies: time zone, dates ({DATE_RANGE}), weekdays, hours.",
    )
    enabled: bool = True
    holdout: dict[str, Any] | None = Field(None, description=_HOLDOUT)
    reroute: dict[str, Any] | None = Field(None, description=_REROUTE)


class RuleUpdate(BaseModel):
    """A change to a rule: only the keys given change; the result is the next version."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"priority": 20}, {"strategy": "least_loaded"}]},
    )

    name: str | None = Field(None, max_length=1000)
    priority: Priority | None = None
    conditions: dict[str, Any] | None = Field(None, description=_CONDITIONS)
    target: RuleTarget | None = None
    strategy: str | None = None
    strategy_options: dict[str, Any] | None = None
    fallback: str | None = None
    fallback_pool: str | None = None
    required_skills: RequiredSkills | None = None
    window: dict[str, Any] | None = None
    enabled: bool | None = None
    holdout: dict[str, Any] | None = Field(None, description=_HOLDOUT + " null removes it.")
    reroute: dict[str, Any] | None = Field(None, description=_REROUTE + " null removes it.")

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
    holdout: dict[str, Any] | None = Field(None, description=_HOLDOUT)
    reroute: dict[str, Any] | None = Field(None, description=_REROUTE)
    is_default: bool
    subject: str = Field(description="`customer` or `task`.")
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

    rule_ids: list[Id] = Field(
        max_length=MAX_REORDERED, description=f"At most {MAX_REORDERED} rules."
    )


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


class TaskRulePreview(BaseModel):
    """A task as it would be created (every key optional); nothing is stored. Task rules
    read its ``task.*`` fields and the fields of its customer, ``customer_id``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"priority": "urgent", "effort_hours": 2,
                                          "customer_id": 1}]},
    )  # fmt: skip

    title: FilterText | None = None
    kind: FilterText | None = Field(None, description="A `task_type` code.")
    category: FilterText | None = Field(None, description="A `task_category` code.")
    priority: FilterText | None = Field(None, description="`urgent`, `high`, `medium` or `low`.")
    urgency: StrictInt | None = Field(None, description="1 (can wait) to 5 (now).")
    effort_hours: float | None = Field(None, description="Estimated hours, more than 0.")
    origin: FilterText | None = Field(None, description="`manual`, `follow_up`, `api` …")
    start_at: BoundedDateTime | None = None
    due_at: BoundedDateTime | None = None
    customer_id: Id | None = None


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
    candidates: list[CandidateRead] = Field(
        description="The best-scored eligible reps, at most ten, highest first."
    )
    more_candidates: int = Field(0, description="Eligible reps scored below those, counted.")
    exclusions: list[ExclusionRead]
    state_before: dict[str, Any]
    state_after: dict[str, Any]
    text: str = Field(description="The decision in one plain sentence.")
    arm: str | None = Field(
        None, description="`smart` or `holdout` when the rule runs a randomised holdout."
    )


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

    customer_ids: list[Id] = Field(
        min_length=1,
        max_length=MAX_BULK_CUSTOMERS,
        description=f"The customers, at most {MAX_BULK_CUSTOMERS:,} in one request.",
    )
    rep_ids: list[Id] = Field(
        min_length=1,
        max_length=MAX_SPREAD_REPS,
        description=f"One rep, or up to {MAX_SPREAD_REPS} to spread the customers over.",
    )
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
