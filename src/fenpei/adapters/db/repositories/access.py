"""API tokens (looked up by their public prefix; last use recorded without a read first) and
the receipts of accepted signed webhook requests."""

from __future__ import annotations

from datetime import datetime
from functools import cache

import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.adapters.db.repositories._base import (
    Repository,
    conflicts_as_domain_errors,
    core_row,
)
from fenpei.domain.access import ApiToken, WebhookReceipt
from fenpei.domain.users import User


@cache
def _by_prefix() -> sa.Select[ApiToken, User]:
    """Built on first use: the domain classes are mapped by the composition root."""
    return (
        sa.select(ApiToken, User)
        .outerjoin(User, t.users.c.id == t.api_tokens.c.user_id)
        .where(t.api_tokens.c.prefix == sa.bindparam("prefix"))
    )


class SqlTokens(Repository):
    # The owner read with the last token looked up. Held here because the session holds
    # the objects it loaded weakly: so the owner check that follows every lookup
    # (``users.get(token.user_id)``) finds them in the session instead of querying.
    _owner: User | None = None

    def add(self, token: ApiToken) -> None:
        self._add(token)

    def get(self, token_id: int) -> ApiToken | None:
        return self.session.get(ApiToken, token_id)

    def by_prefix(self, prefix: str) -> ApiToken | None:
        """The token with this prefix, read in one statement with its owner (see above)."""
        row = self.session.execute(_by_prefix(), {"prefix": prefix}).first()
        if row is None:
            return None
        token, self._owner = row
        return token

    def all(self, *, user_id: int | None = None) -> list[ApiToken]:
        c = t.api_tokens.c
        stmt = sa.select(ApiToken).order_by(c.created_at.desc(), c.id.desc())
        if user_id is not None:
            stmt = stmt.where(c.user_id == user_id)
        return list(self.session.scalars(stmt))

    def touch(self, token_id: int, *, at: datetime, unless_used_since: datetime) -> bool:
        # One conditional UPDATE: concurrent requests with the same token race harmlessly
        # (the loser changes no row), and no row is read or locked beforehand.
        c = t.api_tokens.c
        stmt = (
            sa.update(t.api_tokens)
            .where(c.id == token_id)
            .where(sa.or_(c.last_used_at.is_(None), c.last_used_at < unless_used_since))
            .values(last_used_at=at)
        )
        result = self.session.execute(stmt)
        assert isinstance(result, sa.CursorResult)
        return result.rowcount > 0


class SqlWebhookReceipts(Repository):
    def add(self, receipt: WebhookReceipt) -> None:
        """A Core INSERT, at once: the primary key decides between concurrent replays (on
        PostgreSQL the second waits for the first to commit, then conflicts)."""
        with conflicts_as_domain_errors():
            self.session.execute(
                sa.insert(t.webhook_receipts), [core_row(t.webhook_receipts, receipt)]
            )

    def purge_expired(self, *, now: datetime, limit: int) -> int:
        # SKIP LOCKED (PostgreSQL; SQLite has one writer anyway): rows a concurrent request
        # is deleting are left to it, so two intakes never queue behind each other here.
        c = t.webhook_receipts.c
        expired = (
            sa.select(c.digest)
            .where(c.expires_at < now)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        result = self.session.execute(
            sa.delete(t.webhook_receipts).where(c.digest.in_(expired.scalar_subquery()))
        )
        assert isinstance(result, sa.CursorResult)
        return result.rowcount
