"""``FakeTokens`` and ``FakeWebhookReceipts`` over the store, mirroring ``SqlTokens`` and
``SqlWebhookReceipts``."""

from __future__ import annotations

from datetime import datetime

from fenpei.domain.access import ApiToken, WebhookReceipt
from fenpei.domain.errors import Conflict
from tests.fakes.store import Store


class FakeTokens:
    def __init__(self, store: Store) -> None:
        self._store = store

    def add(self, token: ApiToken) -> None:
        self._store.add(self._store.api_tokens, token)

    def get(self, token_id: int) -> ApiToken | None:
        return self._store.api_tokens.rows.get(token_id)

    def by_prefix(self, prefix: str) -> ApiToken | None:
        return next((t for t in self._store.api_tokens if t.prefix == prefix), None)

    def all(self, *, user_id: int | None = None) -> list[ApiToken]:
        found = [t for t in self._store.api_tokens if user_id is None or t.user_id == user_id]
        found.sort(key=lambda t: t.id or 0, reverse=True)
        found.sort(key=lambda t: t.created_at, reverse=True)
        return found

    def touch(self, token_id: int, *, at: datetime, unless_used_since: datetime) -> bool:
        token = self._store.api_tokens.rows.get(token_id)
        if token is None or (
            token.last_used_at is not None and token.last_used_at >= unless_used_since
        ):
            return False
        token.last_used_at = at
        return True


class FakeWebhookReceipts:
    def __init__(self, store: Store) -> None:
        self._store = store

    def add(self, receipt: WebhookReceipt) -> None:
        if receipt.digest in self._store.webhook_receipts.rows:
            raise Conflict(f"webhook receipt {receipt.digest} exists")
        self._store.add(self._store.webhook_receipts, receipt)

    def purge_expired(self, *, now: datetime, limit: int) -> int:
        table = self._store.webhook_receipts
        expired = [r.digest for r in table if r.expires_at < now][:limit]
        for digest in expired:
            self._store.delete(table, digest)
        return len(expired)
