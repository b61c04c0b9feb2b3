"""Typed custom attributes an admin defines for customers (text / number / date / choice)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from fenpei.domain import limits
from fenpei.domain.errors import FieldError, ValidationFailed
from fenpei.domain.phrases import Phrase, message_of, required

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class FieldKind(StrEnum):
    text = "text"
    number = "number"
    date = "date"
    choice = "choice"


@dataclass(eq=False)
class CustomField:
    key: str
    label: str
    kind: FieldKind
    choices: list[str] = field(default_factory=list)
    required: bool = False
    id: int | None = None


def _clean_value(definition: CustomField, value: object) -> object:
    kind = FieldKind(definition.kind)
    if kind is FieldKind.text:
        if not isinstance(value, str) or len(value) > 1000:
            raise ValueError("must be text of at most 1000 characters")
        return value
    if kind is FieldKind.number:
        if isinstance(value, bool):
            raise ValueError("must be a number")
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            raise ValueError(
                Phrase("not_number", "{got} is not a number", got=repr(value)[:40])
            ) from None
        if not math.isfinite(number):
            raise ValueError("must be a finite number")
        return value if isinstance(value, int) else number
    if kind is FieldKind.date:
        try:
            day = date.fromisoformat(str(value))
        except ValueError:
            raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None
        if problem := limits.date_problem(day):
            raise ValueError(problem)
        return day.isoformat()
    if value not in definition.choices:
        raise ValueError(f"{value!r} is not one of {', '.join(definition.choices)}")
    return value


def clean_custom_values(
    definitions: Iterable[CustomField], values: Mapping[str, object], *, prefix: str = ""
) -> dict[str, object]:
    """Check custom attribute values against their definitions; raise naming each bad one."""
    by_key = {d.key: d for d in definitions}
    errors: list[FieldError] = []
    cleaned: dict[str, object] = {}
    for key, value in values.items():
        path = f"{prefix}custom.{key}"
        definition = by_key.get(key)
        if definition is None:
            errors.append(FieldError(path, "is not a defined custom attribute"))
        elif value is None or value == "":
            if definition.required:
                errors.append(FieldError(path, required()))
        else:
            try:
                cleaned[key] = _clean_value(definition, value)
            except ValueError as exc:
                errors.append(FieldError(path, message_of(exc)))
    for key, definition in by_key.items():
        if definition.required and key not in values:
            errors.append(FieldError(f"{prefix}custom.{key}", required()))
    if errors:
        raise ValidationFailed(errors)
    return cleaned
