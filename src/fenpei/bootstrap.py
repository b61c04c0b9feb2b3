"""The composition root: the one place that turns Settings into engines and services."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from random import Random

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from fenpei.adapters.backup.store import directory_backups
from fenpei.adapters.db.engine import make_engine, make_session_factory
from fenpei.adapters.db.uow import SqlUnitOfWork
from fenpei.adapters.files.uploads import TabularFiles
from fenpei.adapters.notify import build_outlets
from fenpei.adapters.passwords import Argon2Hasher
from fenpei.adapters.storage.local import LocalFileStore
from fenpei.config import Settings, StorageKind
from fenpei.domain.errors import NotFound
from fenpei.domain.subscriptions import WebhookSubscription
from fenpei.domain.sync import SyncCounts
from fenpei.domain.users import Actor
from fenpei.services.backups.entries import BackupStore
from fenpei.services.files.ports import FileStore
from fenpei.services.imports.ports import TableFiles
from fenpei.services.notifications.dispatch import Outlets
from fenpei.services.ports import Clock, PasswordHasher
from fenpei.services.rulebook import RuleBook
from fenpei.services.sync.ports import CrmAdapter


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
    # Where attachments' bytes are kept (FENPEI_STORAGE): a folder or object storage.
    files: FileStore = field(default_factory=lambda: LocalFileStore(Path("fenpei-files")))
    table_files: TableFiles = field(default_factory=TabularFiles)  # uploads to import

    def uow(self, *, read_only: bool = False) -> SqlUnitOfWork:
        """A unit of work; ``read_only`` ones never take SQLite's write lock."""
        return SqlUnitOfWork(self.session_factory, read_only=read_only)

    def now(self) -> datetime:
        return self.clock.now()

    def rng(self) -> Random:
        """Chance for the random strategy: seeded from the OS, one per request."""
        return Random(secrets.randbits(64))

    def backups(self) -> BackupStore:
        """Where backups are kept (FENPEI_BACKUP_DIR), with the files they include."""
        return directory_backups(self.settings, self.engine)

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


def build_file_store(settings: Settings) -> FileStore:
    """The file store ``settings`` choose: local disk, or S3 (needs the fenpei[s3] extra)."""
    if settings.storage is StorageKind.s3:
        from fenpei.adapters.storage.s3 import S3FileStore

        return S3FileStore(
            bucket=settings.s3_bucket,
            prefix=settings.s3_prefix,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
        )
    return LocalFileStore(settings.files_dir)


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
        files=build_file_store(settings),
    )


def crm_adapter(
    fenpei: Fenpei, name: str, *, sleep: Callable[[float], None] | None = None
) -> CrmAdapter:
    """The adapter of the sync connection ``name`` (settings), waiting out rate limits
    with ``sleep`` (time.sleep unless given). ``NotFound`` for an unknown connection or a
    bridge (it has no adapter: records come by webhook, assignments go as CSV)."""
    from fenpei.adapters.crm.zoho import ZohoAdapter
    from fenpei.config import SyncKind

    found = next((c for c in fenpei.settings.sync_connections if c.name == name), None)
    if found is None or found.kind is not SyncKind.zoho:
        raise NotFound("sync connection with an adapter", name)
    return ZohoAdapter(
        name=found.name,
        module=found.module,
        accounts_url=found.accounts_url,
        api_url=found.api_url,
        client_id=found.client_id,
        client_secret=found.client_secret.get_secret_value(),
        refresh_token=found.refresh_token.get_secret_value(),
        now=fenpei.now,
        sleep=sleep or time.sleep,
        field_map=found.field_map,
        timeout=found.timeout_seconds,
    )


def run_sync_connection(
    fenpei: Fenpei,
    name: str,
    *,
    actor: Actor,
    sleep: Callable[[float], None] | None = None,
) -> SyncCounts | None:
    """One sync run of connection ``name`` (pull, then push), by one process at a time
    across all of them: None when another process is running it."""
    from fenpei.adapters.db.job_lock import job_lock
    from fenpei.services.sync.run import run_sync

    adapter = crm_adapter(fenpei, name, sleep=sleep)
    found = next(c for c in fenpei.settings.sync_connections if c.name == name)
    with job_lock(fenpei.engine, f"crm-sync:{name}") as held:
        if not held:
            return None
        return run_sync(
            uow_factory=fenpei.uow,
            adapter=adapter,
            rulebook=fenpei.rulebook,
            actor=actor,
            now=fenpei.now,
            rng=fenpei.rng(),
            user_map=found.user_map,
            do_pull=found.pull,
            do_push=found.push,
        )
