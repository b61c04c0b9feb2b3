"""Files in S3-compatible object storage (AWS S3, MinIO, Ceph, 阿里云 OSS / 腾讯云 COS in
S3 mode), through boto3 — the optional extra ``fenpei[s3]``.

A put is a multipart upload of the streamed chunks (boto3's managed transfer over a
pipe-like reader), so memory stays bounded by the part size; an object appears only when
the upload completes, so a reader never sees half a file. Keys live under ``prefix``.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from typing import Any

from fenpei.adapters.storage import CHUNK_BYTES, Chunks, checked_key
from fenpei.services.files.ports import StoredFileMissing

_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})


class _ChunkReader(io.RawIOBase):
    """A read-only file over an iterator of chunks, for boto3's ``upload_fileobj``."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._pending = b""
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        self.count += size
        return size


class S3FileStore:
    """Implements ``FileStore`` over one bucket (created if ``create_bucket`` and absent)."""

    def __init__(
        self,
        *,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        client: Any = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        if client is None:
            import boto3  # the optional extra: imported only when S3 is chosen
            from botocore.config import Config

            client = boto3.client(
                "s3",
                endpoint_url=endpoint_url or None,
                region_name=region or None,
                aws_access_key_id=access_key_id or None,
                aws_secret_access_key=secret_access_key or None,
                config=Config(s3={"addressing_style": "path"}, retries={"mode": "standard"}),
            )
        self.client = client

    def _name(self, key: str) -> str:
        return self.prefix + checked_key(key)

    def ensure_bucket(self) -> None:
        """Create the bucket if it does not exist (tests, first start of a dev MinIO)."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except Exception as exc:
            if _error_code(exc) not in _MISSING:
                raise
            self.client.create_bucket(Bucket=self.bucket)

    def put(self, key: str, chunks: Iterable[bytes], content_type: str) -> int:
        reader = _ChunkReader(chunks)
        self.client.upload_fileobj(
            io.BufferedReader(reader, CHUNK_BYTES),
            self.bucket,
            self._name(key),
            ExtraArgs={"ContentType": content_type},
        )
        return reader.count

    def open(self, key: str) -> Iterator[bytes]:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        except Exception as exc:
            if _error_code(exc) in _MISSING:
                raise StoredFileMissing(key) from None
            raise
        body = answer["Body"]
        return Chunks(body)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except Exception as exc:
            if _error_code(exc) in _MISSING:
                return False
            raise
        return True

    def keys(self, prefix: str = "") -> Iterator[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + prefix
        )
        for page in pages:
            for item in page.get("Contents", ()):
                yield str(item["Key"])[len(self.prefix) :]


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""
