"""`fenpei`: the root command. Each group lives in its own module; this one wires them,
and guards them all: no command ends with a Python traceback (see ``_errors``)."""

from __future__ import annotations

import sys
from typing import Any

import typer
from typer.core import TyperGroup

from fenpei.cli import (
    backups,
    customers,
    database,
    dedupe,
    duplicates,
    exports,
    files,
    follow_ups,
    holdout,
    imports,
    jobs,
    model,
    pools,
    routing,
    serve,
    sla,
    tasks,
    tokens,
    users,
)
from fenpei.cli import sync as sync_cli
from fenpei.cli._errors import errors_reported, report


class GuardedGroup(TyperGroup):
    """The root command: every subcommand runs inside ``errors_reported``, so tests that
    invoke the app (``CliRunner``) see exactly what a user sees."""

    def invoke(self, ctx: Any) -> Any:  # typer's own (vendored) click.Context
        with errors_reported():
            return super().invoke(ctx)


app = typer.Typer(
    name="fenpei",
    cls=GuardedGroup,
    help="fenpei (分配): customer assignment — rules, capacity, explained decisions.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(database.app, name="db")
app.command("doctor")(database.doctor)
app.add_typer(imports.app, name="import")
app.add_typer(customers.app, name="customers")
app.add_typer(follow_ups.app, name="follow-ups")
app.add_typer(tasks.app, name="tasks")
customers.app.command("duplicates")(duplicates.duplicates)
app.command("assign")(customers.assign)
app.command("history")(customers.history)
app.command("serve")(serve.serve)
app.command("route")(routing.route)
app.add_typer(routing.rules_app, name="rules")
app.add_typer(jobs.app, name="jobs")
app.add_typer(jobs.deliveries_app, name="deliveries")
app.command("worker")(jobs.worker)
app.add_typer(users.app, name="users")
app.add_typer(tokens.app, name="tokens")
app.add_typer(sla.holidays_app, name="holidays")
app.add_typer(sla.sla_app, name="sla")
app.add_typer(pools.app, name="pool")
app.add_typer(model.app, name="model")
app.add_typer(holdout.app, name="holdout")
app.add_typer(sync_cli.app, name="sync")
app.add_typer(files.app, name="files")
app.command("export")(exports.export)
app.add_typer(dedupe.app, name="dedupe")
app.command("backup")(backups.backup)
app.command("restore")(backups.restore)
app.add_typer(backups.app, name="backups")


def main() -> None:
    try:
        app()
    except Exception as exc:  # raised outside any command, e.g. while building the tree
        code = report(exc)
        if code is None:
            raise
        sys.exit(code)
