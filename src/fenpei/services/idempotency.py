"""Idempotent creation: a retried POST with the same ``Idempotency-Key`` gets the first answer.

The key is claimed before the work is done: ``claim`` inserts its row at once (the kind and
fingerprint known; ``object_id`` 0 and an empty response until ``settle`` fills them in, in
the same transaction, before commit), so no other transaction ever sees a placeholder
committed. A concurrent request with the same key therefore waits at its own claim rather
than doing the work a second time:

- on PostgreSQL its INSERT of the same primary key blocks until the first transaction ends.
  If that committed, the claim is a ``Conflict`` (the caller rolls back and replays the
  stored answer); if it rolled back, the claim succeeds and this request does the work. The
  wait is bounded (``CLAIM_WAIT``): past it the claim is ``KeyInUse``, and nothing is kept;
- on SQLite writers are serial (every write transaction begins IMMEDIATE), so a second
  request only starts once the first has ended and finds its key committed, or not there.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from fenpei.domain.access import IdempotentRequest
from fenpei.domain.errors import Conflict, ValidationFailed
from fenpei.services.ports import UnitOfWork

MAX_KEY = 200
# How long a claim waits for a concurrent request holding the same key to finish.
CLAIM_WAIT = timedelta(seconds=30)


class KeyInUse(Conflict):
    """A concurrent request holding the key did not finish within ``CLAIM_WAIT``."""

    def __init__(self) -> None:
        super().__init__("a request with this key is still being processed; retry")


def fingerprint(kind: str, payload: object) -> str:
    """The request's identity: its kind and body, as canonical JSON, hashed."""
    canonical = json.dumps([kind, payload], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_key(key: str) -> None:
    if not 1 <= len(key) <= MAX_KEY or not key.isprintable():
        raise ValidationFailed.one(
            "Idempotency-Key", f"must be 1 to {MAX_KEY} printable characters"
        )


def replay(*, uow: UnitOfWork, key: str, kind: str, payload: object) -> dict[str, Any] | None:
    """The first answer given under ``key`` if it was this same request; None if the key is
    new; a Conflict if it was used for a different request."""
    check_key(key)
    done = uow.idempotency.get(key)
    if done is None:
        return None
    if (done.kind, done.fingerprint) != (kind, fingerprint(kind, payload)):
        raise Conflict(f"idempotency key {key!r} was used for another request")
    return done.response


def claim(
    *, uow: UnitOfWork, key: str, kind: str, payload: object, now: datetime
) -> IdempotentRequest:
    """Take ``key`` for this request, in the caller's transaction, before doing its work:
    a placeholder row, filled in by ``settle`` before commit.

    A ``Conflict`` if a concurrent request committed the key meanwhile (roll back, then
    ``replay``); ``KeyInUse`` if one still held it after ``CLAIM_WAIT`` (roll back)."""
    check_key(key)
    claimed = IdempotentRequest(
        key=key,
        kind=kind,
        fingerprint=fingerprint(kind, payload),
        object_id=0,
        response={},
        created_at=now,
    )
    uow.idempotency.claim(claimed, wait=CLAIM_WAIT)
    return claimed


def settle(claimed: IdempotentRequest, *, object_id: int, response: dict[str, Any]) -> None:
    """Keep the answer under the key ``claim`` took; saved when the transaction commits."""
    claimed.object_id = object_id
    claimed.response = response
