"""The ``Idempotency-Key`` header on POSTs that create: retries get the first answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Header, Response, status
from pydantic import BaseModel

from fenpei.bootstrap import Fenpei
from fenpei.domain.errors import Conflict
from fenpei.services import idempotency
from fenpei.services.ports import UnitOfWork

M = TypeVar("M", bound=BaseModel)

IdempotencyKey = Annotated[
    str | None,
    Header(
        min_length=1,
        max_length=idempotency.MAX_KEY,
        description=(
            "Retrying with the same key returns the first answer (200) and creates nothing "
            "more, also when the retry arrives while the first is still running; the same "
            "key with a different body is a 409."
        ),
    ),
]
REPLAYED_HEADER = "Idempotent-Replayed"


def create_once(
    *,
    uow: UnitOfWork,
    fenpei: Fenpei,
    response: Response,
    key: str | None,
    kind: str,
    payload: object,
    create: Callable[[], tuple[int, M]],
    model: type[M],
) -> M:
    """Run ``create`` (returning the new object's id and the answer) and commit — once per
    key: a known key replays the stored answer with 200 instead.

    The key is claimed before ``create`` runs (``idempotency.claim``), so a concurrent
    request with the same key waits for this one rather than doing the work as well, then
    replays its answer; one that waits too long is a 409 and writes nothing."""

    def replayed() -> M | None:
        assert key is not None
        done = idempotency.replay(uow=uow, key=key, kind=kind, payload=payload)
        if done is None:
            return None
        response.status_code = status.HTTP_200_OK
        response.headers[REPLAYED_HEADER] = "true"
        return model.model_validate(done)

    if key is None:
        _, answer = create()
        uow.commit()
        return answer
    if (done := replayed()) is not None:
        return done
    try:
        claimed = idempotency.claim(uow=uow, key=key, kind=kind, payload=payload, now=fenpei.now())
    except idempotency.KeyInUse:
        uow.rollback()
        raise
    except Conflict:
        # A concurrent request with this key committed while we waited: answer as it did.
        uow.rollback()
        if (done := replayed()) is None:
            raise
        return done
    object_id, answer = create()
    idempotency.settle(claimed, object_id=object_id, response=answer.model_dump(mode="json"))
    uow.commit()
    return answer
