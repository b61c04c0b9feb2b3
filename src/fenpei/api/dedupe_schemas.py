"""Request and response shapes of duplicates in bulk and merge (查重合并)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from fenpei.domain.customers import Customer
from fenpei.domain.dedupe import MERGE_FIELDS, CustomerMerge, PairStatus
from fenpei.http.fields import Id
from fenpei.services.dedupe.merge import MergePreview
from fenpei.services.dedupe.review import PairView
from fenpei.services.dedupe.scan import ScanResult

Side = Literal["survivor", "loser"]


class ScanRead(BaseModel):
    customers: int = Field(description="Customers checked.")
    found: int = Field(description="Pairs found.")
    new: int
    updated: int
    kept: int = Field(description="Found again but already dismissed or merged: left so.")
    dropped: int = Field(description="Open pairs not found any more, removed.")

    @classmethod
    def of(cls, result: ScanResult) -> ScanRead:
        return cls(**result.__dict__)


class PairCustomerRead(BaseModel):
    id: int
    name: str
    company_name: str | None
    phone: str | None
    email: str | None
    owner_id: int | None

    @classmethod
    def of(cls, c: Customer) -> PairCustomerRead:
        assert c.id is not None
        return cls(
            id=c.id, name=c.name, company_name=c.company_name, phone=c.phone, email=c.email,
            owner_id=c.owner_id,
        )  # fmt: skip


class PairRead(BaseModel):
    id: int
    score: float = Field(description="0-100: how sure.")
    reasons: list[str] = Field(description="phone, email, company, company_similar, by_hand.")
    similarity: float | None = Field(description="The company names' similarity, 0-100.")
    status: PairStatus
    found_at: datetime
    decided_by: str | None
    low: PairCustomerRead | None = None
    high: PairCustomerRead | None = None

    @classmethod
    def of(cls, view: PairView) -> PairRead:
        p = view.pair
        assert p.id is not None
        return cls(
            id=p.id, score=p.score, reasons=p.reasons, similarity=p.similarity,
            status=p.status, found_at=p.found_at, decided_by=p.decided_by,
            low=PairCustomerRead.of(view.low), high=PairCustomerRead.of(view.high),
        )  # fmt: skip


class PairPage(BaseModel):
    items: list[PairRead]
    total: int


class MergeCreate(BaseModel):
    survivor_id: Id = Field(description="The customer that stays.")
    loser_id: Id = Field(description="The customer merged into it (kept, hidden).")
    choices: dict[str, Side] = Field(
        default_factory=dict,
        max_length=100,
        description="Field -> side whose value the survivor keeps (custom fields as "
        "custom.<key>); unnamed fields: the survivor's, or the other's where it has none.",
    )


class MergeRead(BaseModel):
    id: int
    survivor_id: int
    loser_id: int
    actor: str
    at: datetime
    choices: dict[str, str]
    moved: dict[str, int] = Field(description="Rows carried over, by table.")
    owner_change: dict[str, Any]
    undone_at: datetime | None
    undone_by: str | None

    @classmethod
    def of(cls, m: CustomerMerge) -> MergeRead:
        assert m.id is not None
        return cls(
            id=m.id, survivor_id=m.survivor_id, loser_id=m.loser_id, actor=m.actor, at=m.at,
            choices=m.choices, moved={k: len(v) for k, v in m.moved.items()},
            owner_change=m.owner_change, undone_at=m.undone_at, undone_by=m.undone_by,
        )  # fmt: skip


class MergePreviewRead(BaseModel):
    survivor: PairCustomerRead
    loser: PairCustomerRead
    owner_after: int | None = Field(description="The survivor's owner after the merge.")
    owner_changes: bool
    owner_rule: str = Field(description="Which part of the rule decided it.")
    defaults: dict[str, Side]
    fields: dict[str, list[Any]] = Field(description="Field -> [survivor's, other's] value.")

    @classmethod
    def of(cls, p: MergePreview) -> MergePreviewRead:
        return cls(
            survivor=PairCustomerRead.of(p.survivor), loser=PairCustomerRead.of(p.loser),
            owner_after=p.owner.rep_id, owner_changes=p.owner.changes, owner_rule=p.owner.reason,
            defaults={k: "loser" if v == "loser" else "survivor" for k, v in p.defaults.items()},
            fields={
                f: [getattr(p.survivor, f), getattr(p.loser, f)] for f in MERGE_FIELDS
            },
        )  # fmt: skip
