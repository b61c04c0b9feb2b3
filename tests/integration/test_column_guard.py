"""The column guard (adapters/db/types.py) on SQLite and PostgreSQL alike: whatever path
a value takes, what either database would refuse is a ValidationFailed naming the column,
and nothing is written."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.adapters.db.migrate import upgrade
from fenpei.bootstrap import Fenpei, bootstrap
from fenpei.config import Settings
from fenpei.domain.errors import ValidationFailed
from fenpei.domain.limits import DATE_MESSAGE, NUL_MESSAGE, SURROGATE_MESSAGE
from fenpei.domain.users import SYSTEM
from fenpei.services import customers, org
from tests.fakes import FixedClock


def _count(app: Fenpei, table: sa.Table) -> int:
    with app.engine.connect() as connection:
        return connection.scalar(sa.select(sa.func.count()).select_from(table)) or 0


def _counts(app: Fenpei) -> dict[str, int]:
    return {name: _count(app, table) for name, table in t.metadata.tables.items()}


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("name", "a\x00b", NUL_MESSAGE),
        ("name", "a\ud800b", SURROGATE_MESSAGE),
        ("tags", ["ok", "\udfff"], SURROGATE_MESSAGE),
        ("custom", {"note\x00": "x"}, NUL_MESSAGE),
        ("score", float("inf"), "must be a finite number"),
        ("employees", 2**40, "must be between"),
        ("expected_value", Decimal("1e20"), "must be a number below"),
        ("closed_at", datetime(9999, 12, 31, tzinfo=UTC), DATE_MESSAGE),
    ],
)
def test_a_value_a_database_would_refuse_is_named_and_nothing_is_written(
    app: Fenpei, column: str, value: Any, message: str
) -> None:
    with app.uow() as uow:
        created = customers.create_customer(
            uow=uow, fields={"name": "Acme"}, actor=SYSTEM, now=app.now()
        )
        uow.commit()
    before = _counts(app)
    with pytest.raises(ValidationFailed) as refused, app.uow() as uow:
        # Past the service's own checks, straight onto the mapped object: the guard is
        # the last door, the same for every path.
        customer = uow.customers.get(created.id or 0)
        assert customer is not None
        setattr(customer, column, value)
        uow.commit()
    assert message in str(refused.value)
    assert refused.value.errors[0].field.split("[")[0].split(".")[0] == column
    assert _counts(app) == before
    with app.uow() as uow:
        again = uow.customers.get(created.id or 0)
        assert again is not None and again.name == "Acme"


def test_leave_ending_in_year_9999_is_refused_through_the_service(app: Fenpei) -> None:
    with app.uow() as uow:
        rep = org.create_rep(uow=uow, fields={"name": "Moses"}, actor=SYSTEM, now=app.now())
        uow.commit()
    with pytest.raises(ValidationFailed) as refused, app.uow() as uow:
        org.add_leave(
            uow=uow,
            rep_id=rep.id or 0,
            starts_at=datetime(2026, 12, 1, tzinfo=UTC),
            ends_at=datetime(9999, 12, 31, tzinfo=UTC),
            actor=SYSTEM,
            now=app.now(),
        )
        uow.commit()
    assert refused.value.errors[0].field == "ends_at"
    assert _count(app, t.leaves) == 0


def test_json_stored_before_the_guard_reads_back_cleaned(tmp_path: Path) -> None:
    """Only SQLite can hold such a value (PostgreSQL's JSONB refuses a lone surrogate and
    NUL itself): a tag written by an older fenpei reads back with U+FFFD, never an error."""
    app = bootstrap(Settings(database_url=f"sqlite:///{tmp_path / 'old.db'}"), clock=FixedClock())
    upgrade(app.engine)
    with app.uow() as uow:
        created = customers.create_customer(
            uow=uow, fields={"name": "Acme"}, actor=SYSTEM, now=app.now()
        )
        uow.commit()
    with app.engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE customers SET tags = ? WHERE id = ?", ('["x\\ud800", "ok\\u0000"]', created.id)
        )
    with app.uow() as uow:
        customer = uow.customers.get(created.id or 0)
        assert customer is not None
        assert customer.tags == ["x\ufffd", "ok\ufffd"]
    app.close()
