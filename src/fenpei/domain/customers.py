"""Customers (客户 / 线索): the people and companies fenpei assigns."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from fenpei.domain import limits
from fenpei.domain.contacts import email_problem, phone_problem, wechat_problem
from fenpei.domain.duplicates import company_key, email_key, phone_key
from fenpei.domain.errors import FieldError, ValidationFailed
from fenpei.domain.phrases import Phrase, message_of, required, too_long


class Stage(StrEnum):
    """The lifecycle of a customer: new → contacted → qualified (意向) → won / lost."""

    new = "new"
    contacted = "contacted"
    qualified = "qualified"
    won = "won"
    lost = "lost"

    @property
    def is_open(self) -> bool:
        return self not in (Stage.won, Stage.lost)


OPEN_STAGES = tuple(s for s in Stage if s.is_open)


@dataclass(eq=False)
class Customer:
    """A customer or lead; ``owner_id`` is None while nobody owns it (queue or pool)."""

    name: str
    # Normalised contact keys for the duplicate check (查重): derived, never set by hand —
    # every write path (create, update, each import) builds or changes a Customer, and
    # setting phone / email / company_name sets its key (``__setattr__``). Declared before
    # those fields, so the generated __init__ sets them first and the sources then win.
    phone_key: str | None = None
    email_key: str | None = None
    company_key: str | None = None
    id: int | None = None
    external_id: str | None = None
    company_id: int | None = None
    company_name: str | None = None
    phone: str | None = None
    email: str | None = None
    wechat: str | None = None
    country: str | None = None
    province: str | None = None
    city: str | None = None
    region: str | None = None
    industry: str | None = None
    employees: int | None = None
    revenue: Decimal | None = None
    level: str | None = None
    customer_type: str | None = None
    source: str | None = None
    product_interest: str | None = None
    expected_value: Decimal | None = None
    stage: Stage = Stage.new
    tags: list[str] = field(default_factory=list)
    custom: dict[str, Any] = field(default_factory=dict)
    score: float | None = None  # 评分: the active scorecard's points (or set by hand)
    win_probability: float | None = None  # 成交概率: the active learned model's p(win), 0..1
    grade: str | None = None  # 等级 A/B/C/D from score or probability (ScoringSettings)
    scored_at: datetime | None = None  # when a model last wrote score / probability / grade
    rerouted_at: datetime | None = None  # the last dynamic re-routing (动态分配), for its limit
    owner_id: int | None = None
    team_id: int | None = None
    pool: str | None = None  # the pool (公海) it waits in while nobody owns it
    queue_reason: str | None = None  # why routing could not place it yet (retried later)
    queued_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    assigned_at: datetime | None = None
    last_follow_up_at: datetime | None = None
    next_follow_up_at: datetime | None = None  # the latest follow-up's "next follow-up" time
    stage_changed_at: datetime | None = None  # when ``stage`` last changed ("stuck in a stage")
    key_account: bool = False  # 重点客户 / locked: exempt from reclaim, held under its own cap
    reclaim_warned_at: datetime | None = None  # the reclaim warning sent for this ownership
    closed_at: datetime | None = None
    deleted_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return Stage(self.stage).is_open

    def __setattr__(self, name: str, value: object) -> None:
        # Rows loaded by the database fill __dict__ directly (their stored keys stand);
        # every write through the object keeps the key of the field it changes.
        object.__setattr__(self, name, value)
        keyed = _KEYED.get(name)
        if keyed is not None:
            object.__setattr__(self, keyed[0], keyed[1](value if isinstance(value, str) else None))


_KEYED: Mapping[str, tuple[str, Callable[[str | None], str | None]]] = {
    "phone": ("phone_key", phone_key),
    "email": ("email_key", email_key),
    "company_name": ("company_key", company_key),
}


# Fields a caller may set, with the cleaner for each. Category-backed fields (level,
# industry, source, customer_type, region) are checked against their categories by the
# service, which can see them; here they only have to be non-empty text.
def _text(max_len: int) -> Callable[[object], object]:
    def clean(value: object) -> object:
        if not isinstance(value, str):
            raise ValueError(Phrase("text", "must be text"))
        text = value.strip()
        if not text:
            raise ValueError(Phrase("empty", "must not be empty"))
        if len(text) > max_len:
            raise ValueError(too_long(max_len))
        return text

    return clean


def _checked(problem: Callable[[str], str | None], max_len: int) -> Callable[[object], object]:
    as_text = _text(max_len)

    def clean(value: object) -> object:
        text = str(as_text(value))
        if (why := problem(text)) is not None:
            raise ValueError(why)
        return text

    return clean


MAX_INT = 2**31 - 1  # what an INTEGER column holds on every database
MAX_MONEY = Decimal("99999999999999.99")  # NUMERIC(16, 2)
# A date, or a date and time with an optional zone (a zone needs a time to belong to).
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?")
_THOUSANDS = re.compile(r"\d{1,3}(,\d{3})+(\.\d+)?")
YEARS = range(limits.EARLIEST_DATE.year, limits.LATEST_DATE.year + 1)


def _shown(value: object) -> str:
    """``value`` as an error message can quote it: never longer than 40 characters."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _non_negative_int(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError("must be a whole number")
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise ValueError(f"{_shown(value)} is not a whole number") from None
    if not number.is_finite() or number != number.to_integral_value():
        raise ValueError(f"{_shown(value)} is not a whole number")
    if not 0 <= number <= MAX_INT:
        raise ValueError(f"must be between 0 and {MAX_INT}")
    return int(number)


