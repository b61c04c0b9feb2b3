"""Signed task intake: a system that cannot hold a bearer token but can sign a request
creates tasks, as ``POST /api/v1/webhooks/leads`` creates leads (same headers, secret,
replay protection); the task's origin is ``webhook``."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Header, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from fenpei.api.idempotent import IdempotencyKey
from fenpei.api.routes.tasks import submit_task
from fenpei.api.routes.webhooks import RawBody
from fenpei.api.schemas import ErrorRead
from fenpei.api.task_schemas import TaskCreate, TaskDetailRead
from fenpei.domain.tasks import TaskOrigin
from fenpei.http.deps import FenpeiDep, UowDep, actor_of, record_token_use_later
from fenpei.services import tokens, webhooks

TASKS_WRITE = "tasks:write"
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": TaskDetailRead, "description": "A retry with a used Idempotency-Key."},
    401: {"model": ErrorRead, "description": "A header is missing or wrong; the message names it."},
    403: {"model": ErrorRead, "description": "The token lacks `tasks:write`, or its user's role."},
    404: {"model": ErrorRead, "description": "The assignee named is not one you may give to."},
    409: {
        "model": ErrorRead,
        "description": "`webhook_replayed`: this exact signed request was accepted already; "
        "or an Idempotency-Key reused with another body.",
    },
    422: {"model": ErrorRead, "description": "A bad field, named."},
}
_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        # The same schema as POST /tasks, whose body puts it among the components.
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TaskCreate"}}},
    }
}
# Tagged "tasks": a request that also carries a bearer token needs tasks:write.
router = APIRouter(prefix="/webhooks", tags=["tasks"])


def parse_task(raw: bytes) -> TaskCreate:
    """The body as ``TaskCreate``, with errors named as FastAPI names a body's."""
    try:
        data = json.loads(raw)
    except ValueError as exc:
        error = {"type": "json_invalid", "loc": ("body",), "msg": f"not JSON: {exc}", "input": {}}
        raise RequestValidationError([error]) from None
    try:
        return TaskCreate.model_validate(data)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
        raise RequestValidationError(errors) from None


@router.post(
    "/tasks", status_code=status.HTTP_201_CREATED, responses=RESPONSES, openapi_extra=_BODY
)
def webhook_task(
    raw: RawBody,
    uow: UowDep,
    fenpei: FenpeiDep,
    background: BackgroundTasks,
    response: Response,
    idempotency_key: IdempotencyKey = None,
    x_fenpei_token_id: Annotated[str | None, Header(description="The token's prefix.")] = None,
    x_fenpei_timestamp: Annotated[str | None, Header(description="Unix seconds.")] = None,
    x_fenpei_signature: Annotated[str | None, Header(description="`sha256=<hex>`.")] = None,
) -> TaskDetailRead:
    """Create and route a task sent by a system that signs its requests; the body and the
    answer are those of `POST /api/v1/tasks`.

    Sign exactly as for `POST /api/v1/webhooks/leads` (its description has an example),
    with a token holding the `tasks:write` scope. A missing or wrong header, a stale
    timestamp, or a revoked or expired token is 401; a token without `tasks:write` is 403;
    the same signed request again is 409 `webhook_replayed`; nothing is stored then.
    """
    user, token = webhooks.verify_signed_request(
        uow=uow,
        secret_key=fenpei.settings.secret_key,
        token_id=x_fenpei_token_id,
        timestamp=x_fenpei_timestamp,
        signature_header=x_fenpei_signature,
        body=raw,
        now=fenpei.now(),
    )
    tokens.require_scope(token, TASKS_WRITE)
    body = parse_task(raw)
    record_token_use_later(background, fenpei, token)
    return submit_task(
        body=body,
        uow=uow,
        actor=actor_of(user, token),
        fenpei=fenpei,
        response=response,
        idempotency_key=idempotency_key,
        origin=TaskOrigin.webhook,
    )
