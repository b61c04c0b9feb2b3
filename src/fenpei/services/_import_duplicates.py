"""Rows of an import whose phone or email is an existing customer's or an earlier row's
(撞单): reported, not refused — a bulk import is the data owner's decision, and the same
contact on two rows is often meant (one person, two deals)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fenpei.domain.duplicates import BLOCKING, KEY_OF_FIELD, email_key, phone_key
from fenpei.services.ports import UnitOfWork

_CHUNK = 1000
_KEYERS = {"phone": phone_key, "email": email_key}
MAX_LISTED = 20


class DuplicateRows:
    """Fed each valid row's fields in file order; looks the keys up a chunk at a time."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._seen: set[int] = set()  # hashes of (column, key): rows read so far
        self._waiting: dict[tuple[str, str], list[int]] = {}  # looked up at the next flush
        self.rows: set[int] = set()

    def add(self, number: int, fields: Mapping[str, object]) -> None:
        for field in sorted(BLOCKING):
            value = fields.get(field)
            key = _KEYERS[field](value) if isinstance(value, str) else None
            if key is None:
                continue
            column = KEY_OF_FIELD[field]
            if hash((column, key)) in self._seen:
                self.rows.add(number)
            self._seen.add(hash((column, key)))
            self._waiting.setdefault((column, key), []).append(number)
        if len(self._waiting) >= _CHUNK:
            self.flush()

    def flush(self) -> None:
        """Look up the waiting keys; rows whose key a stored customer has are duplicates."""
        for column in {column for column, _ in self._waiting}:
            keys = [key for c, key in self._waiting if c == column]
            for key in self._uow.customers.taken_keys(column, keys):
                self.rows.update(self._waiting[(column, key)])
        self._waiting.clear()

    def listed(self) -> list[int]:
        """All of them, in file order (flush first)."""
        return sorted(self.rows)


def duplicates_note(rows: Sequence[int]) -> str:
    """The warning for rows whose phone or email is already a customer's (or a row's above)."""
    shown = ", ".join(str(n) for n in rows[:MAX_LISTED])
    more = f" and {len(rows) - MAX_LISTED} more" if len(rows) > MAX_LISTED else ""
    return (
        f"{len(rows)} row(s) have the phone or email of an existing customer or of an "
        f"earlier row (rows {shown}{more}); imported anyway — see "
        "`fenpei customers duplicates`"
    )
