"""CRM sync (同步): what a connection to a CRM of record reads and writes, without its API.

A record pulled from a CRM is its external id, the fenpei fields already mapped from the
CRM's field names, and its owner as the CRM names them (user id and email). A push is an
owner change made in fenpei, told to the CRM once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class PushStatus(StrEnum):
    pending = "pending"  # recorded, not yet sent
    sending = "sending"  # handed to the CRM; the answer was not recorded yet
    sent = "sent"  # the CRM answered success
    failed = "failed"  # the CRM refused this record (its code and message kept)
    superseded = "superseded"  # a later owner change of the same record is sent instead
    skipped = "skipped"  # nothing to send (to a pool, or no CRM user for the rep)


@dataclass(frozen=True)
class CrmUser:
    external_id: str
    email: str | None
    name: str = ""


@dataclass(frozen=True)
class CrmRecord:
    """One customer as the CRM has it; ``fields`` are fenpei's names (the field map applied)."""

    external_id: str
    fields: dict[str, Any]
    modified_at: datetime | None = None
    owner_external_id: str | None = None
    owner_email: str | None = None


@dataclass(frozen=True)
class RecordPage:
    records: list[CrmRecord]
    next_token: str | None  # None: the last page


@dataclass(frozen=True)
class AssignmentRow:
    """What a push needs of an assignment record."""

    id: int
    customer_id: int
    from_rep_id: int | None
    to_rep_id: int | None
    method: str
    at: datetime


@dataclass(frozen=True)
class PushRow:
    """One owner change recorded for pushing."""

    id: int
    external_id: str
    owner_external_id: str | None
    assignment_id: int
    status: PushStatus


@dataclass(frozen=True)
class OwnerChange:
    """Tell the CRM that ``external_id`` is now owned by CRM user ``owner_external_id``."""

    push_id: int
    external_id: str
    owner_external_id: str


@dataclass(frozen=True)
class PushAnswer:
    external_id: str
    ok: bool
    code: str = ""
    message: str = ""


@dataclass
class SyncCounts:
    """What one run did; kept as the connection's last run."""

    pulled: int = 0
    created: int = 0
    updated: int = 0
    linked: int = 0  # matched to an existing customer by phone / email (查重)
    owner_changes: int = 0
    pushed: int = 0
    push_failed: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "pulled": self.pulled,
            "created": self.created,
            "updated": self.updated,
            "linked": self.linked,
            "owner_changes": self.owner_changes,
            "pushed": self.pushed,
            "push_failed": self.push_failed,
            "skipped": self.skipped,
            "errors": self.errors[:20],
        }

    def summary(self) -> str:
        parts = [f"{n} {what}" for what, n in self.as_dict().items() if what != "errors"]
        if self.errors:
            parts.append(f"{len(self.errors)} errors")
        return ", ".join(parts)


@dataclass
class SyncState:
    """A connection's progress: where the next pull and push start, and the last run."""

    connection: str
    pull_cursor: datetime | None = None  # the newest CRM modified time pulled
    push_cursor: int = 0  # the last assignment id looked at for pushing
    last_run_at: datetime | None = None
    last_counts: dict[str, Any] = field(default_factory=dict)
    last_error: str | None = None


class CrmError(Exception):
    """The CRM could not be reached or refused a call; the message says which and why
    (never a credential)."""
