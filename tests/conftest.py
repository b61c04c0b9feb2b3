"""Shared fixtures: a migrated fenpei on SQLite and on PostgreSQL (a fresh database each)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from fenpei.adapters.db.migrate import upgrade
from fenpei.bootstrap import Fenpei, bootstrap
from fenpei.config import Settings
from fenpei.domain.users import SYSTEM
from fenpei.services.categories import ensure_default_categories
from tests.fakes import FixedClock

PG_ADMIN_URL = os.environ.get(
    "FENPEI_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PG_REQUIRED = os.environ.get("FENPEI_TEST_PG_REQUIRED") == "1" or os.environ.get("CI") == "true"
MAVEN_DIR = Path(__file__).resolve().parents[1] / "src" / "fenpei" / "demo_data" / "maven-crm"


_pg_problem: str | None = None


def _postgres_unreachable() -> str | None:
    global _pg_problem
    if _pg_problem is None:
        try:
            engine = sa.create_engine(PG_ADMIN_URL)
            with engine.connect():
                pass
            engine.dispose()
            _pg_problem = ""
        except Exception as exc:  # any failure to connect means "no server"
            _pg_problem = f"PostgreSQL at {PG_ADMIN_URL} unreachable: {type(exc).__name__}"
    return _pg_problem or None


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    problem = _postgres_unreachable()
    if problem:
        if PG_REQUIRED:
            pytest.fail(f"{problem} (required because CI=true)")
        pytest.skip(problem)
    return PG_ADMIN_URL


def create_pg_database(admin_url: str) -> str:
    name = f"fenpei_test_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(admin_url: str, url: str) -> None:
    name = make_url(url).database
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fenpei.db'}"
        return
    admin_url = request.getfixturevalue("postgres_admin_url")
    url = create_pg_database(admin_url)
    try:
        yield url
    finally:
        drop_pg_database(admin_url, url)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


def _migrate(url: str, clock: FixedClock) -> Fenpei:
    fenpei = bootstrap(Settings(database_url=url), clock=clock)
    upgrade(fenpei.engine)
    with fenpei.uow() as uow:
        ensure_default_categories(uow=uow, actor=SYSTEM, now=clock.now())
        uow.commit()
    return fenpei


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file with the default categories, built once per test process."""
    path = tmp_path_factory.mktemp("template") / "fenpei.db"
    _migrate(f"sqlite:///{path}", FixedClock()).close()
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_admin_url: str) -> Iterator[str]:
    """The same as a PostgreSQL database to copy (CREATE DATABASE … TEMPLATE)."""
    url = create_pg_database(postgres_admin_url)
    _migrate(url, FixedClock()).close()
    yield str(make_url(url).database)
    drop_pg_database(postgres_admin_url, url)


@pytest.fixture
def app(request: pytest.FixtureRequest, database_url: str, clock: FixedClock) -> Iterator[Fenpei]:
    """fenpei wired to a migrated database holding the default categories.

    The database is a copy of one migrated per test process (running every migration for
    each test took most of the suite's time on PostgreSQL); a test whose clock starts
    elsewhere gets its categories stamped with its own time, migrated afresh."""
    if clock.now() != FixedClock().now():
        fenpei = _migrate(database_url, clock)
    else:
        url = make_url(database_url)
        if url.get_backend_name() == "sqlite":
            assert url.database is not None
            shutil.copyfile(request.getfixturevalue("sqlite_template"), url.database)
        else:
            template = request.getfixturevalue("postgres_template")
            admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE "{url.database}"')
                connection.exec_driver_sql(
                    f'CREATE DATABASE "{url.database}" TEMPLATE "{template}"'
                )
            admin.dispose()
        fenpei = bootstrap(Settings(database_url=database_url), clock=clock)
    yield fenpei
    fenpei.close()
