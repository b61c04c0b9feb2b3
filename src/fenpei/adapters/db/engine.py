"""Engines and sessions: SQLite gets WAL, foreign keys and write-locking transactions."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from fenpei.adapters.db.tables import map_domain

# Rows per multi-row INSERT on PostgreSQL. psycopg re-parses every statement it has not
# cached, and its cost grows faster than the statement: 1,000-row pages (the default)
# made the Maven import several times slower than smaller pages.
PG_INSERT_PAGE = 100
READ_ONLY = "fenpei_read_only"  # execution option a read-only unit of work sets


def make_engine(
    url: str,
    *,
    echo: bool = False,
    pool_size: int = 10,
    max_overflow: int = 20,
    pool_timeout: float = 30.0,
) -> sa.Engine:
    """An engine for ``url``; on SQLite every transaction takes the write lock up front.
    The pool settings apply to PostgreSQL (a request waiting ``pool_timeout`` seconds for
    a connection fails with ``sqlalchemy.exc.TimeoutError``: "busy")."""
    map_domain()
    if not url.startswith("sqlite"):
        return sa.create_engine(
            url,
            echo=echo,
            pool_pre_ping=True,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=pool_timeout,
            insertmanyvalues_page_size=PG_INSERT_PAGE,
        )
    engine = sa.create_engine(url, echo=echo, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if url not in ("sqlite://", "sqlite:///:memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        # SQLite has no row locks: taking the database write lock when the transaction
        # starts is what makes "check capacity, then assign" atomic across processes.
        # Read-only units of work begin deferred, so readers never wait for each other.
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def make_session_factory(engine: sa.Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)
