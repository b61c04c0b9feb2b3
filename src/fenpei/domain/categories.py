"""Categories (分类管理): admin-defined dimensions and their ordered values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

# Which customer attribute each built-in dimension classifies.
CUSTOMER_FIELD_OF_CATEGORY: Mapping[str, str] = {
    "level": "level",
    "industry": "industry",
    "source": "source",
    "customer_type": "customer_type",
    "region": "region",
}


@dataclass(eq=False)
class Category:
    """A dimension such as level or industry; ``strict`` rejects values not in its list."""

    key: str
    name: str
    id: int | None = None
    strict: bool = True
    created_at: datetime | None = None


@dataclass(eq=False)
class CategoryValue:
    """One value of a dimension. Customers store ``code``; ``label`` is what people see.

    Renaming changes the label only; merging moves customers to ``merged_into_id``;
    retiring hides the value from new input while existing customers keep it.
    """

    category_id: int
    code: str
    label: str
    position: int = 0
    id: int | None = None
    retired: bool = False
    merged_into_id: int | None = None

    @property
    def usable(self) -> bool:
        return not self.retired and self.merged_into_id is None
