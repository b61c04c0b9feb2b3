"""Categories and custom attribute definitions."""

from __future__ import annotations

import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.adapters.db.repositories._base import Repository
from fenpei.domain.categories import Category, CategoryValue
from fenpei.domain.custom_fields import CustomField


class SqlCategories(Repository):
    def add(self, category: Category) -> None:
        self._add(category)

    def get(self, key: str) -> Category | None:
        return self.session.scalar(sa.select(Category).where(t.categories.c.key == key))

    def all(self) -> list[Category]:
        return list(self.session.scalars(sa.select(Category).order_by(t.categories.c.key)))

    def add_value(self, value: CategoryValue) -> None:
        self._add(value)

    def values(self, category_id: int) -> list[CategoryValue]:
        v = t.category_values.c
        return list(
            self.session.scalars(
                sa.select(CategoryValue)
                .where(v.category_id == category_id)
                .order_by(v.position, v.id)
            )
        )

    def all_values(self) -> list[CategoryValue]:
        """Every value of every dimension, ordered as ``values`` orders one dimension's."""
        v = t.category_values.c
        return list(
            self.session.scalars(sa.select(CategoryValue).order_by(v.category_id, v.position, v.id))
        )


class SqlCustomFields(Repository):
    def add(self, definition: CustomField) -> None:
        self._add(definition)

    def all(self) -> list[CustomField]:
        return list(self.session.scalars(sa.select(CustomField).order_by(t.custom_fields.c.key)))
