"""Files on local disk, under one folder (``Settings.files_dir``).

A key maps to a path inside the folder and never outside it (keys are checked, and the
resolved path must stay under the root). Writes go to a temporary file in the same
folder, are flushed to disk, then renamed over the target: a reader sees the old file or
the whole new one, never a half-written one, and a failed write leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from fenpei.adapters.storage import Chunks, checked_key
from fenpei.services.files.ports import StoredFileMissing

_TEMP_PREFIX = ".upload-"


class LocalFileStore:
    """Implements ``FileStore`` over a folder, created on first write."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / checked_key(key)).resolve()
        if not path.is_relative_to(self.root) or path == self.root:
            raise ValueError(f"key {key!r} leaves the store's folder")
        return path

    def put(self, key: str, chunks: Iterable[bytes], content_type: str) -> int:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=target.parent)
        written = 0
        try:
            with os.fdopen(handle, "wb") as file:
                for chunk in chunks:
                    file.write(chunk)
                    written += len(chunk)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temp_name, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp_name)
            raise
        return written

    def open(self, key: str) -> Iterator[bytes]:
        path = self._path(key)
        try:
            file = path.open("rb")
        except (FileNotFoundError, IsADirectoryError):
            raise StoredFileMissing(key) from None
        return Chunks(file)

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(key).unlink()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def keys(self, prefix: str = "") -> Iterator[str]:
        if not self.root.is_dir():
            return
        for folder, _dirs, files in os.walk(self.root):
            for name in files:
                if name.startswith(_TEMP_PREFIX):
                    continue
                key = (Path(folder) / name).relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    yield key
