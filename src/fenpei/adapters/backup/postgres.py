"""PostgreSQL: ``pg_dump -Fc`` taken in the same snapshot the manifest's checksums are
read from (``pg_export_snapshot``), restored by ``pg_restore`` into an empty database.
The connection reaches the tools by PG* environment variables, never the command line
(where any user of the machine could read the password)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import sqlalchemy as sa

from fenpei.adapters.backup import checksums
from fenpei.adapters.backup.sqlite import TargetNotEmpty
from fenpei.services.backups.manifest import TableDigest

_SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")
_QUERY_TO_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "options": "PGOPTIONS",
}


class ToolFailed(Exception):
    """pg_dump or pg_restore is missing or failed; the message holds its error output."""


def pg_env(url: sa.URL) -> dict[str, str]:
    """The process environment with the PG* variables for ``url``'s connection."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    pairs = {
        "PGHOST": url.host,
        "PGPORT": str(url.port) if url.port else None,
        "PGUSER": url.username,
        "PGPASSWORD": url.password if isinstance(url.password, str) else None,
        "PGDATABASE": url.database,
    }
    for key, value in url.query.items():
        if key in _QUERY_TO_ENV:
            pairs[_QUERY_TO_ENV[key]] = value if isinstance(value, str) else value[-1]
    env.update({k: v for k, v in pairs.items() if v})
    return env


def _run(tool: str, args: list[str], url: sa.URL) -> str:
    path = shutil.which(tool)
    if path is None:
        raise ToolFailed(f"{tool} is not installed (Debian: apt-get install postgresql-client)")
    done = subprocess.run(  # the password goes by PGPASSWORD
        [path, *args], env=pg_env(url), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise ToolFailed(f"{tool} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return done.stdout


def snapshot(engine: sa.Engine, dest: Path) -> tuple[dict[str, TableDigest], str | None]:
    """``pg_dump -Fc`` of the database behind ``engine`` to ``dest``, and the digests and
    schema revision read in the very snapshot it dumped."""
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            exported = connection.scalar(sa.text("SELECT pg_export_snapshot()"))
            _run(
                "pg_dump",
                ["--format=custom", "--no-owner", "--no-privileges",
                 f"--snapshot={exported}", f"--file={dest}"],
                engine.url,
            )  # fmt: skip
            return checksums.digests(connection), checksums.revision(connection)


def list_dump(dump: Path, url: sa.URL) -> str:
    """pg_restore's table of contents of ``dump`` (ToolFailed when it cannot read it)."""
    return _run("pg_restore", ["--list", str(dump)], url)


def check_empty(engine: sa.Engine) -> None:
    """TargetNotEmpty when the database holds any table, view or sequence of its own."""
    with engine.connect() as connection:
        found = connection.scalar(
            sa.text(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') "
                "AND n.nspname NOT IN :system AND n.nspname NOT LIKE 'pg_temp%'"
            ).bindparams(sa.bindparam("system", expanding=True)),
            {"system": list(_SYSTEM_SCHEMAS)},
        )
    if found:
        name = engine.url.database
        raise TargetNotEmpty(
            f"the PostgreSQL database {name!r} is not empty ({found} tables, views or "
            f"sequences): restore into a new, empty database (CREATE DATABASE …)"
        )


def restore(dump: Path, engine: sa.Engine) -> dict[str, TableDigest]:
    """``pg_restore`` ``dump`` into the empty database behind ``engine`` (one transaction:
    all or nothing); its digests afterwards."""
    check_empty(engine)
    _run(
        "pg_restore",
        ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
         f"--dbname={engine.url.database}", str(dump)],
        engine.url,
    )  # fmt: skip
    with engine.connect() as connection:
        return checksums.digests(connection)
