"""Export files: CSV and Excel written a batch at a time, every cell through ``safe_cell``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from fenpei.adapters.exports.csv_file import csv_chunks
from fenpei.adapters.exports.xlsx_file import xlsx_chunks
from fenpei.services.exports.kinds import ExportFormat

MEDIA_TYPES = {
    ExportFormat.csv: "text/csv; charset=utf-8",
    ExportFormat.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def encode(
    fmt: ExportFormat,
    *,
    sheet: str,
    headers: Sequence[str],
    batches: Iterable[Sequence[Sequence[object]]],
) -> Iterator[bytes]:
    """The export file's bytes, in chunks."""
    if fmt is ExportFormat.xlsx:
        return xlsx_chunks(sheet, headers, batches)
    return csv_chunks(headers, batches)
