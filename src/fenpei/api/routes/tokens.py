"""API tokens (接口令牌): for integrations that call the API instead of a person."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status

from fenpei.api.schemas import ErrorRead
from fenpei.api.token_schemas import TokenCreate, TokenCreated, TokenRead
from fenpei.http.deps import CurrentActor, FenpeiDep, UowDep
from fenpei.http.fields import MAX_ID, FilterText
from fenpei.services import tokens, webhooks

RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorRead, "description": "Another user's tokens, and not an admin."},
    404: {"model": ErrorRead, "description": "No such user or token (or not yours)."},
}
router = APIRouter(prefix="/tokens", tags=["tokens"])
TokenId = Annotated[int, Path(ge=1, le=MAX_ID, description="The token's id.")]


@router.get("", responses=RESPONSES)
def list_tokens(
    uow: UowDep,
    actor: CurrentActor,
    username: Annotated[FilterText | None, Query(description="Only this user's.")] = None,
) -> list[TokenRead]:
    """Tokens, newest first: an admin sees everyone's, anyone else their own."""
    found = tokens.list_tokens(uow=uow, actor=actor, username=username)
    return [TokenRead.of(owned) for owned in found]


@router.post("", status_code=status.HTTP_201_CREATED, responses=RESPONSES)
def create_token(
    body: TokenCreate, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> TokenCreated:
    """Make a token; the answer holds the token and its webhook secret, shown only now."""
    username = body.username if body.username is not None else actor.name
    token, plaintext = tokens.create_token(
        uow=uow,
        username=username,
        name=body.name,
        scopes=body.scopes,
        actor=actor,
        now=fenpei.now(),
        expires_at=body.expires_at,
    )
    uow.commit()
    read = TokenRead.of(tokens.OwnedToken(token, username.strip()))
    secret = webhooks.webhook_secret(secret_key=fenpei.settings.secret_key, prefix=token.prefix)
    return TokenCreated(**read.model_dump(), token=plaintext, webhook_secret=secret)


@router.delete("/{token_id}", status_code=status.HTTP_204_NO_CONTENT, responses=RESPONSES)
def revoke_token(
    token_id: TokenId, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> Response:
    """Revoke a token: it stops working at once (revoking twice is harmless)."""
    tokens.revoke_token(uow=uow, token_id=token_id, actor=actor, now=fenpei.now())
    uow.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