def _money(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(Phrase("number", "must be a number"))
    text = str(value).strip()
    if _THOUSANDS.fullmatch(text):  # 1,234,567.89 as spreadsheets write it
        text = text.replace(",", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(Phrase("not_number", "{got} is not a number", got=_shown(value))) from None
    if not amount.is_finite():
        raise ValueError("must be a finite number")
    if not 0 <= amount <= MAX_MONEY:
        raise ValueError(f"must be between 0 and {MAX_MONEY}")
    # Customers expect commercial rounding (四舍五入): 12.345 -> 12.35.
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _stage(value: object) -> object:
    try:
        return Stage(str(value).strip().lower())
    except ValueError:
        allowed = ", ".join(s.value for s in Stage)
        raise ValueError(f"{value!r} is not a stage (one of {allowed})") from None


MAX_TAGS = 50  # a customer's tags (the same bound as a rep's)
MAX_TAG_LENGTH = 100


def _tags(value: object) -> object:
    if isinstance(value, str):
        value = [t for t in (part.strip() for part in value.replace("，", ",").split(",")) if t]
    if not isinstance(value, list | tuple) or not all(isinstance(t, str) for t in value):
        raise ValueError("must be a list of text tags")
    tags = sorted({t.strip() for t in value if t.strip()})
    if len(tags) > MAX_TAGS:
        raise ValueError(f"at most {MAX_TAGS} tags (got {len(tags)})")
    if any(len(t) > MAX_TAG_LENGTH for t in tags):
        raise ValueError(f"a tag has at most {MAX_TAG_LENGTH} characters")
    return tags


def _score(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError(Phrase("number", "must be a number"))
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise ValueError(Phrase("not_number", "{got} is not a number", got=_shown(value))) from None
    if not 0 <= number <= 100:  # also rejects NaN
        raise ValueError("must be between 0 and 100")
    return number


def _custom(value: object) -> object:
    if not isinstance(value, dict):
        raise ValueError("must be an object of custom attribute values")
    return dict(value)


def _date_time(value: object) -> object:
    """A date or ISO date-time; one without a zone gets the caller's zone afterwards."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        text = str(value).strip()
        if not _ISO_DATE.fullmatch(text):
            raise ValueError(f"{_shown(value)} is not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM)")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{_shown(value)} is not a valid date") from None
    if moment.year not in YEARS or (moment.tzinfo and moment.astimezone(UTC).year not in YEARS):
        raise ValueError(limits.DATE_MESSAGE)
    return moment


FIELD_CLEANERS: Mapping[str, Callable[[object], object]] = {
    "name": _text(200),
    "external_id": _text(100),
    "company_name": _text(200),
    "phone": _checked(phone_problem, 40),
    "email": _checked(email_problem, 254),
    "wechat": _checked(wechat_problem, 40),
    "country": _text(100),
    "province": _text(100),
    "city": _text(100),
    "region": _text(100),
    "industry": _text(100),
    "employees": _non_negative_int,
    "revenue": _money,
    "level": _text(50),
    "customer_type": _text(50),
    "source": _text(100),
    "product_interest": _text(200),
    "expected_value": _money,
    "stage": _stage,
    "tags": _tags,
    "custom": _custom,
    "score": _score,
    "created_at": _date_time,
    "closed_at": _date_time,
}
REQUIRED_FIELDS = ("name",)
NOT_NULLABLE = (*REQUIRED_FIELDS, "stage")


def clean_customer_fields_partly(
    raw: Mapping[str, object], *, partial: bool, prefix: str = "", zone: tzinfo = UTC
) -> tuple[dict[str, object], list[FieldError]]:
    """Clean what can be cleaned; return it with the errors of the rest.

    Empty values (None, "") clear optional fields; ``partial`` is for updates, where
    absent required fields are fine. ``prefix`` names the place in errors ("row 7.").
    Dates and times without a zone are read in ``zone``.
    """
    errors: list[FieldError] = []
    cleaned: dict[str, object] = {}
    for name, value in raw.items():
        cleaner = FIELD_CLEANERS.get(name)
        if cleaner is None:
            errors.append(FieldError(prefix + name, "is not a customer field"))
            continue
        if value is None or (isinstance(value, str) and not value.strip()):
            if name in NOT_NULLABLE:
                errors.append(FieldError(prefix + name, required()))
            else:
                cleaned[name] = [] if name == "tags" else {} if name == "custom" else None
            continue
        try:
            cleaned[name] = cleaner(value)
        except ValueError as exc:
            errors.append(FieldError(prefix + name, message_of(exc)))
    for name, value in cleaned.items():
        if isinstance(value, datetime) and value.tzinfo is None:
            cleaned[name] = value.replace(tzinfo=zone)
    if not partial:
        errors += [FieldError(prefix + f, required()) for f in REQUIRED_FIELDS if f not in raw]
    return cleaned, errors


def clean_customer_fields(
    raw: Mapping[str, object], *, partial: bool, prefix: str = ""
) -> dict[str, object]:
    """Validate and normalise caller-supplied customer fields; raise with every bad one."""
    cleaned, errors = clean_customer_fields_partly(raw, partial=partial, prefix=prefix)
    if errors:
        raise ValidationFailed(errors)
    return cleaned
