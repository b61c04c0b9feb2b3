"""`fenpei`: the root command. Each group lives in its own module; this one wires them."""

from __future__ import annotations

import typer

from fenpei.cli import customers, database, imports, jobs, routing, serve, tokens, users

app = typer.Typer(
    name="fenpei",
    help="fenpei (分配): customer assignment — rules, capacity, explained decisions.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(database.app, name="db")
app.add_typer(imports.app, name="import")
app.add_typer(customers.app, name="customers")
app.command("assign")(customers.assign)
app.command("history")(customers.history)
app.command("serve")(serve.serve)
app.command("route")(routing.route)
app.add_typer(routing.rules_app, name="rules")
app.add_typer(jobs.app, name="jobs")
app.add_typer(users.app, name="users")
app.add_typer(tokens.app, name="tokens")


def main() -> None:
    app()
