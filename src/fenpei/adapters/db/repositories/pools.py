"""Pools' terms (公海)."""

from __future__ import annotations

import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.adapters.db.repositories._base import Repository
from fenpei.domain.pools import Pool


class SqlPools(Repository):
    def add(self, pool: Pool) -> None:
        self._add(pool)

    def get(self, key: str, *, lock: bool = False) -> Pool | None:
        query = sa.select(Pool).where(t.pools.c.key == key)
        return self.session.scalar(query.with_for_update() if lock else query)

    def all(self) -> list[Pool]:
        return list(self.session.scalars(sa.select(Pool).order_by(t.pools.c.key)))
