"""The fields a routing condition can test: every customer attribute and each custom one.

A ``FieldSpec``'s getter returns the value in the one shape its type promises, so the
condition compiler never has to guess:

- text, choice: ``str`` or None (a choice is one of ``FieldSpec.choices``)
- number: ``int`` or ``float`` or None (money ``Decimal`` values become ``float``, so a rule
  value ``12.3`` equals a stored ``Decimal("12.30")``)
- date: an ISO ``"YYYY-MM-DD"`` string or None (ISO dates order correctly as text)
- datetime: an aware ``datetime`` or None (a naive one is read as UTC)
- list_of_text: a ``list[str]``, empty when there is nothing
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from operator import attrgetter
from typing import Any

from fenpei.domain.custom_fields import CustomField, FieldKind
from fenpei.domain.customers import Customer, Stage
from fenpei.domain.scoring import GRADES


class FieldType(StrEnum):
    text = "text"
    number = "number"
    datetime = "datetime"
    date = "date"
    list_of_text = "list_of_text"
    choice = "choice"

    @property
    def label(self) -> str:
        """How error messages name the type: ``list of text``, not ``list_of_text``."""
        return self.value.replace("_", " ")


@dataclass(frozen=True)
class FieldSpec:
    """A testable field: its name in rules, its type and how to read it off the item routed
    (a customer here; a ``TaskItem`` for the fields of ``task_fields``)."""

    name: str
    type: FieldType
    get: Callable[[Any], object]
    choices: tuple[str, ...] = ()


def fold(text: str) -> str:
    """The form text is compared in: stripped and case-folded (``' East '`` → ``'east'``).

    Conditions and rule indexes both use this, so an index lookup agrees with evaluation.
    """
    return text.strip().casefold()


TEXT_FIELDS = (
    "name",
    "company_name",
    "phone",
    "email",
    "wechat",
    "country",
    "province",
    "city",
    "region",
    "industry",
    "level",
    "customer_type",
    "source",
    "product_interest",
    "external_id",
)
DATETIME_FIELDS = ("created_at", "updated_at", "assigned_at", "last_follow_up_at", "closed_at")


def _email_domain(customer: Customer) -> str | None:
    email = customer.email
    if not email or "@" not in email:
        return None
    return email.rpartition("@")[2].strip().lower() or None


def _money(name: str) -> Callable[[Customer], float | None]:
    read = attrgetter(name)

    def get(customer: Customer) -> float | None:
        amount = read(customer)
        return None if amount is None else float(amount)

    return get


def _moment(name: str) -> Callable[[Customer], datetime | None]:
    read = attrgetter(name)

    def get(customer: Customer) -> datetime | None:
        moment: datetime | None = read(customer)
        if moment is None or moment.tzinfo is not None:
            return moment
        return moment.replace(tzinfo=UTC)

    return get


def _stage(customer: Customer) -> str:
    return str(customer.stage)  # a Stage is a StrEnum; its str() is the plain value


def _tags(customer: Customer) -> list[str]:
    return customer.tags or []


def _custom(definition: CustomField) -> FieldSpec:
    key = definition.key
    kind = FieldKind(definition.kind)
    name = f"custom.{key}"

    # Values were cleaned on save; anything of the wrong shape counts as missing rather
    # than crashing a routing decision.
    if kind is FieldKind.number:

        def number(customer: Customer) -> object:
            value = customer.custom.get(key)
            if isinstance(value, bool) or not isinstance(value, int | float):
                return None
            return value

        return FieldSpec(name, FieldType.number, number)
    if kind is FieldKind.date:

        def iso_date(customer: Customer) -> object:
            value = customer.custom.get(key)
            if isinstance(value, datetime):
                return value.date().isoformat()
            if isinstance(value, date):
                return value.isoformat()
            return value if isinstance(value, str) else None

        return FieldSpec(name, FieldType.date, iso_date)

    def text(customer: Customer) -> object:
        value = customer.custom.get(key)
        return value if isinstance(value, str) else None

    if kind is FieldKind.choice:
        return FieldSpec(name, FieldType.choice, text, tuple(definition.choices))
    return FieldSpec(name, FieldType.text, text)


def field_catalog(custom_fields: Sequence[CustomField] = ()) -> Mapping[str, FieldSpec]:
    """Every field a condition may name: customer attributes, then ``custom.<key>`` ones."""
    specs = [FieldSpec(name, FieldType.text, attrgetter(name)) for name in TEXT_FIELDS]
    specs += [
        FieldSpec("email_domain", FieldType.text, _email_domain),
        FieldSpec("employees", FieldType.number, attrgetter("employees")),
        FieldSpec("revenue", FieldType.number, _money("revenue")),
        FieldSpec("expected_value", FieldType.number, _money("expected_value")),
        FieldSpec("score", FieldType.number, attrgetter("score")),
        FieldSpec("win_probability", FieldType.number, attrgetter("win_probability")),
        FieldSpec("grade", FieldType.choice, attrgetter("grade"), GRADES),
        FieldSpec("stage", FieldType.choice, _stage, tuple(s.value for s in Stage)),
        FieldSpec("tags", FieldType.list_of_text, _tags),
    ]
    specs += [FieldSpec(name, FieldType.datetime, _moment(name)) for name in DATETIME_FIELDS]
    specs += [_custom(definition) for definition in custom_fields]
    return {spec.name: spec for spec in specs}
