"""What the admin pages share: reading a posted form, and saying a service's refusal of a
field in the page's language where a catalog key for it exists (else as the service said)."""

from __future__ import annotations

import re

from fastapi import Request

from fenpei.domain.errors import FieldError, ValidationFailed
from fenpei.web._org_forms import FormState
from fenpei.web.i18n import Translate

# (field, pattern of the service's message) → catalog key. First match wins; a message
# none matches is shown as the service worded it.
_KNOWN: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (field, re.compile(pattern), key)
    for field, pattern, key in (
        ("name", r"^is required$", "admin.error.required"),
        ("name", r"^must be 1 to \d+ characters$", "admin.error.name_length"),
        ("name", r"^a team named .* exists$", "admin.error.team_taken"),
        ("name", r"^a rep named .* exists$", "admin.error.rep_taken"),
        ("parent_id", r"cannot be its own parent", "admin.error.own_parent"),
        ("parent_id", r"would make a cycle", "admin.error.cycle"),
        ("username", r"^must be 1 to 64 characters$", "admin.error.username_length"),
        ("username", r" is taken$", "admin.error.username_taken"),
        ("username", r" is deactivated$", "admin.error.user_inactive"),
        ("scopes", r"^give at least one scope", "admin.error.scopes"),
        ("expires_at", r"^must be a future time", "admin.error.future"),
        ("email", r"", "admin.error.email"),
    )
)


async def posted(request: Request) -> dict[str, str]:
    """The form's text fields (files and repeated keys beyond the first are ignored)."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def field_message(field: str, message: str, t: Translate) -> str:
    """The service's message about ``field``, translated where the catalog has it."""
    for known_field, pattern, key in _KNOWN:
        if field == known_field and pattern.search(message):
            return t(key)
    return message


def refuse(state: FormState, exc: ValidationFailed, t: Translate) -> None:
    """Put each of the service's field errors next to its form field (``scopes[2]`` →
    ``scopes``, ``skills.languages`` → ``skills``), in the page's language where it can."""
    for error in exc.errors:
        name = error.field.split("[")[0].split(".")[0]
        message = field_message(name, error.message, t)
        if message == error.message:  # the rep form's own words (org.error.*), else as said
            state.refuse(ValidationFailed([FieldError(name, error.message)]), t)
        else:
            state.errors.setdefault(name, message)
