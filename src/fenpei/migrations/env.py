"""Alembic environment: uses the engine handed over by fenpei.adapters.db.migrate."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from fenpei.adapters.db.tables import metadata

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # plain `alembic` CLI during development
    engine = sa.create_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///fenpei.db")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
