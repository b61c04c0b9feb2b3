"""Customer companies (accounts): what several customers/leads can belong to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(eq=False)
class Company:
    """An account; ``parent_id`` links a subsidiary to its parent company."""

    name: str
    id: int | None = None
    industry: str | None = None
    year_established: int | None = None
    revenue: Decimal | None = None
    employees: int | None = None
    country: str | None = None
    parent_id: int | None = None
    created_at: datetime | None = None
