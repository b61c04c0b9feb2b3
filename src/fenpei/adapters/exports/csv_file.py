"""CSV out, a batch at a time: UTF-8 with a byte-order mark, CRLF lines, RFC 4180 quoting.

The byte-order mark is there for Excel: without it Excel opens a CSV in the machine's
"ANSI" code page (GBK on a Chinese Windows), and every Chinese name comes out garbled;
with it Excel reads UTF-8. Other programs (pandas, LibreOffice, Python's ``utf-8-sig``)
skip it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

from fenpei.adapters.exports.cells import safe_cell

BOM = "\ufeff"


def csv_chunks(
    headers: Sequence[str], batches: Iterable[Sequence[Sequence[object]]]
) -> Iterator[bytes]:
    """The file's bytes: the header line first, then one chunk per batch of rows (memory
    holds one batch, whatever the number of rows)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in headers])
    yield (BOM + buffer.getvalue()).encode("utf-8")
    for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([safe_cell(value) for value in row] for row in batch)
        yield buffer.getvalue().encode("utf-8")
