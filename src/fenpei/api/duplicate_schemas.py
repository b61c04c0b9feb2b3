"""Request and response shapes of the duplicate check (查重 / 撞单)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from fenpei.domain.duplicates import DuplicateMatch


class DuplicateRead(BaseModel):
    """An existing customer with the same phone, email or company, as you may know it:
    outside your data scope only its owner, protection or pool are told."""

    model_config = ConfigDict(from_attributes=True)

    matched: list[str] = Field(description="Which fields matched: phone, email, company_name.")
    visible: bool = Field(description="In your data scope: id, name and stage are given.")
    customer_id: int | None = Field(description="Null outside your scope (unless in your pool).")
    name: str | None
    stage: str | None
    owner_name: str | None = Field(description="Who owns it: whom to talk to. Null: nobody.")
    protected_until: datetime | None = Field(description="Its protection (保护期) ends then.")
    pool: str | None = Field(description="The pool (公海) it waits in, if it waits in one.")
    pool_name: str | None
    pool_visible: bool = Field(description="Whether you may see (and claim from) that pool.")

    @classmethod
    def of(cls, match: DuplicateMatch) -> DuplicateRead:
        return cls.model_validate(match)


class DuplicatesRead(BaseModel):
    matches: list[DuplicateRead]


class DuplicateConflictRead(BaseModel):
    """409: ``duplicate`` (``matches`` lists them; send ``allow_duplicate: true`` or
    ``?allow_duplicate=true`` to create the customer anyway), or ``conflict`` (an
    Idempotency-Key used with another body; no matches)."""

    code: str = Field(default="duplicate", description="`duplicate` or `conflict`.")
    message: str
    errors: list[dict[str, str]] = Field(default_factory=list)
    matches: list[DuplicateRead] = Field(default_factory=list)

    @classmethod
    def of(cls, message: str, matches: list[DuplicateMatch]) -> DuplicateConflictRead:
        return cls(message=message, matches=[DuplicateRead.of(m) for m in matches])
