"""Maven import: fenpei's one-transaction batch path vs a row-at-a-time first version."""

from __future__ import annotations

import time

import sqlalchemy as sa

from bench._databases import fresh_fenpei, kinds
from fenpei.adapters.db import tables as t
from fenpei.adapters.maven import read_maven
from fenpei.bootstrap import Fenpei
from fenpei.cli.imports import BUNDLED_MAVEN
from fenpei.domain.users import SYSTEM
from fenpei.services.maven_import import MavenData, import_maven

NAIVE_ROWS = 1000  # the naive path is slow; time a slice and compare per row


def fenpei_import(fenpei: Fenpei, data: MavenData) -> float:
    started = time.perf_counter()
    with fenpei.uow() as uow:
        import_maven(uow=uow, data=data, actor=SYSTEM, now=fenpei.now())
        uow.commit()
    return time.perf_counter() - started


def naive_import(fenpei: Fenpei, data: MavenData) -> float:
    """What a first version does: per opportunity, look the rep up and commit 2 inserts."""
    now = fenpei.now()
    started = time.perf_counter()
    with fenpei.engine.connect() as connection:
        for _, row in data.pipeline[:NAIVE_ROWS]:
            rep_id = connection.scalar(
                sa.select(t.reps.c.id).where(t.reps.c.name == row["sales_agent"])
            )
            customer_id = connection.scalar(
                sa.insert(t.customers)
                .values(
                    name=f"{row['account']} · {row['product']}",
                    external_id=f"naive:{row['opportunity_id']}",
                    owner_id=rep_id,
                    stage="new",
                    tags=[],
                    custom={},
                    created_at=now,
                    updated_at=now,
                )
                .returning(t.customers.c.id)
            )
            connection.execute(
                sa.insert(t.assignments).values(
                    customer_id=customer_id,
                    to_rep_id=rep_id,
                    method="import",
                    at=now,
                    actor="bench",
                    explanation={},
                    capacity_override=False,
                )
            )
            connection.commit()
    return time.perf_counter() - started


def run() -> None:
    print("\n== Maven import (8,800 opportunities) ==")
    data = read_maven(BUNDLED_MAVEN)
    rows = len(data.pipeline)
    for kind in kinds():
        with fresh_fenpei(kind) as fenpei:
            ours = fenpei_import(fenpei, data)  # also creates the reps the naive path needs
            naive = naive_import(fenpei, data)
            fenpei.close()
        ours_per_row = ours / rows
        naive_per_row = naive / NAIVE_ROWS
        print(
            f"  {kind:8} fenpei {rows / ours:8.0f} rows/s | naive row-at-a-time "
            f"{NAIVE_ROWS / naive:7.0f} rows/s | fenpei is {naive_per_row / ours_per_row:5.1f}x "
            "faster per row"
        )
