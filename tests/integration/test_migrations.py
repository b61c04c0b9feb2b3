"""The migrations build exactly the schema the code declares, on SQLite and PostgreSQL: a
table, column, index or constraint added to tables.py without a migration (or a migration
that differs from it) fails here, not in production."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from fenpei.adapters.db.migrate import upgrade
from fenpei.adapters.db.tables import metadata


def test_the_migrated_schema_is_the_declared_schema(database_url: str) -> None:
    engine = sa.create_engine(database_url)
    upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = compare_metadata(context, metadata)
    engine.dispose()

    assert differences == []


_TRIGGERS = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'trigger'",
    "postgresql": "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal",
}


def test_the_triggers_that_keep_rep_loads_survive_every_later_migration(
    database_url: str,
) -> None:
    # On SQLite a batch migration that rebuilds ``customers`` silently drops its triggers.
    engine = sa.create_engine(database_url)
    upgrade(engine)
    with engine.connect() as connection:
        names = set(connection.scalars(sa.text(_TRIGGERS[engine.dialect.name])))
    engine.dispose()

    expected = (
        {"rep_loads_customer_insert", "rep_loads_customer_update", "rep_loads_customer_delete",
         "rep_loads_rep_insert"}
        if engine.dialect.name == "sqlite"
        else {"rep_loads_customer", "rep_loads_rep"}
    )  # fmt: skip
    assert expected <= names
