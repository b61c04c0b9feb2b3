"""What the org and category endpoints read and return: teams, reps, leave, categories.

Bodies forbid unknown keys and bound every string and number, so no input reaches the
database it cannot hold; the services check the rest and name the field at fault.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt

from fenpei.domain.org import MAX_LABEL_LENGTH, MAX_SKILLS_PER_KIND, MAX_SPANS_PER_DAY, MAX_TAGS
from fenpei.http.fields import BoundedDateTime, Id
from fenpei.http.schemas import RepRead, TeamRead


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


NoNul = AfterValidator(_no_nul)
Name = Annotated[str, Field(max_length=200), NoNul]
ShortText = Annotated[str, Field(max_length=100), NoNul]
Code = Annotated[str, Field(min_length=1, max_length=100), NoNul]
Limit = Annotated[StrictInt, Field(ge=0, le=1_000_000)] | None
OneToHundred = Annotated[StrictInt, Field(ge=1, le=100)]
SkillKind = Literal["industries", "products", "languages", "regions"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Span = Annotated[list[Annotated[str, Field(max_length=5)]], Field(min_length=2, max_length=2)]
Label = Annotated[str, Field(max_length=MAX_LABEL_LENGTH), NoNul]


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- teams -------------------------------------------------------------------------------------


class TeamCreate(BaseModel):
    """A new team; ``manager_user_id`` names a user with the manager role, who then sees
    and manages the reps of this team and of every team below it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"name": "Shanghai 上海", "parent_id": 1, "manager_user_id": 2}]
        },
    )

    name: Name
    parent_id: Id | None = None
    manager_user_id: Id | None = None
    manager_name: Name | None = Field(
        None, description="Shown as the manager; defaults to the manager user's name."
    )
    region: ShortText | None = None


class TeamUpdate(BaseModel):
    """Only the keys given change; ``parent_id: null`` makes it a top-level team."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"parent_id": 3}, {"manager_user_id": 5}]},
    )

    name: Name | None = None
    parent_id: Id | None = None
    manager_user_id: Id | None = None
    manager_name: Name | None = None
    region: ShortText | None = None


class TeamDetailRead(TeamRead):
    """A team with its manager user, its reps and its direct sub-teams."""

    manager_user_id: int | None
    reps: list[RepRead]
    sub_teams: list[TeamRead]


# --- reps --------------------------------------------------------------------------------------


class _RepFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Annotated[str, Field(max_length=254), NoNul] | None = None
    team_id: Id | None = None
    skills: (
        dict[SkillKind, Annotated[list[Label], Field(max_length=MAX_SKILLS_PER_KIND)]] | None
    ) = Field(
        None,
        description=f"Skills by kind; at most {MAX_SKILLS_PER_KIND} a kind, each at most "
        f"{MAX_LABEL_LENGTH} characters.",
    )
    tags: Annotated[list[Label], Field(max_length=MAX_TAGS)] | None = Field(
        None, description=f"At most {MAX_TAGS} tags, each at most {MAX_LABEL_LENGTH} characters."
    )
    max_open: Limit = None
    max_per_day: Limit = None
    max_per_week: Limit = None
    max_per_month: Limit = None
    task_capacity: float | None = Field(
        None,
        ge=0,
        le=10_000,
        allow_inf_nan=False,
        description="Hours of open tasks the rep may hold (a task without an estimate "
        "weighs 1); null for no limit. Separate from the customer limits.",
    )
    time_zone: ShortText | None = Field(None, description="An IANA zone, e.g. `Asia/Shanghai`.")
    working_hours: (
        dict[Weekday, Annotated[list[Span], Field(max_length=MAX_SPANS_PER_DAY)]] | None
    ) = Field(None, description='`{"mon": [["09:00", "18:00"]], …}`; a day left out is a day off.')


class RepCreate(_RepFields):
    """A new rep (销售人员); limits left out or null mean no limit."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Wang Fang 王芳",
                    "email": "wang.fang@example.com",
                    "team_id": 1,
                    "max_open": 30,
                    "max_per_day": 5,
                    "skills": {"industries": ["retail"], "languages": ["zh", "en"]},
                    "working_hours": {"mon": [["09:00", "18:00"]]},
                }
            ]
        }
    )

    name: Name
    active: StrictBool = True
    away: StrictBool = False
    seniority: OneToHundred = 1
    weight: OneToHundred = 1


