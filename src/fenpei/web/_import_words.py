"""Import pages' words: the fields a column may fill, and the services' refusals in the
page's language where the catalogs have them."""

from __future__ import annotations

from collections.abc import Sequence

from fenpei.domain.custom_fields import CustomField
from fenpei.domain.errors import ValidationFailed
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
