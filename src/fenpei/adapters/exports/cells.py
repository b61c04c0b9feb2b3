"""The one gate every exported cell passes: text a spreadsheet would run is neutralised.

A cell whose text begins with ``=``, ``+``, ``-`` or ``@`` is read by Excel, LibreOffice and
Google Sheets as a formula (``=HYPERLINK(...)``, ``=cmd|' /C calc'!A0``), and a leading tab
or carriage return hides such a start from a glance while some programs still parse it.
Following OWASP's advice on CSV injection, such text is prefixed with a single quote: the
spreadsheet shows the text, runs nothing, and a person reads the original after the quote.
Numbers stay numbers (a negative amount is a number, not text, so it is not touched).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r")
_DANGEROUS = "".join(DANGEROUS_STARTS)  # one-character starts: a membership test
QUOTE = "'"

Cell = str | int | float | Decimal | None
"""What an export row holds: text, a number, or nothing (an empty cell)."""


def neutralise(text: str) -> str:
    """``text`` as a spreadsheet may show it: quoted when it would start a formula."""
    return QUOTE + text if text and text[0] in _DANGEROUS else text


def safe_cell(value: object) -> Cell:
    """A value ready for a cell: numbers as numbers, everything else as neutralised text."""
    if type(value) is str:  # most cells: the fast path, same rule as ``neutralise``
        return QUOTE + value if value and value[0] in _DANGEROUS else value
    if value is None:
        return None
    if isinstance(value, bool):  # before int: True is an int, but a yes/no is a word
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return neutralise(str(value))
