"""The SQL unit of work: one session, one transaction, the repositories over it."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from fenpei.adapters.db import repositories as repo
from fenpei.adapters.db.engine import READ_ONLY
from fenpei.adapters.db.repositories import conflicts_as_domain_errors
from fenpei.adapters.db.repositories.analytics import SqlAnalyticsReads
from fenpei.adapters.db.repositories.follow_ups import SqlFollowUps, SqlStageChanges
from fenpei.adapters.db.repositories.holdout import SqlHoldout
from fenpei.adapters.db.repositories.import_jobs import SqlImportJobs
from fenpei.adapters.db.repositories.jobs import SqlJobRuns
from fenpei.adapters.db.repositories.outbox import SqlInbox, SqlOutbox
from fenpei.adapters.db.repositories.pools import SqlPools
from fenpei.adapters.db.repositories.preferences import SqlPreferences
from fenpei.adapters.db.repositories.reclaim import SqlReclaim
from fenpei.adapters.db.repositories.scoring import SqlScoreModels
from fenpei.adapters.db.repositories.sla import SqlSla
from fenpei.adapters.db.repositories.subscriptions import SqlSubscriptions
from fenpei.adapters.db.repositories.sync import SqlSync
from fenpei.adapters.db.repositories.task_timers import SqlTaskTimers
from fenpei.adapters.db.repositories.tasks import SqlTasks
from fenpei.domain.errors import FenpeiError
from fenpei.services import ports
from fenpei.services.holdout.ports import HoldoutRepository
from fenpei.services.notifications.ports import (
    InboxRepository,
    OutboxRepository,
    PreferenceRepository,
    SubscriptionRepository,
)
from fenpei.services.scoring.ports import ScoreModelRepository
from fenpei.services.sla.ports import SlaRepository
from fenpei.services.sync.ports import SyncRepository
from fenpei.services.tasks.timer_ports import TaskTimerRepository


class SqlSavepoint:
    def __init__(self, transaction: SessionTransaction) -> None:
        self._transaction = transaction

    def rollback(self) -> None:
        self._transaction.rollback()

    def release(self) -> None:
        with conflicts_as_domain_errors():
            self._transaction.commit()


class SqlUnitOfWork:
    """Implements ``ports.UnitOfWork``; repositories exist only inside ``with``."""

    customers: ports.CustomerRepository
    reps: ports.RepRepository
    teams: ports.TeamRepository
    companies: ports.CompanyRepository
    categories: ports.CategoryRepository
    custom_fields: ports.CustomFieldRepository
    assignments: ports.AssignmentRepository
    pools: ports.PoolRepository
    reclaim: ports.ReclaimRepository
    audit: ports.AuditRepository
    users: ports.UserRepository
    rules: ports.RuleRepository
    routing: ports.RoutingReadModel
    idempotency: ports.IdempotencyRepository
    tokens: ports.TokenRepository
    login_failures: ports.LoginFailureRepository
    analytics: ports.AnalyticsReads
    webhook_receipts: ports.WebhookReceiptRepository
    outbox: OutboxRepository
    inbox: InboxRepository
    job_runs: ports.JobRunRepository
    subscriptions: SubscriptionRepository
    preferences: PreferenceRepository
    import_jobs: ports.ImportJobRepository
    follow_ups: ports.FollowUpRepository
    stage_changes: ports.StageChangeRepository
    sla: SlaRepository
    tasks: ports.TaskRepository
    task_timers: TaskTimerRepository
    score_models: ScoreModelRepository
    holdout: HoldoutRepository
    sync: SyncRepository

    def __init__(self, session_factory: sessionmaker[Session], *, read_only: bool = False) -> None:
        self._session_factory = session_factory
        self._read_only = read_only
        self._session: Session | None = None

    def __enter__(self) -> Self:
        session = self._session = self._session_factory()
        if self._read_only:
            session.connection(execution_options={READ_ONLY: True})
        self.customers = repo.SqlCustomers(session)
        self.reps = repo.SqlReps(session)
        self.teams = repo.SqlTeams(session)
        self.companies = repo.SqlCompanies(session)
        self.categories = repo.SqlCategories(session)
        self.custom_fields = repo.SqlCustomFields(session)
        self.assignments = repo.SqlAssignments(session)
        self.pools = SqlPools(session)
        self.reclaim = SqlReclaim(session)
        self.audit = repo.SqlAudit(session)
        self.users = repo.SqlUsers(session)
        self.rules = repo.SqlRules(session)
        self.routing = repo.SqlRoutingReads(session)
        self.idempotency = repo.SqlIdempotency(session)
        self.tokens = repo.SqlTokens(session)
        self.login_failures = repo.SqlLoginFailures(session)
        self.analytics = SqlAnalyticsReads(session)
        self.webhook_receipts = repo.SqlWebhookReceipts(session)
        self.outbox = SqlOutbox(session)
        self.inbox = SqlInbox(session)
        self.job_runs = SqlJobRuns(session)
        self.subscriptions = SqlSubscriptions(session)
        self.preferences = SqlPreferences(session)
        self.import_jobs = SqlImportJobs(session)
        self.follow_ups = SqlFollowUps(session)
        self.stage_changes = SqlStageChanges(session)
        self.sla = SqlSla(session)
        self.tasks = SqlTasks(session)
        self.task_timers = SqlTaskTimers(session)
        self.score_models = SqlScoreModels(session)
        self.holdout = SqlHoldout(session)
        self.sync = SqlSync(session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._session is not None
        # close() detaches objects first, then rolls back anything uncommitted; objects
        # read here stay usable afterwards (rollback() would expire them).
        self._session.close()
        self._session = None
        # A column guard (adapters/db/types.py) refused a value while SQLAlchemy bound it:
        # hand on the user's error, not SQLAlchemy's wrapper of it.
        if isinstance(exc, sa_exc.StatementError) and isinstance(exc.orig, FenpeiError):
            raise exc.orig.with_traceback(None) from None

    def commit(self) -> None:
        assert self._session is not None, "commit() outside 'with uow:'"
        assert not self._read_only, "commit() in a read-only unit of work"
        with conflicts_as_domain_errors():
            self._session.commit()

    def savepoint(self) -> SqlSavepoint:
        assert self._session is not None, "savepoint() outside 'with uow:'"
        return SqlSavepoint(self._session.begin_nested())

    def rollback(self) -> None:
        assert self._session is not None, "rollback() outside 'with uow:'"
        self._session.rollback()
