"""Users, the audit log, and the first answers to idempotent requests."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from fenpei.adapters.db import tables as t
from fenpei.adapters.db.repositories._base import (
    Repository,
    conflicts_as_domain_errors,
    core_row,
)
from fenpei.domain.access import IdempotentRequest
from fenpei.domain.audit import AuditEntry
from fenpei.domain.users import User
from fenpei.services.idempotency import KeyInUse

_INSERT_AUDIT = sa.insert(t.audit_log)
_LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL: lock_timeout ran out


class SqlUsers(Repository):
    def add(self, user: User) -> None:
        self._add(user)

    def by_username(self, username: str) -> User | None:
        return self.session.scalar(sa.select(User).where(t.users.c.username == username))

    def get(self, user_id: int) -> User | None:
        return self.session.get(User, user_id)

    def all(self) -> list[User]:
        return list(self.session.scalars(sa.select(User).order_by(t.users.c.username)))

    def for_reps(self, rep_ids: Collection[int]) -> list[User]:
        c = t.users.c
        query = sa.select(User).where(c.rep_id.in_(list(rep_ids)), c.active).order_by(c.id)
        return list(self.session.scalars(query))

    def bump_session_version(self, user: User) -> None:
        # One UPDATE ... RETURNING computed by the database: two concurrent bumps (a logout
        # and a password reset) make two, where read-add-write could lose one and leave a
        # cookie signed by the other valid. The new value is set on the object as loaded,
        # so the session has nothing more to write for it.
        c = t.users.c
        version = self.session.scalar(
            sa.update(t.users)
            .where(c.id == user.id)
            .values(session_version=c.session_version + 1)
            .returning(c.session_version)
        )
        assert version is not None, f"user {user.id} is not in the database"
        set_committed_value(user, "session_version", version)


class SqlAudit(Repository):
    def add(self, entry: AuditEntry) -> None:
        """Written at once by a Core INSERT: entries are append-only, so the session need
        not track them (no unit-of-work bookkeeping, no id read back; ``entry.id`` stays
        None). A savepoint rolled back takes them back with it, as the database does."""
        self.session.execute(_INSERT_AUDIT, [core_row(t.audit_log, entry)])

    def find(
        self, *, object_type: str | None = None, object_id: str | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        a = t.audit_log.c
        stmt = sa.select(AuditEntry).order_by(a.at.desc(), a.id.desc()).limit(limit)
        if object_type is not None:
            stmt = stmt.where(a.object_type == object_type)
        if object_id is not None:
            stmt = stmt.where(a.object_id == object_id)
        return list(self.session.scalars(stmt))

    def search(
        self,
        *,
        actor: str | None = None,
        object_type: str | None = None,
        object_id: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[list[AuditEntry], int]:
        a = t.audit_log.c
        conditions = [
            column == value
            for column, value in (
                (a.actor, actor),
                (a.object_type, object_type),
                (a.object_id, object_id),
                (a.action, action),
            )
            if value is not None
        ]
        if since is not None:
            conditions.append(a.at >= since)
        if until is not None:
            conditions.append(a.at < until)
        total = self.session.scalar(
            sa.select(sa.func.count()).select_from(t.audit_log).where(*conditions)
        )
        stmt = (
            sa.select(AuditEntry)
            .where(*conditions)
            .order_by(a.at.desc(), a.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return list(self.session.scalars(stmt)), total or 0


class SqlIdempotency(Repository):
    def get(self, key: str) -> IdempotentRequest | None:
        return self.session.get(IdempotentRequest, key)

    def claim(self, request: IdempotentRequest, *, wait: timedelta) -> None:
        """Flush the INSERT at once: a concurrent request holding the key waits here, then
        conflicts if that one committed. On PostgreSQL the wait is bounded by a lock_timeout
        for this INSERT only (SQLite has one writer: nobody holds an uncommitted key)."""
        postgres = self.session.get_bind().dialect.name == "postgresql"
        if postgres:
            self.session.flush()  # earlier changes: the timeout is for the key alone
            timeout_ms = max(1, int(wait / timedelta(milliseconds=1)))
            self.session.execute(sa.text(f"SET LOCAL lock_timeout = {timeout_ms}"))
        self.session.add(request)
        try:
            with conflicts_as_domain_errors():
                self.session.flush()
        except sa.exc.OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
                raise KeyInUse from exc
            raise
        if postgres:
            self.session.execute(sa.text("SET LOCAL lock_timeout TO DEFAULT"))
