"""Column mappings (header → customer field, or ignore), as people write them and as they
are remembered per source.

A *source* is a name the importer picks ("展会 2026", "crm-export"); without one, the
file's header signature (its column names, order and case aside) stands for it, so the
next file laid out the same way gets the same mapping back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime

from fenpei.domain.custom_fields import CustomField
from fenpei.domain.errors import FieldError, ValidationFailed
from fenpei.domain.import_uploads import ImportMapping
from fenpei.domain.limits import text_problem
from fenpei.domain.users import Actor
from fenpei.services._import_columns import (
    _FIELD_BY_ALIAS,
    IMPORTABLE_FIELDS,
    _column_key,
    guess_columns,
)
from fenpei.services.ports import UnitOfWork

IGNORE = "ignore"
_IGNORE_WORDS = frozenset({"", IGNORE, "-", "none", "skip", "忽略", "不导入"})
MAX_SOURCE = 200
Mapping_ = dict[str, str | None]


def header_signature(headers: Sequence[str]) -> str:
    """The source of files with these columns (any order, case, spacing): ``columns:<hash>``."""
    keys = sorted({_column_key(h) for h in headers})
    return "columns:" + hashlib.sha256("\x1f".join(keys).encode()).hexdigest()[:16]


def source_key(source: str | None, headers: Sequence[str]) -> str:
    """The name a mapping is remembered under: the picked source, or the header signature."""
    name = (source or "").strip()
    if not name:
        return header_signature(headers)
    if len(name) > MAX_SOURCE:
        raise ValidationFailed.one("source", f"is {len(name)} characters; at most {MAX_SOURCE}")
    if problem := text_problem(name):
        raise ValidationFailed.one("source", problem)
    return name


def targets(custom_fields: Sequence[CustomField]) -> list[str]:
    """Every field a column may fill: the customer's, then ``custom.<key>``."""
    return [*IMPORTABLE_FIELDS, *(f"custom.{d.key}" for d in custom_fields)]


def target_of(text: str, custom_fields: Sequence[CustomField], *, at: str) -> str | None:
    """The field ``text`` names: a field (``company_name``), ``custom.<key>``, an alias in
    English or Chinese (``company``, ``手机``) or a custom attribute's label; None for
    ``ignore``. ``ValidationFailed`` at ``at`` for anything else."""
    word = text.strip()
    if word.casefold() in _IGNORE_WORDS:
        return None
    allowed = targets(custom_fields)
    if word in allowed:
        return word
    if f"custom.{word}" in allowed:
        return f"custom.{word}"
    key = _column_key(word)
    if key in _FIELD_BY_ALIAS:
        return _FIELD_BY_ALIAS[key]
    by_label = {_column_key(d.label): d.key for d in custom_fields}
    if key in by_label:
        return f"custom.{by_label[key]}"
    raise ValidationFailed.one(
        at, f"{word!r} is not a customer field; use one of {', '.join(allowed)} or {IGNORE}"
    )


def parse_pairs(pairs: Sequence[str], custom_fields: Sequence[CustomField]) -> Mapping_:
    """``["公司名称=company", "备注=ignore"]`` as header → field (None: ignore)."""
    mapping: Mapping_ = {}
    errors: list[FieldError] = []
    for index, pair in enumerate(pairs):
        header, equals, target = pair.partition("=")
        if not equals or not header.strip():
            errors.append(FieldError(f"map[{index}]", f"{pair!r}: write COLUMN=FIELD"))
            continue
        try:
            mapping[header.strip()] = target_of(target, custom_fields, at=f"map[{index}]")
        except ValidationFailed as exc:
            errors += exc.errors
    if errors:
        raise ValidationFailed(errors)
    return mapping


def parse_json(
    text: str, custom_fields: Sequence[CustomField], *, check_targets: bool = True
) -> Mapping_:
    """A JSON object ``{"公司名称": "company_name", "备注": null}`` as header → field
    (without ``check_targets``, only its shape is checked; the fields stay as written)."""
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ValidationFailed.one("mapping", f"is not JSON ({exc})") from None
    if not isinstance(value, dict):
        raise ValidationFailed.one("mapping", 'must be an object: {"column": "field" or null}')
    mapping: Mapping_ = {}
    errors: list[FieldError] = []
    for header, target in value.items():
        if target is not None and not isinstance(target, str):
            errors.append(FieldError(f"mapping.{header}", "must be a field name or null"))
            continue
        if not check_targets:
            mapping[header] = target
            continue
        try:
            mapping[header] = target_of(target or "", custom_fields, at=f"mapping.{header}")
        except ValidationFailed as exc:
            errors += exc.errors
    if errors:
        raise ValidationFailed(errors)
    return mapping


def suggest(
    uow: UnitOfWork, headers: Sequence[str], *, source: str | None
) -> tuple[Mapping_, str | None]:
    """Each header's field: the source's remembered mapping where it names the header,
    else the guess from the aliases; and the source whose memory was used (or None)."""
    custom_fields = uow.custom_fields.all()
    guessed = guess_columns(headers, custom_fields)
    mapping: Mapping_ = {h: guessed.get(h) for h in headers}
    allowed = set(targets(custom_fields))
    for key in dict.fromkeys([source_key(source, headers), header_signature(headers)]):
        remembered = uow.import_mappings.get(key)
        if remembered is None:
            continue
        for header, target in remembered.mapping.items():
            if header in mapping and (target is None or target in allowed):
                mapping[header] = target
        return mapping, key
    return mapping, None


def remember(
    uow: UnitOfWork,
    *,
    source: str | None,
    headers: Sequence[str],
    mapping: Mapping[str, str | None],
    actor: Actor,
    now: datetime,
) -> str:
    """Keep ``mapping`` for ``source`` (and, for a named source, for the header signature
    too, so the same layout is recognised without the name); the key it is kept under."""
    key = source_key(source, headers)
    whole = {h: mapping.get(h) for h in headers}
    for name in dict.fromkeys([key, header_signature(headers)]):
        uow.import_mappings.save(ImportMapping(name, whole, actor.name[:64], now))
    return key