class RepUpdate(_RepFields):
    """Only the keys given change. A manager may change only availability (``away``,
    ``active``), capacity, skills, weight and working hours; a rep only their own ``away``."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"away": True}, {"max_open": 40, "weight": 2}]}
    )

    name: Name | None = None
    active: StrictBool | None = None
    away: StrictBool | None = None
    seniority: OneToHundred | None = None
    weight: OneToHundred | None = None


class RepLoadRead(BaseModel):
    """What a rep holds now and has received in their current local day, week (from Monday)
    and month, against their limits."""

    open_customers: int
    max_open: int | None
    received_day: int = Field(description="Customers received today (the rep's local day).")
    max_per_day: int | None
    received_week: int = Field(description="Received this week (from Monday, rep's zone).")
    max_per_week: int | None
    received_month: int = Field(description="Received this calendar month (rep's zone).")
    max_per_month: int | None
    full: str | None = Field(description="Why one more customer would not fit, or null.")


class RepDetailRead(RepRead):
    user_id: int | None
    working_hours: dict[str, Any]
    created_at: datetime | None
    updated_at: datetime | None
    load: RepLoadRead | None = Field(
        None, description="Null when the rep is outside your data scope."
    )


class LeaveCreate(BaseModel):
    """A period the rep is away (休假); times need a zone, a half day is a shorter period."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "starts_at": "2026-12-01T09:00:00+08:00",
                    "ends_at": "2026-12-03T18:00:00+08:00",
                    "note": "年假",
                }
            ]
        },
    )

    starts_at: BoundedDateTime
    ends_at: BoundedDateTime
    note: Annotated[str, Field(max_length=500), NoNul] | None = None


class LeaveRead(_Read):
    id: int
    rep_id: int
    starts_at: datetime
    ends_at: datetime
    note: str | None


# --- categories --------------------------------------------------------------------------------


class CategoryValueRead(BaseModel):
    code: str = Field(description="What customers store.")
    label: str = Field(description="What people see; renaming changes only this.")
    position: int
    retired: bool
    merged_into: str | None = Field(description="The code it was merged into, if it was.")
    usable: bool = Field(description="Offered for new input: neither retired nor merged.")
    customers: int = Field(description="Live customers holding this value.")


class CategoryRead(BaseModel):
    """A dimension (分类) such as level or region, with its values in order."""

    key: str
    name: str
    strict: bool = Field(description="Customers may hold only listed values.")
    values: list[CategoryValueRead]


class CategoryValueCreate(BaseModel):
    """A new value at the end of the list; the label defaults to the code."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"code": "S", "label": "Strategic"}]}
    )

    code: Code
    label: ShortText | None = None


class CategoryValueUpdate(BaseModel):
    """A new label; customers keep the code, so nothing else moves."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"label": "Gold / 金牌"}]}
    )

    label: ShortText


class CategoryMerge(BaseModel):
    """The value whose customers move to ``into``; it is then retired."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"into": "B"}]})

    into: Code


class CarriedRuleRead(BaseModel):
    rule_id: int
    name: str
    version: int = Field(description="The rule's new version, which tests the target value.")


class CategoryMergeRead(BaseModel):
    value: CategoryValueRead
    moved: int = Field(description="Customers moved to the target value.")
    rules: list[CarriedRuleRead] = Field(
        default_factory=list,
        description="Rules that tested the merged value, carried to the target as new versions.",
    )
