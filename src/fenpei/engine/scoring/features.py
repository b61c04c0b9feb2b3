"""A customer as a learned model reads it: one categorical value per field.

Numbers become buckets (employees 10-49, revenue 1M-10M), missing values "(none)", and
values too rare in the training data fold into "(other)". The ``FeatureSpec`` learned
from the training rows is stored in the model's params, so inference reads a customer
exactly as training did. Every field yields exactly one column per customer, so a
customer encodes as a fixed-length row of column indices (``FeatureSpec.encode``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from fenpei.domain.customers import Customer
from fenpei.engine.items import TaskItem, WorkItem

NONE = "(none)"
OTHER = "(other)"
BIAS = "(all)"  # the constant column: every customer has it

# Fields read from the customer itself; "custom.<key>" reads a custom attribute.
DEFAULT_FIELDS: tuple[str, ...] = (
    "industry",
    "size",
    "revenue_band",
    "source",
    "region",
    "level",
    "country",
    "product_interest",
    "customer_type",
    "custom.language",
)

_SIZE_EDGES = (10, 50, 200, 1000, 5000)
_REVENUE_EDGES = (1e5, 1e6, 1e7, 1e8, 1e9)

IntArray = npt.NDArray[np.int64]


def _bucket(value: float, edges: Sequence[float], unit: str) -> str:
    low = 0.0
    for edge in edges:
        if value < edge:
            return f"{_short(low)}-{_short(edge)}{unit}"
        low = edge
    return f"{_short(low)}+{unit}"


def _short(number: float) -> str:
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if number >= size:
            return f"{number / size:g}{suffix}"
    return f"{number:g}"


def _text(value: Any) -> str:
    if value is None or value == "":
        return NONE
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float | Decimal):
        return f"{float(value):g}"
    return str(value)


def _size(customer: Customer) -> str:
    employees = customer.employees
    return NONE if employees is None else _bucket(float(employees), _SIZE_EDGES, "")


def _revenue(customer: Customer) -> str:
    revenue = customer.revenue
    return NONE if revenue is None else _bucket(float(revenue), _REVENUE_EDGES, "")


def reader(name: str) -> Callable[[Customer], str]:
    """How feature ``name`` is read from a customer, as text (buckets for numbers)."""
    if name == "size":
        return _size
    if name == "revenue_band":
        return _revenue
    if name.startswith("custom."):
        key = name.removeprefix("custom.")
        return lambda customer: _text(customer.custom.get(key))
    return lambda customer: _text(getattr(customer, name, None))


def _customer(item: WorkItem | None) -> Customer | None:
    return item.customer if isinstance(item, TaskItem) else item


def raw_value(item: WorkItem | None, name: str) -> str:
    """The customer's value of feature ``name`` as text (buckets for numbers)."""
    customer = _customer(item)
    return NONE if customer is None else reader(name)(customer)


@dataclass(frozen=True)
class FeatureSpec:
    """Which fields are read and which of their values are kept (the rest are "(other)").
    Columns: the bias first, then each field's kept values and its "(other)"."""

    fields: tuple[str, ...]
    values: Mapping[str, tuple[str, ...]]
    columns: tuple[tuple[str, str], ...] = field(init=False)
    index: Mapping[tuple[str, str], int] = field(init=False)
    _readers: tuple[tuple[str, Callable[[Customer], str]], ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        columns: list[tuple[str, str]] = [(BIAS, BIAS)]
        for name in self.fields:
            columns.extend((name, v) for v in self.values.get(name, ()))
            columns.append((name, OTHER))
        object.__setattr__(self, "columns", tuple(columns))
        object.__setattr__(self, "index", {c: i for i, c in enumerate(columns)})
        object.__setattr__(self, "_readers", tuple((n, reader(n)) for n in self.fields))

    @property
    def width(self) -> int:
        """Columns per customer: the bias and one per field."""
        return len(self.fields) + 1

    def values_of(self, item: WorkItem | None) -> list[tuple[str, str]]:
        """(field, value) of each column the customer has, the bias first."""
        customer = _customer(item)
        found = [(BIAS, BIAS)]
        index = self.index
        for name, read in self._readers:
            value = NONE if customer is None else read(customer)
            found.append((name, value if (name, value) in index else OTHER))
        return found

    def encode(self, item: WorkItem | None) -> IntArray:
        """The customer's column indices (length ``width``)."""
        index = self.index
        return np.array([index[c] for c in self.values_of(item)], np.int64)

    def encode_many(self, items: Iterable[WorkItem | None]) -> IntArray:
        """One row of column indices per customer (n × ``width``)."""
        rows = [self.encode(item) for item in items]
        return np.vstack(rows) if rows else np.zeros((0, self.width), np.int64)

    def to_json(self) -> dict[str, Any]:
        return {"fields": list(self.fields), "values": {k: list(v) for k, v in self.values.items()}}

    @classmethod
    def from_json(cls, data: object) -> FeatureSpec:
        """The spec stored in params; ValueError naming what is wrong."""
        if not isinstance(data, Mapping):
            raise ValueError("spec must be an object with fields and values")
        fields, values = data.get("fields"), data.get("values")
        if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
            raise ValueError("spec.fields must be a list of field names")
        if not isinstance(values, Mapping):
            raise ValueError("spec.values must map each field to its kept values")
        kept: dict[str, tuple[str, ...]] = {}
        for name, vals in values.items():
            if not isinstance(vals, list) or not all(isinstance(v, str) for v in vals):
                raise ValueError(f"spec.values.{name} must be a list of text values")
            kept[str(name)] = tuple(vals)
        return cls(tuple(fields), kept)


def learn_spec(
    items: Sequence[WorkItem], fields: Sequence[str] = DEFAULT_FIELDS, *, min_count: int = 10
) -> FeatureSpec:
    """The spec of ``items``: values seen at least ``min_count`` times are kept; a field
    with a single value (or none) tells nothing and is left out."""
    values: dict[str, tuple[str, ...]] = {}
    kept_fields: list[str] = []
    for name in fields:
        counts = Counter(raw_value(item, name) for item in items)
        frequent = sorted(v for v, n in counts.items() if n >= min_count)
        if len(counts) < 2 or not frequent:
            continue
        kept_fields.append(name)
        values[name] = tuple(frequent)
    return FeatureSpec(tuple(kept_fields), values)
