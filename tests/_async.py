"""Running a coroutine from a test, whatever the test process did before.

Playwright's sync API (the browser tests, one per session and xdist worker) leaves its
event loop marked as running in the main thread, so ``asyncio.run`` there refuses
("cannot be called from a running event loop") in any later test on that worker. A
thread of its own has no loop to inherit."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
