"""The duplicate-keys migration fills the keys of customers written before it (batched)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from fenpei.adapters.db.migrate import upgrade


@pytest.mark.parametrize("rows", [3])
def test_upgrade_backfills_the_keys_of_existing_customers(database_url: str, rows: int) -> None:
    engine = sa.create_engine(database_url)
    upgrade(engine, "20261205_customer_pool_columns")
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO customers (name, phone, email, company_name, stage, tags, custom,"
                " key_account, created_at, updated_at) VALUES (:name, :phone, :email,"
                " :company, 'new', '[]', '{}', false, '2026-01-01 00:00:00',"
                " '2026-01-01 00:00:00')"
            ),
            [
                {"name": "甲", "phone": "+86 138 0013 8000", "email": " Li@Example.COM",
                 "company": "华为技术（中国）有限公司"},
                {"name": "乙", "phone": None, "email": None, "company": "ACME Co., Ltd."},
                {"name": "丙", "phone": "12", "email": None, "company": None},
            ][:rows],
        )  # fmt: skip
    upgrade(engine, "20261205_duplicate_keys")
    with engine.connect() as connection:
        found = connection.execute(
            sa.text("SELECT name, phone_key, email_key, company_key FROM customers ORDER BY id")
        ).all()
    engine.dispose()

    assert [tuple(row) for row in found] == [
        ("甲", "13800138000", "li@example.com", "华为技术"),
        ("乙", None, None, "acme"),
        ("丙", None, None, None),
    ]
