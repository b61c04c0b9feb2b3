"""What the API reads and returns, named by intent. Domain objects are not API schemas."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from fenpei.domain.assignments import AssignMethod
from fenpei.domain.customers import Stage

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
