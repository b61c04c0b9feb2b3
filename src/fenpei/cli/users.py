"""`fenpei users …`: people who log in."""

from __future__ import annotations

from typing import Annotated

import typer

from fenpei.cli._common import console, fenpei_app
from fenpei.domain.users import SYSTEM, Role
from fenpei.services import users as user_service
from fenpei.services.org import find_rep

app = typer.Typer(help="Users who log in (用户).", no_args_is_help=True)


@app.command("create")
def create(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[Role, typer.Option(help="admin, manager, rep or auditor.")] = Role.rep,
    rep: Annotated[str | None, typer.Option(help="The rep this user is (id or name).")] = None,
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
) -> None:
    """Add a user with a one-time password (printed once; changed at first login)."""
    password = user_service.one_time_password()
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        rep_id = find_rep(uow=uow, ref=rep).id if rep else None
        user_service.create_user(
            uow=uow,
            hasher=fenpei.hasher,
            username=username,
            password=password,
            role=role,
            actor=SYSTEM,
            now=fenpei.now(),
            display_name=name,
            rep_id=rep_id,
            must_change_password=True,
        )
        uow.commit()
    console.print(
        f"user {username} ({role.value}) created; one-time password: {password}",
    )


@app.command("reset-password")
def reset_password(username: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Replace a user's password with a one-time password (printed once)."""
    password = user_service.one_time_password()
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        user_service.reset_password(
            uow=uow,
            hasher=fenpei.hasher,
            username=username,
            password=password,
            actor=SYSTEM,
            now=fenpei.now(),
        )
        uow.commit()
    console.print(f"new one-time password for {username}: {password}")


@app.command("deactivate")
def deactivate(username: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Stop a user from logging in: their sessions end and their API tokens stop working."""
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        user_service.deactivate_user(uow=uow, username=username, actor=SYSTEM, now=fenpei.now())
        uow.commit()
    console.print(f"user {username} deactivated; their sessions and API tokens no longer work")
