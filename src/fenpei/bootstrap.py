"""The composition root: the one place that turns Settings into engines and services."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from random import Random

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from fenpei.adapters.db.engine import make_engine, make_session_factory
from fenpei.adapters.db.uow import SqlUnitOfWork
from fenpei.adapters.files.uploads import TabularFiles
from fenpei.adapters.notify import build_outlets
from fenpei.adapters.passwords import Argon2Hasher
from fenpei.config import Settings
from fenpei.domain.subscriptions import WebhookSubscription
from fenpei.services.imports.ports import TableFiles
from fenpei.services.notifications.dispatch import Outlets
from fenpei.services.ports import Clock, PasswordHasher
from fenpei.services.rulebook import RuleBook


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class Fenpei:
    """Everything wired: hand this to the API, the web pages, the CLI and the jobs."""

    settings: Settings
    engine: sa.Engine
    session_factory: sessionmaker[Session]
    clock: Clock = field(default_factory=SystemClock)
    hasher: PasswordHasher = field(default_factory=Argon2Hasher)
    rulebook: RuleBook = field(default_factory=RuleBook)
    outlets: Outlets = field(default_factory=Outlets)  # where messages go (the worker)
    table_files: TableFiles = field(default_factory=TabularFiles)  # uploads to import

    def uow(self, *, read_only: bool = False) -> SqlUnitOfWork:
        """A unit of work; ``read_only`` ones never take SQLite's write lock."""
        return SqlUnitOfWork(self.session_factory, read_only=read_only)

    def now(self) -> datetime:
        return self.clock.now()

    def rng(self) -> Random:
        """Chance for the random strategy: seeded from the OS, one per request."""
        return Random(secrets.randbits(64))

    def close(self) -> None:
        self.engine.dispose()


def subscription_loader(
    session_factory: sessionmaker[Session],
) -> Callable[[str], WebhookSubscription | None]:
    """Reads a webhook subscription by name as its message is sent (a new URL or secret
    applies from the next attempt), in a read-only transaction of its own."""

    def load(name: str) -> WebhookSubscription | None:
        with SqlUnitOfWork(session_factory, read_only=True) as uow:
            return uow.subscriptions.by_name(name)

    return load


def bootstrap(settings: Settings | None = None, *, clock: Clock | None = None) -> Fenpei:
    """Build fenpei from ``settings`` (read from FENPEI_* when not given)."""
    settings = settings or Settings()
    engine = make_engine(
        settings.database_url,
        echo=settings.sql_echo,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
    )
    session_factory = make_session_factory(engine)
    return Fenpei(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        clock=clock or SystemClock(),
        outlets=build_outlets(settings, subscriptions=subscription_loader(session_factory)),
    )
