"""What every command shares: building fenpei from settings, and turning errors into text."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from fenpei.bootstrap import Fenpei, bootstrap
from fenpei.domain.errors import FenpeiError, ValidationFailed

console = Console()
err_console = Console(stderr=True)


@contextmanager
def fenpei_app() -> Iterator[Fenpei]:
    """fenpei built from FENPEI_* settings; user errors end the command with exit code 1."""
    app = bootstrap()
    try:
        yield app
    except ValidationFailed as exc:
        err_console.print(f"[red]Invalid input[/red] ({len(exc.errors)} problem(s)):")
        for error in exc.errors[:50]:
            err_console.print(
                f"  [bold]{error.field}[/bold]: {error.message}", markup=True, highlight=False
            )
        if len(exc.errors) > 50:
            err_console.print(f"  … and {len(exc.errors) - 50} more")
        err_console.print("Nothing was changed.")
        raise typer.Exit(1) from None
    except FenpeiError as exc:
        err_console.print(f"[red]Error:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    finally:
        app.close()
