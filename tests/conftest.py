"""Shared fixtures: a migrated fenpei on SQLite and on PostgreSQL (a fresh database each)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from fenpei.adapters.db.migrate import upgrade
from fenpei.adapters.storage.local import LocalFileStore
from fenpei.bootstrap import Fenpei, bootstrap
from fenpei.config import Settings
from fenpei.domain.users import SYSTEM
from fenpei.services.categories import ensure_default_categories
from tests._apps import take_back
from tests.fakes import FixedClock
from tests.fakes.hasher import QuickArgon2Hasher

PG_ADMIN_URL = os.environ.get(
    "FENPEI_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PG_REQUIRED = os.environ.get("FENPEI_TEST_PG_REQUIRED") == "1" or os.environ.get("CI") == "true"
MAVEN_DIR = Path(__file__).resolve().parents[1] / "src" / "fenpei" / "demo_data" / "maven-crm"


DEFAULT_AT = FixedClock().now()  # where the ``clock`` fixture starts, unless a test moves it

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


# A test database's commits do not wait for the WAL to reach the disk: a commit is as
# visible to every other connection as before (only a server crash could lose the last
# ones, and no test crashes the server), but on a busy machine each fsync took 5-15 ms,
# and the PostgreSQL tests commit thousands of times. Set per database, so other users of
# the server are not affected; CREATE DATABASE … TEMPLATE does not copy it, hence each time.
_NO_FSYNC_WAIT = 'ALTER DATABASE "{}" SET synchronous_commit = off'


def create_pg_database(admin_url: str, *, template: str | None = None) -> str:
    """A new database, empty or a copy of ``template`` (a database's name)."""
    name = f"fenpei_test_{uuid.uuid4().hex[:10]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"{copy}')
        connection.exec_driver_sql(_NO_FSYNC_WAIT.format(name))
    engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(admin_url: str, url: str) -> None:
    name = make_url(url).database
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine.dispose()


# DROP DATABASE waits for a checkpoint (PostgreSQL 15), seconds on a busy machine: a test's
# database is dropped by a thread of its own while the next tests run, all before the session
# ends (a failed drop fails it there).
_dropper = ThreadPoolExecutor(max_workers=4, thread_name_prefix="drop-test-database")
_drops: list[Future[None]] = []
# PostgreSQL databases made as copies of ``postgres_template`` for the ``app`` fixture.
_copies_of_template: set[str] = set()


@pytest.fixture(scope="session", autouse=True)
def _test_databases_dropped() -> Iterator[None]:
    yield
    _dropper.shutdown(wait=True)
    for drop in _drops:
        drop.result()


def _app_copies_the_template(request: pytest.FixtureRequest) -> bool:
    """Whether the test's ``app`` will be a copy of the migrated template (its clock starts at
    the default moment) rather than migrated afresh in an empty database."""
    return "app" in request.fixturenames and request.getfixturevalue("clock").now() == DEFAULT_AT


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new PostgreSQL database. (For the ``app``
    fixture, the PostgreSQL one is made as a copy of the migrated template at once.)"""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fenpei.db'}"
        return
    admin_url = request.getfixturevalue("postgres_admin_url")
    if _app_copies_the_template(request):
        template = request.getfixturevalue("postgres_template")
        url = create_pg_database(admin_url, template=template)
        _copies_of_template.add(url)
    else:
        url = create_pg_database(admin_url)
    try:
        yield url
    finally:
        _copies_of_template.discard(url)
        _drops.append(_dropper.submit(drop_pg_database, admin_url, url))


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


def _recreate_pg_database(url: URL, *, template: str | None = None) -> None:
    """Drop the database at ``url`` and make it again, empty or a copy of ``template``."""
    copy = f' TEMPLATE "{template}"' if template else ""
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE "{url.database}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{url.database}"{copy}')
        connection.exec_driver_sql(_NO_FSYNC_WAIT.format(url.database))
    admin.dispose()


@pytest.fixture
def app(request: pytest.FixtureRequest, database_url: str, clock: FixedClock) -> Iterator[Fenpei]:
    """fenpei wired to a migrated database holding the default categories.

    The database is a copy of one migrated per test process (running every migration for
    each test took most of the suite's time on PostgreSQL); a test whose clock starts
    elsewhere gets its categories stamped with its own time, migrated afresh."""
    url = make_url(database_url)
    copied = database_url in _copies_of_template  # by ``database_url``, as the clock was then
    if clock.now() != DEFAULT_AT:
        if copied:  # a fixture moved the clock since: start from an empty database after all
            _recreate_pg_database(url)
        fenpei = _migrate(database_url, clock)
    else:
        if url.get_backend_name() == "sqlite":
            assert url.database is not None
            shutil.copyfile(request.getfixturevalue("sqlite_template"), url.database)
        elif not copied:
            _recreate_pg_database(url, template=request.getfixturevalue("postgres_template"))
        fenpei = bootstrap(Settings(database_url=database_url), clock=clock)
    # argon2 at its lowest cost: these tests make users and log in, they do not test the cost.
    fenpei.hasher = QuickArgon2Hasher()
    # Attachments' bytes in the test's own folder (FENPEI_FILES_DIR, set by
    # ``_backups_in_tmp``), never the working directory; backups read the same folder.
    fenpei.files = LocalFileStore(fenpei.settings.files_dir)
    yield fenpei
    fenpei.close()


@pytest.fixture(autouse=True)
def _asgi_apps_taken_back() -> Iterator[None]:
    """Autouse, so set up before and torn down after every fixture of a test that uses
    ``asgi_app`` (tests/_apps.py): the apps lent during the test are free for the next."""
    yield
    take_back()


@pytest.fixture(autouse=True)
def _backups_in_tmp(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Backups (the scheduled "backup" job runs in worker tests) and attachment files go to
    a folder of the test's own, never the working directory."""
    folder = tmp_path_factory.mktemp("backups")
    monkeypatch.setenv("FENPEI_BACKUP_DIR", str(folder / "backups"))
    monkeypatch.setenv("FENPEI_FILES_DIR", str(folder / "files"))
