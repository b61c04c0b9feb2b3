"""Bounds every input meets, whichever door it comes through (API, webhook, pages, CLI,
import), and the checks that enforce them. Pure: stdlib only.

- Text: no NUL and no lone surrogate (U+D800–U+DFFF). PostgreSQL refuses NUL in text,
  and a lone surrogate cannot be encoded as UTF-8, so a stored one would break every
  later page or JSON answer that shows it.
- Nesting: JSON objects and arrays at most ``MAX_NESTING`` deep, checked on the raw text
  *before* parsing (Python's json parser recurses and would raise RecursionError).
- Lists: ``MAX_LIST_ITEMS`` in any one array; fields set tighter bounds of their own.
- Dates: between ``EARLIEST_DATE`` and ``LATEST_DATE``, so that every page, report and
  export can add a day, a week or a time zone to any stored date without overflowing.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any

from fenpei.domain.errors import FieldError, ValidationFailed
from fenpei.domain.phrases import Phrase

MAX_NESTING = 32
MAX_LIST_ITEMS = 10_000
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)

NUL_MESSAGE = "must not contain NUL characters"
SURROGATE_MESSAGE = "must not contain lone surrogates (U+D800–U+DFFF); send valid Unicode"
NESTING_MESSAGE = f"nested too deeply (at most {MAX_NESTING} levels of objects and arrays)"
DATE_MESSAGE = f"must be between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}"

_SURROGATE = re.compile("[\ud800-\udfff]")
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
_REPLACEMENT = "\ufffd"


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored, or None when it can."""
    if "\x00" in value:
        return NUL_MESSAGE
    if not value.isascii() and _SURROGATE.search(value):
        return SURROGATE_MESSAGE
    return None


def clean_text(value: str) -> str:
    """``value`` with NUL and lone surrogates replaced by U+FFFD: for *reading* data stored
    before these checks existed, so that showing it never fails."""
    if "\x00" not in value and value.isascii():
        return value
    return _BAD_TEXT.sub(_REPLACEMENT, value)


def clean_value(value: Any) -> Any:
    """``clean_text`` over a JSON-like value (keys too); returns ``value`` itself when clean."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        cleaned = [clean_value(item) for item in value]
        return value if all(a is b for a, b in zip(cleaned, value, strict=True)) else cleaned
    if isinstance(value, dict):
        pairs = [(clean_value(k), clean_value(v)) for k, v in value.items()]
        same = all(a is k and b is v for (a, b), (k, v) in zip(pairs, value.items(), strict=True))
        return value if same else dict(pairs)
    return value


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def find_bad_value(value: Any, path: str = "", *, shape: bool = True) -> FieldError | None:
    """The first place in a JSON-like value (dicts, lists, strings) that breaks the bounds
    above — bad text in a key or a string and, with ``shape``, nesting or an oversize list —
    named by its path (``tags[3]``, ``custom.note``), or None. Iterative: any depth is safe.

    ``shape=False`` checks text only: for values fenpei builds itself (an audit snapshot
    wraps a rule's conditions in more levels than a user may send)."""
    stack: list[tuple[Any, str, int]] = [(value, path, 0)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                return FieldError(where or "body", problem)
        elif isinstance(item, dict | list):
            if shape and depth >= MAX_NESTING:
                return FieldError(where or "body", NESTING_MESSAGE)
            if isinstance(item, list):
                if shape and len(item) > MAX_LIST_ITEMS:
                    return FieldError(where or "body", f"at most {MAX_LIST_ITEMS} items")
                stack.extend((v, _join(where, i), depth + 1) for i, v in enumerate(item))
                continue
            for key, v in item.items():
                if isinstance(key, str) and (problem := text_problem(key)):
                    return FieldError(where or "body", f"a key {problem}")
                stack.append((v, _join(where, str(key)), depth + 1))
    return None


def nesting_exceeds(text: str | bytes, limit: int = MAX_NESTING) -> bool:
    """Whether JSON ``text`` nests objects / arrays deeper than ``limit`` (strings skipped).

    A linear scan with no parsing, safe on any input; malformed text is left to the parser."""
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth, in_string, escaped = 0, False, False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False


def load_json(text: str | bytes, *, field: str) -> Any:
    """Parse JSON from outside (a file, a form field, a body) within the bounds above;
    anything else is a ``ValidationFailed`` naming ``field`` (or the path inside it)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationFailed.one(field, "is not UTF-8 text") from None
    if nesting_exceeds(text):
        raise ValidationFailed.one(field, NESTING_MESSAGE)
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ValidationFailed.one(
            field,
            Phrase(
                "json.invalid",
                "is not valid JSON: {problem}",
                problem=exc,
                line=getattr(exc, "lineno", "?"),
                column=getattr(exc, "colno", "?"),
            ),
        ) from None
    bad = find_bad_value(value, "")
    if bad is not None:
        where = field if bad.field == "body" else _join(field, bad.field).replace(".[", "[")
        raise ValidationFailed.one(where, bad.message)
    return value


def date_problem(value: date | datetime) -> str | None:
    """Why a date or datetime is outside the range every screen can show, or None."""
    day = value.date() if isinstance(value, datetime) else value
    return None if EARLIEST_DATE <= day <= LATEST_DATE else DATE_MESSAGE
