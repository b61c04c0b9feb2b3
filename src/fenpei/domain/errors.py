"""Errors that say what to fix. Entrypoints translate them; nothing else catches them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class FenpeiError(Exception):
    """Base for every error a user can cause and fix."""

    code = "error"

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": str(self)}


@dataclass(frozen=True)
class FieldError:
    """One bad value: ``field`` is a path such as ``email`` or ``row 12.phone``."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


@dataclass(eq=False)
class ValidationFailed(FenpeiError):
    """Input was rejected; ``errors`` lists every bad field, nothing was written."""

    errors: list[FieldError] = field(default_factory=list)
    code = "validation_failed"

    def __post_init__(self) -> None:
        super().__init__(self.__str__())

    def __str__(self) -> str:
        shown = "; ".join(str(e) for e in self.errors[:10])
        more = len(self.errors) - 10
        return shown + (f"; … and {more} more" if more > 0 else "")

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": str(self),
            "errors": [{"field": e.field, "message": e.message} for e in self.errors],
        }

    @classmethod
    def one(cls, field_name: str, message: str) -> ValidationFailed:
        return cls([FieldError(field_name, message)])


class NotFound(FenpeiError):
    """The named object does not exist (or is outside the caller's scope)."""

    code = "not_found"

    def __init__(self, kind: str, key: object) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"{kind} {key!r} not found")


class Conflict(FenpeiError):
    """The request is valid but the current state forbids it."""

    code = "conflict"


class CapacityExceeded(Conflict):
    """Taking one more customer would put a rep over one of their limits."""

    code = "capacity_exceeded"

    def __init__(self, rep_name: str, reason: str) -> None:
        self.rep_name = rep_name
        self.reason = reason
        super().__init__(f"{rep_name} is at capacity: {reason}")


class UsedByRules(Conflict):
    """A category value cannot change this way while rules test it: ``rules`` lists them as
    (id, name); ``action`` is "retire" or "merge" (a text match the merge cannot carry)."""

    code = "used_by_rules"

    def __init__(self, what: str, action: str, rules: list[tuple[int, str]]) -> None:
        self.what = what
        self.action = action
        self.rules = rules
        named = ", ".join(f"#{rule_id} {name!r}" for rule_id, name in rules)
        super().__init__(f"{what} is tested by rules {named}; change those rules first")


class ClaimRefused(Conflict):
    """A rep may not claim this customer now: ``kind`` says which term of the pool stops
    them (``cooldown``, ``daily_cap``, ``holding_cap``) or ``taken`` (someone was first)."""

    code = "claim_refused"

    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind
        super().__init__(message)


class PermissionDenied(FenpeiError):
    """The actor may not do this."""

    code = "permission_denied"


class CredentialsRefused(FenpeiError):
    """Presented credentials (an API token, a signature) are unknown, revoked, expired or
    do not match; the message names the part at fault."""

    code = "not_authenticated"
