"""What the CRM sync API returns."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from fenpei.domain.sync import SyncCounts
from fenpei.services.sync.run import ConnectionStatus


class SyncCountsRead(BaseModel):
    """What one run did."""

    pulled: int = 0
    created: int = 0
    updated: int = 0
    linked: int = Field(0, description="Matched to an existing customer by phone or email.")
    owner_changes: int = 0
    pushed: int = 0
    push_failed: int = 0
    skipped: int = 0
    errors: list[str] = Field(
        default_factory=list, description="The first 20, each naming its record."
    )

    @classmethod
    def of(cls, counts: SyncCounts) -> SyncCountsRead:
        return cls.model_validate(counts.as_dict())


class SyncConnectionRead(BaseModel):
    """A configured connection (credentials never shown), its cursors and last run."""

    name: str
    kind: str
    module: str
    pull_cursor: datetime | None = Field(description="The newest CRM change pulled.")
    push_cursor: int = Field(description="The last assignment id looked at for pushing.")
    last_run_at: datetime | None
    last_counts: dict[str, object]
    last_error: str | None
    links: int = Field(description="CRM records linked to customers.")
    pushes: dict[str, int] = Field(description="Owner changes by push status.")

    @classmethod
    def of(cls, status: ConnectionStatus) -> SyncConnectionRead:
        return cls.model_validate(status.as_dict())


class SyncRunRead(BaseModel):
    name: str
    ran: bool = Field(description="False: another process was running this connection.")
    counts: SyncCountsRead | None


class BridgeAccepted(BaseModel):
    created: int
    updated: int
    linked: int
    owner_changes: int
