"""A change of "all customers matching a filter" on a real database: the filter is evaluated
in the transaction that applies it, the matching rows locked as they are selected."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.bootstrap import Fenpei
from fenpei.domain.errors import CapacityExceeded
from fenpei.domain.users import SYSTEM
from fenpei.services import customers, org
from fenpei.services.bulk_matching import assign_matching
from fenpei.services.ports import CustomerQuery

EAST = CustomerQuery(region="East")


def _seed(app: Fenpei, count: int, **rep_fields: object) -> tuple[list[int], list[int]]:
    with app.uow() as uow:
        reps = [
            org.create_rep(
                uow=uow, fields={"name": f"R{i}", **rep_fields}, actor=SYSTEM, now=app.now()
            )
            for i in range(2)
        ]
        made = [
            customers.create_customer(
                uow=uow, fields={"name": f"C{i}", "region": region}, actor=SYSTEM, now=app.now()
            )
            for i in range(count)
            for region in ("East", "West")
        ]
        uow.commit()
    return [c.id for c in made if c.id and c.region == "East"], [r.id for r in reps if r.id]


def _owners(app: Fenpei, ids: list[int]) -> list[int | None]:
    with app.engine.connect() as connection:
        rows = connection.execute(
            sa.select(t.customers.c.owner_id)
            .where(t.customers.c.id.in_(ids))
            .order_by(t.customers.c.id)
        )
        return [owner for (owner,) in rows]


def test_all_matching_customers_are_spread_and_the_others_left_alone(app: Fenpei) -> None:
    east, reps = _seed(app, 40)
    with app.uow() as uow:
        result = assign_matching(
            uow=uow, query=EAST, rep_ids=reps, actor=SYSTEM, now=app.now(), expected=40
        )
        uow.commit()
    assert result.by_rep == {reps[0]: 20, reps[1]: 20}
    assert set(_owners(app, east)) == set(reps)
    with app.engine.connect() as connection:
        west_owned = connection.scalar(
            sa.select(sa.func.count())
            .select_from(t.customers)
            .where(t.customers.c.region == "West", t.customers.c.owner_id.is_not(None))
        )
        bulk_records = connection.scalar(
            sa.select(sa.func.count())
            .select_from(t.assignments)
            .where(t.assignments.c.method == "bulk")
        )
    assert (west_owned, bulk_records) == (0, 40)


def test_a_refusal_for_capacity_writes_nothing(app: Fenpei) -> None:
    east, reps = _seed(app, 12, max_open=5)
    with pytest.raises(CapacityExceeded), app.uow() as uow:
        assign_matching(uow=uow, query=EAST, rep_ids=reps, actor=SYSTEM, now=app.now())
    assert _owners(app, east) == [None] * 12
    with app.engine.connect() as connection:
        assert connection.scalar(sa.select(sa.func.count()).select_from(t.assignments)) == 0


def test_the_matching_rows_are_locked_as_they_are_selected(app: Fenpei) -> None:
    if app.engine.dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL only (SQLite serialises writers)")
    east, _ = _seed(app, 3)
    with app.uow() as uow:
        found = uow.customers.owners_matching(EAST, limit=10)
        assert sorted(found) == sorted(east)
        with app.engine.connect() as other:
            with pytest.raises(sa.exc.OperationalError):
                other.execute(
                    sa.select(t.customers.c.id)
                    .where(t.customers.c.id == east[0])
                    .with_for_update(nowait=True)
                )
            other.rollback()
