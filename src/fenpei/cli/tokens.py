"""`fenpei tokens …`: API tokens for integrations."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import typer
from rich.table import Table

from fenpei.cli._common import console, err_console, fenpei_app
from fenpei.domain.scopes import KNOWN_SCOPES
from fenpei.domain.users import SYSTEM
from fenpei.services import tokens as token_service
from fenpei.services import webhooks

app = typer.Typer(help="API tokens for integrations (接口令牌).", no_args_is_help=True)


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M") if at is not None else ""


@app.command("create")
def create(
    username: Annotated[str, typer.Argument(help="Whose token: it acts with this user's role.")],
    name: Annotated[str, typer.Option("--name", help="What it is for, e.g. 'web form'.")],
    scope: Annotated[
        list[str],
        typer.Option(
            "--scope",
            help=f"Repeat for each: {', '.join(sorted(KNOWN_SCOPES))}.",
        ),
    ],
    expires_days: Annotated[
        int | None, typer.Option("--expires-days", min=1, help="Stop working after N days.")
    ] = None,
) -> None:
    """Make a token and print it once, with its webhook secret; only a hash is kept."""
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        now = fenpei.now()
        token, plaintext = token_service.create_token(
            uow=uow,
            username=username,
            name=name,
            scopes=scope,
            actor=SYSTEM,
            now=now,
            expires_at=now + timedelta(days=expires_days) if expires_days else None,
        )
        uow.commit()
        secret = webhooks.webhook_secret(secret_key=fenpei.settings.secret_key, prefix=token.prefix)
    console.print(
        f"token {token.id} ({token.name}) for {username.strip()}, scopes: "
        f"{' '.join(token.scopes)}"
        + (f", expires {_when(token.expires_at)} UTC" if token.expires_at else ""),
    )
    console.print(f"token:          {plaintext}", soft_wrap=True)
    console.print(f"webhook secret: {secret}", soft_wrap=True)
    err_console.print(
        "Copy them now: they are not stored and will not be shown again.", style="yellow"
    )


@app.command("list")
def list_tokens(
    user: Annotated[str | None, typer.Option("--user", help="Only this user's tokens.")] = None,
) -> None:
    """List tokens, newest first (times in UTC); never their secrets."""
    with fenpei_app() as fenpei, fenpei.uow(read_only=True) as uow:
        found = token_service.list_tokens(uow=uow, actor=SYSTEM, username=user)
    table = Table(title=f"API tokens ({len(found)})")
    for column in (
        "id", "prefix", "name", "user", "scopes", "created", "last used", "expires", "revoked"
    ):  # fmt: skip
        table.add_column(column)
    for owned in found:
        token = owned.token
        table.add_row(
            str(token.id),
            token.prefix,
            token.name,
            owned.username,
            " ".join(token.scopes),
            _when(token.created_at),
            _when(token.last_used_at),
            _when(token.expires_at),
            _when(token.revoked_at),
        )
    console.print(table)


@app.command("revoke")
def revoke(token_id: Annotated[int, typer.Argument(help="The token's id (see list).")]) -> None:
    """Revoke a token: it stops working at once."""
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        token = token_service.revoke_token(
            uow=uow, token_id=token_id, actor=SYSTEM, now=fenpei.now()
        )
        uow.commit()
    console.print(f"token {token.id} ({token.prefix}, {token.name}) revoked")
