"""`fenpei sync …`: CRM sync (同步) — run a connection now, see each one's state, reset a
pull cursor."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from fenpei.bootstrap import run_sync_connection
from fenpei.cli._common import console, fenpei_app
from fenpei.config import SyncKind
from fenpei.domain.errors import NotFound
from fenpei.domain.users import SYSTEM
from fenpei.services.sync import run

app = typer.Typer(
    help="CRM sync (同步): pull customers and owners, push owner changes.", no_args_is_help=True
)

Name = Annotated[str, typer.Argument(help="The connection's name (FENPEI_SYNC_CONNECTIONS).")]


@app.command("run")
def run_command(
    name: Annotated[
        str | None, typer.Argument(help="One connection; all with an adapter when left out.")
    ] = None,
) -> None:
    """Pull what changed in the CRM, then push owner changes made here."""
    with fenpei_app() as fenpei:
        names = [c.name for c in fenpei.settings.sync_connections if c.kind is SyncKind.zoho]
        if name is not None:
            if name not in {c.name for c in fenpei.settings.sync_connections}:
                raise NotFound("sync connection", name)
            names = [name]
        if not names:
            console.print(
                "No CRM connection with an adapter is configured (FENPEI_SYNC_CONNECTIONS)."
            )
        failed = False
        for each in names:
            counts = run_sync_connection(fenpei, each, actor=SYSTEM)
            if counts is None:
                console.print(f"{each}: skipped, another process is syncing it")
                continue
            console.print(f"{each}: {counts.summary()}", markup=False)
            for error in counts.errors:
                console.print(f"  error: {error}", markup=False)
            failed = failed or bool(counts.errors)
        if failed:
            raise typer.Exit(1)


@app.command("status")
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Each connection: cursors, links, pushes by status, last run and error."""
    with fenpei_app() as fenpei, fenpei.uow(read_only=True) as uow:
        configured = {c.name: (c.kind.value, c.module) for c in fenpei.settings.sync_connections}
        found = run.statuses(uow=uow, connections=configured, actor=SYSTEM)
        if as_json:
            typer.echo(json.dumps([s.as_dict() for s in found], ensure_ascii=False, indent=2))
            return
        table = Table(
            "connection",
            "kind",
            "module",
            "pull cursor",
            "push cursor",
            "links",
            "pushes",
            "last run",
            "last error",
        )
        for s in found:
            pulled, ran = s.state.pull_cursor, s.state.last_run_at
            table.add_row(
                s.name, s.kind, s.module,
                pulled.isoformat(timespec="seconds") if pulled else "",
                str(s.state.push_cursor), str(s.links),
                ", ".join(f"{n} {k}" for k, n in sorted(s.pushes.items())),
                ran.isoformat(timespec="seconds") if ran else "never",
                s.state.last_error or "",
            )  # fmt: skip
        console.print(table)


@app.command("reset-cursor")
def reset_cursor(name: Name) -> None:
    """Pull every record again on the next run (linked ones update, never duplicate)."""
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        known = {c.name for c in fenpei.settings.sync_connections}
        run.reset_pull_cursor(uow=uow, connection=name, known=known, actor=SYSTEM, now=fenpei.now())
        uow.commit()
    console.print(f"{name}: the next run pulls every record again")
