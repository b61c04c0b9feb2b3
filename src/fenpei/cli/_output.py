"""Where commands print, and how: user data is always shown as typed.

Both consoles have rich markup, emoji codes and highlighting turned off, so a customer
named ``[/bold]`` or ``:smile:`` prints as it is (and cannot crash a table or an error
report). Styling is given explicitly, with ``rich.text.Text`` pieces.
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

console = Console(markup=False, emoji=False, highlight=False)
err_console = Console(stderr=True, markup=False, emoji=False, highlight=False)


def one_line(text: str) -> str:
    """``text`` on one line that any UTF-8 terminal can show (lone surrogates escaped)."""
    return " ".join(text.split()).encode("utf-8", "backslashreplace").decode("utf-8")


def labelled(label: str, style: str, text: str) -> Text:
    """``label`` in ``style``, then ``text`` as it is: ``warning: …`` in yellow, say."""
    return Text.assemble((label, style), text)


def say_error(message: str) -> None:
    """One line on stderr: ``Error: message``."""
    err_console.print(labelled("Error:", "red", " " + one_line(message)), soft_wrap=True)
