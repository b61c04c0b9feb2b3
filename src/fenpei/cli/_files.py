"""Files and folders named on the command line: every command reads them through here.

Only a regular file is read, and at most ``MAX_FILE_BYTES`` of it: a directory, a FIFO
(which would block), a device (``/dev/zero`` never ends), a socket or a file that is too
big is refused before any byte is read. Whatever cannot be used — also text that is not
UTF-8 where UTF-8 is required, or JSON that is invalid or nested too deeply — ends the
command with one line naming the argument and the problem (exit code 2, see ``_errors``).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fenpei.cli._errors import BadArgument, problems_of
from fenpei.domain.errors import ValidationFailed
from fenpei.domain.limits import load_json

# Comfortably above the largest customer file people import (half a million rows of CSV
# is ~60 MB), far below what would strain memory. Tests lower it.
MAX_FILE_BYTES = 128 * 1024 * 1024
# O_NONBLOCK: opening a FIFO must not wait for a writer (the type is checked right after).
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)


def _kind(mode: int) -> str | None:
    """What a non-regular file is, as a problem; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a directory, not a file"
    if stat.S_ISFIFO(mode):
        return "is a named pipe (FIFO), not a regular file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a regular file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a regular file"
    return "is not a regular file"


def _os_problem(exc: OSError | ValueError) -> str:
    if isinstance(exc, FileNotFoundError | NotADirectoryError):
        return "does not exist"
    if isinstance(exc, PermissionError):
        return "cannot be read: permission denied"
    if isinstance(exc, ValueError):  # a NUL byte in the path
        return "is not a valid path"
    return f"cannot be read: {exc.strerror or exc}"


def _too_big(size: int, limit: int) -> str:
    return f"is too large ({size:,} bytes; fenpei reads files of at most {limit:,} bytes)"


def read_bytes(path: Path, *, argument: str) -> bytes:
    """The content of the regular file ``path`` (given as ``argument``), size-bounded."""
    limit = MAX_FILE_BYTES
    try:
        # stat first: nothing that is not a regular file is even opened (a tape rewinds).
        if problem := _kind(os.stat(path).st_mode):
            raise BadArgument(argument, problem, path=path)
        fd = os.open(path, _OPEN_FLAGS)
    except (OSError, ValueError) as exc:
        raise BadArgument(argument, _os_problem(exc), path=path) from None
    with os.fdopen(fd, "rb") as stream:
        info = os.fstat(fd)
        # Checked again on what was opened, in case the path was swapped meanwhile.
        if problem := _kind(info.st_mode):
            raise BadArgument(argument, problem, path=path)
        if info.st_size > limit:
            raise BadArgument(argument, _too_big(info.st_size, limit), path=path)
        try:
            data = stream.read(limit + 1)
        except OSError as exc:
            raise BadArgument(argument, _os_problem(exc), path=path) from None
    if len(data) > limit:  # it grew while being read
        raise BadArgument(argument, _too_big(len(data), limit), path=path)
    return data


def read_text(path: Path, *, argument: str) -> str:
    """A UTF-8 text file (a leading byte-order mark is skipped)."""
    data = read_bytes(path, argument=argument)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        problem = (
            f"is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); save it as UTF-8"
        )
        raise BadArgument(argument, problem, path=path) from None


_JSON_KINDS = {
    "list": "an array", "str": "a string", "int": "a number", "float": "a number",
    "bool": "true or false", "NoneType": "null",
}  # fmt: skip


def json_object(text: str, *, argument: str, path: Path | None = None) -> dict[str, Any]:
    """A JSON object from ``text``, within ``domain.limits`` (depth, text, list sizes)."""
    try:
        value = load_json(text, field="")
    except ValidationFailed as exc:
        raise BadArgument(argument, problems_of(exc), path=path) from None
    if not isinstance(value, dict):
        found = _JSON_KINDS.get(type(value).__name__, "another value")
        raise BadArgument(argument, f"must be a JSON object {{…}}, not {found}", path=path)
    return value


def read_json_object(path: Path, *, argument: str) -> dict[str, Any]:
    """A UTF-8 file holding one JSON object."""
    return json_object(read_text(path, argument=argument), argument=argument, path=path)


def check_directory(path: Path, *, argument: str) -> Path:
    """``path`` itself, if it is a directory."""
    try:
        is_directory = stat.S_ISDIR(os.stat(path).st_mode)
    except (OSError, ValueError) as exc:
        raise BadArgument(argument, _os_problem(exc), path=path) from None
    if not is_directory:
        raise BadArgument(argument, "is not a directory", path=path)
    return path


@contextmanager
def file_argument(path: Path, *, argument: str) -> Iterator[None]:
    """While reading what ``path`` holds, a ``ValidationFailed`` (a file that is not the
    expected CSV, workbook, set of columns …) means the argument cannot be used."""
    try:
        yield
    except ValidationFailed as exc:
        raise BadArgument(argument, problems_of(exc), path=path) from None
