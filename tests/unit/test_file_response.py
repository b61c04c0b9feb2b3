"""A streamed attachment closes its file however the answer ends: read to the end, or the
client gone before the first byte or in the middle of the body."""

from __future__ import annotations

import asyncio
import io
import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from fenpei.adapters.storage import CHUNK_BYTES, Chunks
from fenpei.domain.attachments import Attachment
from fenpei.http.downloads import file_response
from fenpei.services.files.attachments import Download

SIZE = 3 * CHUNK_BYTES


def _download(source: io.BytesIO) -> Download:
    found = Attachment(
        customer_id=1, storage_key="attachments/2026/12/a1", file_name="合同.pdf",
        content_type="application/pdf", size_bytes=SIZE, sha256="0" * 64, uploaded_by=None,
        uploader_name="test", uploaded_at=datetime(2026, 12, 1, tzinfo=UTC), id=1,
    )  # fmt: skip
    return Download(found, Chunks(source))


def _serve(download: Download, *, gone_after: int | None) -> list[dict[str, Any]]:
    """Send the file as uvicorn asks for it (ASGI 2.3: the answer listens for the client's
    disconnect) to a client that goes away after ``gone_after`` messages (None: it reads
    everything), in a thread of its own (a test process may run an event loop already).
    The messages it got."""
    got: list[dict[str, Any]] = []

    async def run() -> None:
        gone = asyncio.Event()

        async def receive() -> dict[str, Any]:
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if gone_after is not None and len(got) >= gone_after:
                gone.set()
                await asyncio.Event().wait()  # a client gone sends nothing back
            got.append(message)

        scope = {"type": "http", "asgi": {"spec_version": "2.3"}, "method": "GET"}
        await file_response(download, inline=True)(scope, receive, send)

    thread = threading.Thread(target=asyncio.run, args=(run(),))
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive()
    return got


def test_a_file_read_to_the_end_is_closed() -> None:
    source = io.BytesIO(b"x" * SIZE)
    download = _download(source)  # held: closed by the answer, not by collection

    got = _serve(download, gone_after=None)

    assert b"".join(m.get("body", b"") for m in got) == b"x" * SIZE
    assert source.closed and download.chunks


@pytest.mark.parametrize(
    "gone_after", [0, 1, 2], ids=["before the headers", "before the first byte", "mid-body"]
)
def test_a_file_the_client_left_is_closed(gone_after: int) -> None:
    source = io.BytesIO(b"x" * SIZE)
    download = _download(source)  # held: closed by the answer, not by collection

    got = _serve(download, gone_after=gone_after)

    assert len(got) == gone_after
    assert source.closed and download.chunks
