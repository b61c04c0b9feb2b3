"""What the token API reads and returns. The plaintext appears once, in ``TokenCreated``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from fenpei.http.fields import DATE_RANGE, InDateRange
from fenpei.services.tokens import MAX_NAME_LENGTH, MAX_SCOPES, OwnedToken


class TokenCreate(BaseModel):
    """A token for yourself, or (an admin) for ``username``; it may do what its scopes name."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"name": "web form", "scopes": ["leads:write"], "username": "intake"}]
        },
    )

    name: str = Field(min_length=1, max_length=MAX_NAME_LENGTH, description="What it is for.")
    scopes: list[Annotated[str, Field(max_length=100)]] = Field(
        min_length=1,
        max_length=MAX_SCOPES,
        description="`<area>:read` or `<area>:write` (areas: the API's tags), or `*` for all; "
        f"at most {MAX_SCOPES}.",
    )
    username: str | None = Field(
        None, max_length=64, description="Whose token; yourself if absent (others: admins only)."
    )
    expires_at: Annotated[AwareDatetime, InDateRange] | None = Field(
        None, description=f"It stops working then (with a zone, {DATE_RANGE}); never if absent."
    )


class TokenRead(BaseModel):
    id: int
    name: str
    prefix: str = Field(description="The public part of the token, `fp_<prefix>_…`.")
    user_id: int
    username: str
    scopes: list[str]
    created_at: datetime
    created_by: str | None
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None = Field(description="Recorded at most once a minute.")

    @classmethod
    def of(cls, owned: OwnedToken) -> TokenRead:
        token = owned.token
        assert token.id is not None
        return cls(
            id=token.id,
            name=token.name,
            prefix=token.prefix,
            user_id=token.user_id,
            username=owned.username,
            scopes=list(token.scopes),
            created_at=token.created_at,
            created_by=token.created_by,
            expires_at=token.expires_at,
            revoked_at=token.revoked_at,
            last_used_at=token.last_used_at,
        )


class TokenCreated(TokenRead):
    """The new token; ``token`` and ``webhook_secret`` are shown now and never again."""

    token: str = Field(description="Send as `Authorization: Bearer <token>`.")
    webhook_secret: str = Field(
        description="Signs requests to `POST /api/v1/webhooks/leads` (see its description)."
    )
