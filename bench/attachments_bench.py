"""Attachment uploads, in the same run: the whole upload path (read in chunks, count and
hash, sniff, store through the local file store) against its baseline, a plain
``shutil.copyfileobj`` of the same bytes to a file in the same folder; and the peak Python
memory of an upload, which stays flat as the file grows (it is spooled to disk past 1 MiB
and streamed to the store in chunks). No database: the row is one INSERT, measured
elsewhere; this is the part that grows with the file."""

from __future__ import annotations

import io
import shutil
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

from tests.file_samples import minimal_pdf

from fenpei.adapters.storage.local import LocalFileStore
from fenpei.services.files import attachments

SIZES_MIB = (1, 4, 16)
REPEAT = 3


def _pdf_of(size: int) -> bytes:
    head = minimal_pdf("bench")
    return head + b"%" * (size - len(head))


def _upload_path(store: LocalFileStore, data: bytes) -> None:
    """What ``attachments.upload`` does with the bytes, without the row and its audit."""
    spool, size, _ = attachments._spool(io.BytesIO(data), len(data))
    with spool:
        kind = attachments.sniff_spooled(spool, size=size, name="bench.pdf")
        key = attachments.new_key(datetime.now(UTC))
        store.put(key, attachments._chunks_of(spool), kind.content_type)


def _best(work: object) -> float:
    assert callable(work)
    best = float("inf")
    for _ in range(REPEAT):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def run() -> None:
    with tempfile.TemporaryDirectory(prefix="fenpei-bench-files-") as folder:
        root = Path(folder)
        store = LocalFileStore(root / "store")
        print("attachments: upload path vs a plain file copy (best of 3)")
        for mib in SIZES_MIB:
            data = _pdf_of(mib * 1024 * 1024)

            def copy(data: bytes = data) -> None:
                with (root / "copy.bin").open("wb") as out:
                    shutil.copyfileobj(io.BytesIO(data), out, 256 * 1024)

            baseline = _best(copy)
            upload = _best(lambda data=data: _upload_path(store, data))  # type: ignore[misc]
            tracemalloc.start()
            _upload_path(store, data)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(
                f"  {mib:>2} MiB: {upload * 1e3:6.1f} ms = {upload / baseline:4.1f}× the copy "
                f"({baseline * 1e3:5.1f} ms), {mib / upload:6.0f} MiB/s; "
                f"peak Python memory {peak / 1024 / 1024:.2f} MiB "
                f"({peak / len(data):.2f}× the file)"
            )


if __name__ == "__main__":
    run()
