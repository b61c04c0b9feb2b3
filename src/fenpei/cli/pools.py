"""`fenpei pool …`: the public pool (公海) from the command line: reclaim (回收)."""

from __future__ import annotations

from typing import Annotated

import typer

from fenpei.cli._common import console, fenpei_app
from fenpei.cli._errors import CannotRun
from fenpei.domain.reclaim import reason_words
from fenpei.jobs.reclaim import run_reclaim
from fenpei.services.pool.reclaim import plan

app = typer.Typer(help="The public pool (公海): reclaim (回收).", no_args_is_help=True)


@app.command("reclaim")
def reclaim(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be reclaimed now, and why.")
    ] = False,
    pool: Annotated[
        str | None, typer.Option("--pool", help="Only this pool's rules (e.g. `public`).")
    ] = None,
) -> None:
    """Warn owners of customers soon due, then reclaim the due ones to their pool (or
    route them again, as the pool says); with --dry-run only list them with why."""
    with fenpei_app() as fenpei:
        if dry_run:
            with fenpei.uow(read_only=True) as uow:
                items = plan(uow=uow, now=fenpei.now(), pool=pool)
            for item in items:  # one line each, whole at any width (greppable)
                console.print(
                    f"#{item.customer_id} {item.name} · owner {item.owner_id} · {item.pool} · "
                    f"{reason_words(item.rule, item.days, item.level)} · since "
                    f"{item.since:%Y-%m-%d %H:%M} · due {item.due:%Y-%m-%d %H:%M} · then "
                    f"{item.action.value}",
                    soft_wrap=True,
                )
            console.print(f"{len(items)} would be reclaimed now")
            return
        report = run_reclaim(fenpei, pool=pool)
    if report is None:
        raise CannotRun("another process is reclaiming now; try again when it is done")
    console.print(report.summary())
