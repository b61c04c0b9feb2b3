"""How a command ends when something goes wrong: a few lines saying what to fix, an exit
code, and never a Python traceback (unless FENPEI_DEBUG=1 asks for one).

Exit codes: 0 done; 1 the input was read and refused (nothing was changed), or an internal
error; 2 the command cannot run as given — a usage error (Typer's own), a file or value
argument that cannot be used, a database without the schema or out of reach, settings or
a ``serve`` host that are refused.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
import typer
from rich.text import Text

from fenpei.cli._output import err_console, one_line, say_error
from fenpei.domain.errors import FenpeiError, ValidationFailed

DEBUG_VARIABLE = "FENPEI_DEBUG"
MAX_LISTED_PROBLEMS = 50


class CannotRun(Exception):
    """The command cannot run as given; its message is one line saying what to change."""

    exit_code = 2


class BadArgument(CannotRun):
    """A command-line argument (a file, a directory, a JSON value) that cannot be used."""

    def __init__(self, argument: str, problem: str, *, path: Path | None = None) -> None:
        self.argument = argument
        self.problem = problem
        self.path = path
        # repr() keeps the path on one line and shows undecodable bytes as escapes.
        where = f"{argument} {str(path)!r}" if path is not None else argument
        super().__init__(f"{where}: {problem}")


def problems_of(exc: ValidationFailed) -> str:
    """Every problem of ``exc`` on one line; a problem with the whole value has no field."""
    return "; ".join(
        e.message if e.field in ("", "file", "body") else f"{e.field}: {e.message}"
        for e in exc.errors
    )


def _say_invalid(exc: ValidationFailed) -> None:
    err_console.print(
        Text.assemble(("Invalid input", "red"), f" ({len(exc.errors)} problem(s)):"),
        soft_wrap=True,
    )
    for error in exc.errors[:MAX_LISTED_PROBLEMS]:
        line = Text.assemble("  ", (one_line(error.field), "bold"), ": ", one_line(error.message))
        err_console.print(line, soft_wrap=True)
    if len(exc.errors) > MAX_LISTED_PROBLEMS:
        err_console.print(f"  … and {len(exc.errors) - MAX_LISTED_PROBLEMS} more")
    err_console.print("Nothing was changed.")


def report(exc: Exception) -> int | None:
    """Tell the user about ``exc`` and return the exit code; None: let it raise (debug)."""
    # The database guard refuses bad values inside SQLAlchemy, which wraps the refusal.
    if isinstance(exc, sa.exc.StatementError) and isinstance(exc.orig, FenpeiError):
        exc = exc.orig
    if isinstance(exc, CannotRun):
        say_error(str(exc))
        return exc.exit_code
    if isinstance(exc, ValidationFailed):
        _say_invalid(exc)
        return 1
    if isinstance(exc, FenpeiError):
        say_error(str(exc))
        return 1
    # Read here rather than from Settings: the settings themselves may be what failed.
    if os.environ.get(DEBUG_VARIABLE, "").strip() not in ("", "0"):
        return None
    err_console.print(
        one_line(
            f"internal error: {type(exc).__name__}: {exc} "
            f"(set {DEBUG_VARIABLE}=1 for the traceback)"
        ),
        soft_wrap=True,
    )
    return 1


@contextmanager
def errors_reported() -> Iterator[None]:
    """Around a command: any exception ends it with ``report``'s lines and exit code.

    Typer's own exits, aborts and usage errors pass through untouched."""
    try:
        yield
    except (typer.Exit, typer.Abort, typer.TyperException):
        raise
    except Exception as exc:
        code = report(exc)
        if code is None:
            raise
        raise typer.Exit(code) from None
