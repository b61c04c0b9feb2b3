"""`fenpei db …`: schema migrations; `fenpei doctor`: the kept data checked against the
records."""

from __future__ import annotations

from typing import Annotated

import typer

from fenpei.adapters.db.migrate import upgrade as upgrade_schema
from fenpei.cli._common import console, fenpei_app, shown_url
from fenpei.domain.users import SYSTEM
from fenpei.services.categories import ensure_default_categories
from fenpei.services.loads import check_loads
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


def doctor(
    repair: Annotated[
        bool, typer.Option("--repair", help="Overwrite what differs with what the records say.")
    ] = False,
) -> None:
    """Check reps' kept loads (open customers, intake today / this week / this month)
    against the records. Exits 1 if they differ and --repair was not given."""
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        check = check_loads(uow=uow, now=fenpei.now(), repair=repair)
        if repair:
            uow.commit()
    for drift in check.drifts:
        console.print(drift.describe(), markup=False, highlight=False)
    console.print(check.summary(), markup=False, highlight=False)
    if check.drifts and not repair:
        raise typer.Exit(1)
