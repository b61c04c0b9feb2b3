"""What every command shares: settings, and fenpei built on a database that is ready.

Errors are not handled here: every exception reaches the root command's guard
(``cli/_errors.py``), which turns it into a few lines and an exit code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pydantic
import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from fenpei.adapters.db.migrate import alembic_config
from fenpei.bootstrap import Fenpei, bootstrap
from fenpei.cli._errors import CannotRun
from fenpei.cli._output import console, err_console
from fenpei.config import Settings

__all__ = ["console", "database_revisions", "err_console", "fenpei_app", "load_settings"]

UPGRADE_HINT = "run `fenpei db upgrade`"


def load_settings(**overrides: object) -> Settings:
    """Settings from FENPEI_* (``overrides`` win); invalid ones end the command (exit 2)."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except pydantic.ValidationError as exc:
        problems = "; ".join(
            (f"FENPEI_{'_'.join(map(str, e['loc'])).upper()}: " if e["loc"] else "")
            + e["msg"].removeprefix("Value error, ")
            for e in exc.errors()
        )
        raise CannotRun(f"invalid settings: {problems}") from None


def shown_url(engine: sa.Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _sqlite_file_missing(engine: sa.Engine) -> bool:
    database = engine.url.database
    if engine.url.get_backend_name() != "sqlite" or database in (None, "", ":memory:"):
        return False
    return not Path(database).exists()


def database_revisions(engine: sa.Engine) -> set[str]:
    """The schema revisions the database is at (empty: no fenpei schema); a database that
    cannot be opened ends the command (exit 2). A missing SQLite file is not created."""
    return set() if _sqlite_file_missing(engine) else _open(engine)


def _open(engine: sa.Engine) -> set[str]:
    try:
        with engine.connect() as connection:
            return set(MigrationContext.configure(connection).get_current_heads())
    except sa.exc.DBAPIError as exc:
        reason = exc.orig if exc.orig is not None else exc
        raise CannotRun(f"cannot open the database at {shown_url(engine)}: {reason}") from None


def _check_schema(engine: sa.Engine) -> None:
    """End the command unless the database holds fenpei's newest schema."""
    current = database_revisions(engine)
    url = shown_url(engine)
    if not current:
        raise CannotRun(f"the database at {url} has no fenpei schema: {UPGRADE_HINT}")
    heads = set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())
    if current - heads:
        raise CannotRun(
            f"the database at {url} is at schema revision {', '.join(sorted(current))}, "
            "which this fenpei does not know: install the newer fenpei that made it"
        )
    if current != heads:
        raise CannotRun(f"the database at {url} has an older fenpei schema: {UPGRADE_HINT}")


@contextmanager
def fenpei_app(*, settings: Settings | None = None, schema: bool = True) -> Iterator[Fenpei]:
    """fenpei built from FENPEI_* settings, on a database that can be opened and (unless
    ``schema=False``, for ``db upgrade``) holds the newest schema; closed afterwards."""
    app = bootstrap(settings or load_settings())
    try:
        if schema:
            _check_schema(app.engine)
        else:
            _open(app.engine)
        yield app
    finally:
        app.close()
