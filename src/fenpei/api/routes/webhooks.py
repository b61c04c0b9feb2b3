"""Signed lead intake for senders that cannot hold a bearer token but can sign a request."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from fenpei.api.idempotent import IdempotencyKey
from fenpei.api.routes.leads import submit_lead
from fenpei.api.schemas import ErrorRead, LeadCreate, LeadRead
from fenpei.http.deps import FenpeiDep, UowDep, actor_of, record_token_use_later
from fenpei.services import tokens, webhooks

LEADS_WRITE = "leads:write"
RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorRead, "description": "A header is missing or wrong; the message names it."},
    403: {"model": ErrorRead, "description": "The token lacks `leads:write`, or its user's role."},
    409: {
        "model": ErrorRead,
        "description": "`webhook_replayed`: this exact signed request was accepted already.",
    },
}
# The body is read raw (the signature covers its exact bytes), so the schema is declared
# here for /docs rather than inferred from a parameter.
_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": LeadCreate.model_json_schema()}},
    }
}
# Tagged "leads": a request that also carries a bearer token needs leads:write, as /leads.
router = APIRouter(prefix="/webhooks", tags=["leads"])


async def raw_body(request: Request) -> bytes:
    return await request.body()


RawBody = Annotated[bytes, Depends(raw_body)]


def parse_lead(raw: bytes) -> LeadCreate:
    """The body as ``LeadCreate``, with errors named as FastAPI names a body's."""
    try:
        data = json.loads(raw)
    except ValueError as exc:  # JSONDecodeError, or bytes that are not UTF-8
        error = {"type": "json_invalid", "loc": ("body",), "msg": f"not JSON: {exc}", "input": {}}
        raise RequestValidationError([error]) from None
    try:
        return LeadCreate.model_validate(data)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
        raise RequestValidationError(errors) from None


@router.post(
    "/leads", status_code=status.HTTP_201_CREATED, responses=RESPONSES, openapi_extra=_BODY
)
def webhook_lead(
    raw: RawBody,
    uow: UowDep,
    fenpei: FenpeiDep,
    background: BackgroundTasks,
    response: Response,
    idempotency_key: IdempotencyKey = None,
    x_fenpei_token_id: Annotated[str | None, Header(description="The token's prefix.")] = None,
    x_fenpei_timestamp: Annotated[str | None, Header(description="Unix seconds.")] = None,
    x_fenpei_signature: Annotated[str | None, Header(description="`sha256=<hex>`.")] = None,
) -> LeadRead:
    """Store and route a lead sent by a system that signs its requests; answers as
    `POST /api/v1/leads` does, with the same body.

    Make a token with the `leads:write` scope (`fenpei tokens create USER --name N
    --scope leads:write`, or `POST /api/v1/tokens`); keep its **webhook secret**, shown
    once beside it. Send three headers:

    - `X-Fenpei-Token-Id`: the token's prefix (`fp_<prefix>_…`);
    - `X-Fenpei-Timestamp`: the current time in whole unix seconds (within 5 minutes of
      the server's clock);
    - `X-Fenpei-Signature`: `sha256=` and the hex HMAC-SHA256 of the timestamp, a dot and
      the exact body bytes, keyed with the webhook secret's text.

    ```python
    import hashlib, hmac, json, time, urllib.request

    prefix = "3f9a1c0b7d2e"
    webhook_secret = "…"  # shown once by `fenpei tokens create`
    body = json.dumps({"name": "Wang Fang 王芳", "region": "East"}).encode()
    timestamp = str(int(time.time()))
    mac = hmac.new(webhook_secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    request = urllib.request.Request(
        "https://fenpei.example.com/api/v1/webhooks/leads",
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Fenpei-Token-Id": prefix,
            "X-Fenpei-Timestamp": timestamp,
            "X-Fenpei-Signature": "sha256=" + mac.hexdigest(),
        },
    )
    urllib.request.urlopen(request)
    ```

    A missing or wrong header, a stale timestamp, or a revoked or expired token is 401 and
    a token without `leads:write` is 403, with nothing stored. Sign the bytes you send:
    re-serialising the JSON after signing changes them.

    Each signed request is processed once: the same bytes with the same headers again
    (a replay by whoever saw them, or a retry) are 409 `webhook_replayed`, with nothing
    stored, also when both copies arrive at once. To retry a request whose answer you did
    not get, sign it again with the current time and send an `Idempotency-Key` with every
    attempt: a retry of one that was stored then answers 200 with the first answer.
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
    tokens.require_scope(token, LEADS_WRITE)
    body = parse_lead(raw)
    record_token_use_later(background, fenpei, token)
    return submit_lead(
        body=body,
        uow=uow,
        actor=actor_of(user, token),
        fenpei=fenpei,
        response=response,
        idempotency_key=idempotency_key,
    )
