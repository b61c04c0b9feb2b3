"""`fenpei db …`: schema migrations."""

from __future__ import annotations

import typer

from fenpei.adapters.db.migrate import upgrade as upgrade_schema
from fenpei.cli._common import console, fenpei_app, shown_url
from fenpei.domain.users import SYSTEM
from fenpei.services.categories import ensure_default_categories
from fenpei.services.rules import ensure_default_rule

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command()
def upgrade() -> None:
    """Create or migrate the schema to the newest revision (FENPEI_DATABASE_URL)."""
    with fenpei_app(schema=False) as fenpei:
        upgrade_schema(fenpei.engine)
        with fenpei.uow() as uow:
            ensure_default_categories(uow=uow, actor=SYSTEM, now=fenpei.now())
            ensure_default_rule(uow=uow, actor=SYSTEM, now=fenpei.now())
            uow.commit()
        console.print(f"Schema is up to date: {shown_url(fenpei.engine)}")
