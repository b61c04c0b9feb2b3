"""Import pages' words: the fields a column may fill, and the services' refusals in the
page's language where the catalogs have them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fenpei.domain.custom_fields import CustomField
from fenpei.domain.errors import ValidationFailed
from fenpei.domain.phrases import Phrase
from fenpei.services.imports.mapping import targets
from fenpei.web._conditions_text import field_name
from fenpei.web._said import said
from fenpei.web.i18n import Translate


def target_choices(t: Translate, custom_fields: Sequence[CustomField]) -> list[tuple[str, str]]:
    """(value, label) for each field a column may fill, custom attributes by their label."""
    labels = {f"custom.{d.key}": d.label for d in custom_fields}
    return [(name, labels.get(name) or field_name(t, name)) for name in targets(custom_fields)]


def error_lines(t: Translate, exc: ValidationFailed) -> list[str]:
    """Each refusal as one line: where, then what (``row 7.phone: …``)."""
    return [f"{e.field}: {said(t, e.message)}" for e in exc.errors]


def _phrase(data: object) -> object:
    """A stored phrase (``phrase_data``) as a Phrase again, nested values too."""
    if isinstance(data, Mapping) and {"key", "text", "values"} <= set(data):
        made = Phrase(str(data["key"]), str(data["text"]))
        values = data["values"] if isinstance(data["values"], Mapping) else {}
        made.values = {str(k): _phrase(v) for k, v in values.items()}
        return made
    return data


def stored_error_lines(t: Translate, errors: Sequence[Mapping[str, Any]]) -> list[str]:
    """An upload's stored errors, each ``where: what`` in the page's language."""
    return [f"{e['field']}: {said(t, _phrase(e.get('phrase', e['message'])))}" for e in errors]
