"""Idempotent creation: a retried POST with the same ``Idempotency-Key`` gets the first answer.

The record is written in the same transaction as what it created. Two requests racing with
one key both do the work, but only one can commit the key (primary key); the loser rolls
back and replays the winner's answer, so one customer exists either way.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from fenpei.domain.access import IdempotentRequest
from fenpei.domain.errors import Conflict, ValidationFailed
from fenpei.services.ports import UnitOfWork

MAX_KEY = 200


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


def remember(
    *,
    uow: UnitOfWork,
    key: str,
    kind: str,
    payload: object,
    object_id: int,
    response: dict[str, Any],
    now: datetime,
) -> None:
    """Keep the answer under ``key``, in the caller's transaction."""
    uow.idempotency.add(
        IdempotentRequest(
            key=key,
            kind=kind,
            fingerprint=fingerprint(kind, payload),
            object_id=object_id,
            response=response,
            created_at=now,
        )
    )
