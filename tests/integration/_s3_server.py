"""A real S3-compatible server on 127.0.0.1 for the tests: moto's threaded server."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from moto.server import ThreadedMotoServer

from fenpei.adapters.storage.s3 import S3FileStore

ACCESS_KEY = "test-access-key"
SECRET_KEY = "test-secret-key"
REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def s3_server() -> Iterator[str]:
    """The endpoint URL of a fresh local S3 server, stopped afterwards."""
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def s3_store(endpoint: str, *, bucket: str = "fenpei-files", prefix: str = "") -> S3FileStore:
    store = S3FileStore(
        bucket=bucket,
        prefix=prefix,
        endpoint_url=endpoint,
        region=REGION,
        access_key_id=ACCESS_KEY,
        secret_access_key=SECRET_KEY,
    )
    store.ensure_bucket()
    return store
