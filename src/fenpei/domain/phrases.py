"""Messages for people that know their own key: English text that a page can translate.

A ``Phrase`` *is* its English text (a ``str``: APIs, logs and tests read it as before) and
also carries a stable key and the values filled in, so the web and CLI layers can say it
in the reader's language from the catalogs (``said.<key>`` in ``messages.po``):

    Phrase("text.too_long", "is longer than {limit} characters", limit=100)

The engine and the services stay free of any language: they only name what they mean.
A phrase that went through string formatting (an f-string, ``+``) is plain English again,
and is shown as such.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class Phrase(str):
    """English ``text.format(**values)``, remembering ``key`` and ``values``."""

    key: str
    values: Mapping[str, object]

    def __new__(cls, key: str, text: str, /, **values: object) -> Phrase:
        made = super().__new__(cls, text.format(**values) if values else text)
        made.key = key
        made.values = dict(values)
        return made

    def __reduce__(self) -> tuple[object, ...]:  # copies and pickles keep the key
        return (_rebuilt, (self.key, str(self), dict(self.values)))


def _rebuilt(key: str, text: str, values: Mapping[str, object]) -> Phrase:
    made = Phrase(key, text)
    made.values = dict(values)
    return made


def phrase_data(value: object) -> Any:
    """A phrase as JSON-ready data to store: ``{"key", "text", "values"}``, nested phrases
    and lists of them too; other values as they are (text when not JSON-ready)."""
    if isinstance(value, Phrase):
        values = {name: phrase_data(v) for name, v in value.values.items()}
        return {"key": value.key, "text": str(value), "values": values}
    if isinstance(value, list | tuple):
        return [phrase_data(v) for v in value]
    if isinstance(value, dict):
        return {str(k): phrase_data(v) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def message_of(exc: Exception) -> str:
    """The message ``exc`` was raised with, still a ``Phrase`` if it was one."""
    first = exc.args[0] if exc.args else None
    return first if isinstance(first, Phrase) else str(exc)


REQUIRED = "is required"


def required() -> Phrase:
    """``is required``: the field was left out or empty."""
    return Phrase("required", REQUIRED)


def length(low: int, high: int) -> Phrase:
    """``must be 1 to 100 characters``."""
    return Phrase("length", "must be {low} to {high} characters", low=low, high=high)


def too_long(limit: int) -> Phrase:
    """``is longer than 100 characters``."""
    return Phrase("too_long", "is longer than {limit} characters", limit=limit)


def whole_number(low: int, high: int) -> Phrase:
    """``must be a whole number from 0 to 1000000``."""
    return Phrase("whole_number", "must be a whole number from {low} to {high}", low=low, high=high)
