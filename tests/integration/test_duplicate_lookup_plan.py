"""The duplicate check looks keys up through their indexes (ix_customers_<key>), not by
scanning customers: the statement ``with_keys`` sends is explained on both databases."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from fenpei.bootstrap import Fenpei


def test_with_keys_uses_the_key_indexes(app: Fenpei) -> None:
    sent: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if "phone_key" in statement and statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, parameters))

    sa.event.listen(app.engine, "before_cursor_execute", capture)
    try:
        with app.uow(read_only=True) as uow:
            uow.customers.with_keys({"phone_key": "13800138000", "company_key": "acme"}, limit=21)
    finally:
        sa.event.remove(app.engine, "before_cursor_execute", capture)
    [(statement, parameters)] = sent

    with app.engine.connect() as connection:
        cursor = connection.connection.cursor()
        if app.engine.dialect.name == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
        else:
            cursor.execute("SET enable_seqscan = off")  # a tiny table: ask what it can use
            cursor.execute("EXPLAIN " + statement, parameters)
            plan = " ".join(str(row[0]) for row in cursor.fetchall())
        cursor.close()

    assert "ix_customers_phone_key" in plan and "ix_customers_company_key" in plan, plan
