"""Throwaway databases for benchmarks: a SQLite file and, when reachable, a PostgreSQL db."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from fenpei.adapters.db.migrate import upgrade
from fenpei.bootstrap import Fenpei, bootstrap
from fenpei.config import Settings
from fenpei.domain.users import SYSTEM
from fenpei.services.categories import ensure_default_categories

PG_ADMIN_URL = os.environ.get(
    "FENPEI_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def postgres_available() -> bool:
    try:
        engine = sa.create_engine(PG_ADMIN_URL)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except sa.exc.OperationalError:
        return False


@contextmanager
def fresh_fenpei(kind: str) -> Iterator[Fenpei]:
    """A migrated fenpei on a new SQLite file or PostgreSQL database, removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield _ready(f"sqlite:///{Path(folder) / 'bench.db'}")
        return
    name = f"fenpei_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield _ready(make_url(PG_ADMIN_URL).set(database=name).render_as_string(False))
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _ready(url: str) -> Fenpei:
    fenpei = bootstrap(Settings(database_url=url))
    upgrade(fenpei.engine)
    with fenpei.uow() as uow:
        ensure_default_categories(uow=uow, actor=SYSTEM, now=fenpei.now())
        uow.commit()
    return fenpei


def kinds() -> list[str]:
    if postgres_available():
        return ["sqlite", "postgres"]
    print(f"  (PostgreSQL at {PG_ADMIN_URL} unreachable: SQLite only)")
    return ["sqlite"]
