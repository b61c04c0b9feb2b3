"""Fill the duplicate check's keys (phone_key, email_key, company_key) of existing
customers, in batches by id; new writes keep them through ``Customer`` itself.

Revision ID: 20261205_duplicate_keys
Revises: 20261205_pool_reclaim_terms
Create Date: 2026-12-05 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fenpei.domain.duplicates import customer_keys

revision = "20261205_duplicate_keys"
down_revision = "20261205_pool_reclaim_terms"
branch_labels = None
depends_on = None

BATCH = 2_000

_customers = sa.table(
    "customers",
    sa.column("id", sa.Integer),
    sa.column("phone", sa.String),
    sa.column("email", sa.String),
    sa.column("company_name", sa.String),
    sa.column("phone_key", sa.String),
    sa.column("email_key", sa.String),
    sa.column("company_key", sa.String),
)


def upgrade() -> None:
    bind = op.get_bind()
    c = _customers.c
    update = (
        sa.update(_customers)
        .where(c.id == sa.bindparam("row_id"))
        .values(
            phone_key=sa.bindparam("phone_key"),
            email_key=sa.bindparam("email_key"),
            company_key=sa.bindparam("company_key"),
        )
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(c.id, c.phone, c.email, c.company_name)
            .where(c.id > last)
            .order_by(c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        changes = [
            {"row_id": row_id, **customer_keys(phone=phone, email=email, company_name=company)}
            for row_id, phone, email, company in rows
        ]
        bind.execute(update, changes)
        last = rows[-1][0]


def downgrade() -> None:
    op.execute(sa.update(_customers).values(phone_key=None, email_key=None, company_key=None))
