"""An export as an HTTP answer: the file streamed with its download name (API and pages)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo

from fastapi import Request
from fastapi.responses import StreamingResponse

from fenpei.adapters.exports import MEDIA_TYPES, encode
from fenpei.config import Language
from fenpei.services.exports.kinds import ExportWords
from fenpei.services.exports.service import Export
from fenpei.services.ports import UnitOfWork

WordsFactory = Callable[[UnitOfWork, Language, tzinfo], ExportWords]
ROWS_HEADER = "X-Export-Rows"


def export_words_factory(request: Request) -> WordsFactory:
    """The words builder app.py keeps on ``app.state`` (web/_export_words.py)."""
    factory: WordsFactory = request.app.state.export_words
    return factory


def export_response(export: Export) -> StreamingResponse:
    """The file, streamed: CSV a batch at a time, Excel once written (see adapters/exports)."""
    chunks = encode(export.fmt, sheet=export.sheet, headers=export.headers, batches=export.batches)
    return StreamingResponse(
        chunks,
        media_type=MEDIA_TYPES[export.fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{export.filename}"',
            ROWS_HEADER: str(export.rows),
            "Cache-Control": "no-store",
        },
    )
