"""``FakeUnitOfWork``: the repositories over one store, with commit and rollback."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self, TypeVar

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
from tests.fakes.access import FakeTokens, FakeWebhookReceipts
from tests.fakes.analytics import FakeAnalyticsReads
from tests.fakes.follow_ups import FakeFollowUps, FakeStageChanges
from tests.fakes.holdout import FakeHoldout
from tests.fakes.import_jobs import FakeImportJobs
from tests.fakes.outbox import FakeInbox, FakeJobRuns, FakeOutbox
from tests.fakes.pools import FakePools, FakeReclaim
from tests.fakes.preferences import FakePreferences
from tests.fakes.repositories import (
    FakeAssignments,
    FakeAudit,
    FakeCategories,
    FakeCompanies,
    FakeCustomers,
    FakeCustomFields,
    FakeIdempotency,
    FakeReps,
    FakeTeams,
    FakeUsers,
)
from tests.fakes.routing import FakeRoutingReads, FakeRules
from tests.fakes.scoring import FakeScoreModels
from tests.fakes.sla import FakeSla
from tests.fakes.store import Store
from tests.fakes.subscriptions import FakeSubscriptions
from tests.fakes.sync import FakeSync
from tests.fakes.task_timers import FakeTaskTimers
from tests.fakes.tasks import FakeTasks
from tests.fakes.throttle import FakeLoginFailures

T = TypeVar("T")

Dump = dict[str, dict[int, dict[str, Any]]]
Commit = Callable[[Store, int], None]


class FakeSavepoint:
    """``ports.Savepoint``: ``rollback()`` puts the store back as it was when the savepoint
    began (keeping the identity of rows that existed then, as SQLAlchemy does); ``release()``
    keeps the changes. Either ends it."""

    def __init__(self, uow: FakeUnitOfWork, saved: Store) -> None:
        self._uow = uow
        self.saved: Store | None = saved

    def rollback(self) -> None:
        saved = self._end()
        self._uow._store.restore(saved)
        self._uow.savepoint_rollbacks += 1

    def release(self) -> None:
        self._end()

    def _end(self) -> Store:
        assert self.saved is not None, "this savepoint already ended"
        saved, self.saved = self.saved, None
        self._uow._savepoints.remove(self)
        return saved


class FakeUnitOfWork:
    """``ports.UnitOfWork`` over dicts. Changes stick only through ``commit()``.

    ``with uow:`` snapshots the store (``copy.deepcopy``); leaving the block restores the
    last committed state, as the SQL unit of work rolls back whatever was not committed.
    Objects held from an earlier block are detached copies afterwards, as with a new
    session. One instance may be entered many times; ``committed`` tells whether the
    latest block committed. The repositories may be read outside ``with`` for assertions.
    """

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
    tasks: ports.TaskRepository
    task_timers: TaskTimerRepository
    score_models: ScoreModelRepository
    holdout: HoldoutRepository
    sync: SyncRepository
    stage_changes: ports.StageChangeRepository
    sla: SlaRepository

    def __init__(self) -> None:
        self._store = store = Store()
        self._saved: Store | None = None
        self._savepoints: list[FakeSavepoint] = []
        self._on_lock: list[tuple[str, int | None, Commit]] = []
        store.lock_hook = self._locking
        self.committed = False
        self.commits = 0
        self.savepoint_rollbacks = 0
        self.customers = FakeCustomers(store)
        self.reps = FakeReps(store)
        self.teams = FakeTeams(store)
        self.companies = FakeCompanies(store)
        self.categories = FakeCategories(store)
        self.custom_fields = FakeCustomFields(store)
        self.assignments = FakeAssignments(store)
        self.pools = FakePools(store)
        self.reclaim = FakeReclaim(store)
        self.audit = FakeAudit(store)
        self.users = FakeUsers(store)
        self.rules = FakeRules(store)
        self.routing = FakeRoutingReads(store)
        self.idempotency = FakeIdempotency(store)
        self.tokens = FakeTokens(store)
        self.login_failures = FakeLoginFailures(store)
        self.analytics = FakeAnalyticsReads(store)
        self.webhook_receipts = FakeWebhookReceipts(store)
        self.outbox = FakeOutbox(store)
        self.inbox = FakeInbox(store)
        self.job_runs = FakeJobRuns(store)
        self.subscriptions = FakeSubscriptions(store)
        self.preferences = FakePreferences(store)
        self.import_jobs = FakeImportJobs(store)
        self.follow_ups = FakeFollowUps(store)
        self.stage_changes = FakeStageChanges(store)
        self.sla = FakeSla(store)
        self.tasks = FakeTasks(store)
        self.task_timers = FakeTaskTimers(store)
        self.score_models = FakeScoreModels(store)
        self.holdout = FakeHoldout(store)
        self.sync = FakeSync(store)

    def __enter__(self) -> Self:
        assert self._saved is None, "this fake does not nest 'with uow:' blocks"
        self.committed = False
        self._store.locked.clear()
        self._saved = copy.deepcopy(self._store)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._saved is not None
        self._store.load(self._saved)
        self._saved = None
        self._savepoints.clear()

    def commit(self) -> None:
        assert self._saved is not None, "commit() outside 'with uow:'"
        self._store.check_all()
        self._saved = copy.deepcopy(self._store)
        self._savepoints.clear()  # a commit ends the savepoints inside it
        self.committed = True
        self.commits += 1

    def rollback(self) -> None:
        assert self._saved is not None, "rollback() outside 'with uow:'"
        self._store.load(self._saved)
        self._saved = copy.deepcopy(self._store)
        self._savepoints.clear()

    def savepoint(self) -> FakeSavepoint:
        assert self._saved is not None, "savepoint() outside 'with uow:'"
        point = FakeSavepoint(self, copy.deepcopy(self._store))
        self._savepoints.append(point)
        return point

    def meanwhile(self, kind: str, commit: Commit, *, row_id: int | None = None) -> None:
        """The next time this transaction locks a ``kind`` row (``row_id`` or any), another
        transaction that held that lock commits first. ``commit(store, locked_id)`` writes
        its change; it is called for every view of the store (the live one, the committed
        one and each open savepoint's), so the change survives this transaction's
        rollbacks as a real commit would. It must build new rows on each call and give
        them explicit ids (each view numbers its own)."""
        self._on_lock.append((kind, row_id, commit))

    def _locking(self, kind: str, row_id: int) -> None:
        for hook in self._on_lock:
            wanted_kind, wanted_id, commit = hook
            if wanted_kind == kind and wanted_id in (None, row_id):
                self._on_lock.remove(hook)
                views = [self._store, self._saved, *(p.saved for p in self._savepoints)]
                for view in views:
                    if view is not None:
                        commit(view, row_id)
                return

    @property
    def locked(self) -> list[tuple[str, int]]:
        """The rows locked in the current (or latest) block, in order: ("customer", 3)."""
        return list(self._store.locked)

    def dump(self) -> Dump:
        """Every stored row as plain field values, to compare states: table -> id -> fields."""
        return {
            table.table.name: {
                row_id: {f.name: copy.deepcopy(getattr(row, f.name)) for f in _fields(row)}
                for row_id, row in table.rows.items()
            }
            for table in self._store.all_tables()
        }


def _fields(row: object) -> tuple[dataclasses.Field[Any], ...]:
    assert dataclasses.is_dataclass(row)
    return dataclasses.fields(row)


def in_transaction(uow: FakeUnitOfWork, work: Callable[[], T]) -> T:
    """Run ``work`` in one committed block of ``uow`` and return what it returned."""
    with uow:
        result = work()
        uow.commit()
    return result
