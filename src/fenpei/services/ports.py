"""What the services need from the outside world, as Protocols (adapters implement them)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from types import TracebackType
from typing import Any, Protocol, Self

from fenpei.domain.access import ApiToken, IdempotentRequest, LoginFailures, WebhookReceipt
from fenpei.domain.assignments import Assignment, AssignMethod
from fenpei.domain.audit import AuditEntry
from fenpei.domain.categories import Category, CategoryValue
from fenpei.domain.companies import Company
from fenpei.domain.custom_fields import CustomField
from fenpei.domain.customers import Customer, Stage
from fenpei.domain.follow_ups import FollowUp, StageChange
from fenpei.domain.import_jobs import ImportJob, ImportStatus
from fenpei.domain.jobs import JobRun, JobStatus
from fenpei.domain.org import Leave, Rep, Team
from fenpei.domain.pools import Pool
from fenpei.domain.reclaim import Cutoff, GoverningTerms
from fenpei.domain.rules import RoutingState, Rule, RuleVersion
from fenpei.domain.tasks import (
    ChecklistItem,
    Task,
    TaskComment,
    TaskEvent,
    TaskFilter,
    TaskOrigin,
)
from fenpei.domain.users import User
from fenpei.engine.capacity import Usage
from fenpei.services.dedupe.ports import DedupeRepository
from fenpei.services.exports.ports import ExportRepository
from fenpei.services.files.ports import AttachmentRepository
from fenpei.services.holdout.ports import HoldoutRepository
from fenpei.services.imports.ports import ImportMappingRepository, ImportUploadRepository
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

CUSTOMER_SORT_KEYS = frozenset(
    {"created_at", "updated_at", "assigned_at", "name", "expected_value", "score", "stage",
     "level", "id", "next_follow_up_at", "due"}
)  # fmt: skip


@dataclass(frozen=True)
class CustomerQuery:
    """Filters for listing customers; None means "any"."""

    text: str | None = None
    owner_id: int | None = None
    unowned: bool = False
    pool: str | None = None  # waiting in this pool (nobody owns it)
    team_id: int | None = None
    stage: Stage | None = None
    level: str | None = None
    region: str | None = None
    industry: str | None = None
    source: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    assigned_after: datetime | None = None  # given to the current owner after this moment
    sort: str = "-created_at"
    offset: int = 0
    limit: int = 50
    # A data scope: owned by one of these reps or held for one of these teams (None: all).
    within_rep_ids: frozenset[int] | None = None
    within_team_ids: frozenset[int] = frozenset()
    updated_to: datetime | None = None  # last changed at or before (in a pool: waiting since)
    # The pools' reclaim terms the "due" sort reads (None: not read yet; the service reads
    # them for that sort, unless the caller, which shows them too, passes them in).
    due_terms: tuple[GoverningTerms, ...] | None = None


class CustomerRepository(Protocol):
    def add(self, customer: Customer) -> None: ...
    def add_many(self, batch: Sequence[Customer]) -> None: ...
    def get(self, customer_id: int, *, lock: bool = False) -> Customer | None: ...
    def lock_many(self, customer_ids: Collection[int]) -> list[Customer]: ...
    def ids_by_external_id(self, external_ids: Collection[str]) -> dict[str, int]: ...
    def search(self, query: CustomerQuery) -> tuple[list[Customer], int]: ...
    def owners_matching(self, query: CustomerQuery, *, limit: int) -> dict[int, int | None]:
        """Up to ``limit`` customers matching ``query`` (its sort and page aside), lowest
        id first, locked for the transaction like ``lock_many``: id -> owner id."""
        ...

    def count_by(self, field: str) -> dict[str | None, int]: ...
    def recode(self, field: str, old: str, new: str) -> int: ...
    def with_keys(self, keys: Mapping[str, str], *, limit: int) -> list[Customer]:
        """Up to ``limit`` live customers with any of these duplicate-check keys
        (column name -> key), lowest id first: one indexed lookup per key."""
        ...

    def taken_keys(self, column: str, keys: Collection[str]) -> set[str]:
        """Which of ``keys`` a live customer has in duplicate-check ``column``."""
        ...


class RepRepository(Protocol):
    def add(self, rep: Rep) -> None: ...
    def get(self, rep_id: int, *, lock: bool = False) -> Rep | None: ...
    def lock_many(self, rep_ids: Collection[int]) -> list[Rep]: ...
    def by_name(self, name: str) -> Rep | None: ...
    def all(self, *, team_id: int | None = None) -> list[Rep]: ...
    def usage(self, rep_id: int, *, now: datetime) -> Usage: ...
    def add_leave(self, leave: Leave) -> None: ...
    def leaves(self, rep_id: int) -> list[Leave]: ...
    def get_leave(self, leave_id: int) -> Leave | None: ...
    def delete_leave(self, leave: Leave) -> None: ...


class TeamRepository(Protocol):
    def add(self, team: Team) -> None: ...
    def get(self, team_id: int) -> Team | None: ...
    def by_name(self, name: str) -> Team | None: ...
    def all(self) -> list[Team]: ...
    def delete(self, team: Team) -> None: ...


class CompanyRepository(Protocol):
    def add(self, company: Company) -> None: ...
    def get(self, company_id: int) -> Company | None: ...
    def by_name(self, name: str) -> Company | None: ...
    def all(self) -> list[Company]: ...


class CategoryRepository(Protocol):
    def add(self, category: Category) -> None: ...
    def get(self, key: str) -> Category | None: ...
    def all(self) -> list[Category]: ...
    def add_value(self, value: CategoryValue) -> None: ...
    def values(self, category_id: int) -> list[CategoryValue]: ...
    def all_values(self) -> list[CategoryValue]: ...


class CustomFieldRepository(Protocol):
    def add(self, definition: CustomField) -> None: ...
    def all(self) -> list[CustomField]: ...


class AssignmentRepository(Protocol):
    def add(self, assignment: Assignment) -> None: ...
    def add_many(self, batch: Sequence[Assignment]) -> None: ...
    def for_customer(self, customer_id: int) -> list[Assignment]: ...
    def by_idempotency_key(self, key: str) -> Assignment | None: ...
    def count_since(self, *, to_rep_id: int, method: AssignMethod, since: datetime) -> int:
        """Records of ``method`` giving customers to the rep at or after ``since``."""
        ...


class PoolRepository(Protocol):
    def add(self, pool: Pool) -> None: ...
    def get(self, key: str, *, lock: bool = False) -> Pool | None: ...
    def all(self) -> list[Pool]: ...


@dataclass(frozen=True)
class ReclaimRow:
    """An owned customer as reclaim reads it (``domain.reclaim.Owned``), without the rest."""

    id: int
    name: str
    owner_id: int
    level: str | None
    stage: Stage
    key_account: bool
    assigned_at: datetime | None
    last_follow_up_at: datetime | None
    stage_changed_at: datetime | None


class ReclaimRepository(Protocol):
    """Set-based reads and writes of reclaim (services/pool/reclaim.py)."""

    def due(
        self,
        cutoff: Cutoff,
        *,
        terms: Pool,
        owner_ids: Collection[int],
        protected_before: datetime,
        limit: int,
        after_id: int = 0,
        lock: bool = False,
        unwarned: bool = False,
        earliest: bool = False,
    ) -> list[ReclaimRow]:
        """Up to ``limit`` customers owned by ``owner_ids`` that ``cutoff`` makes due (not
        exempt by ``terms``, given their owner at or before ``protected_before``), id above
        ``after_id``, by id (``earliest``: by the rule's clock, then id). ``lock``: locked
        for this transaction, rows another holds are skipped; ``unwarned``: only those not
        yet warned."""
        ...

    def count_due(
        self,
        cutoffs: Sequence[Cutoff],
        *,
        terms: Pool,
        owner_ids: Collection[int],
        protected_before: datetime,
    ) -> int:
        """How many customers owned by ``owner_ids`` any of ``cutoffs`` makes due (each
        once): one COUNT."""
        ...

    def release_many(self, customer_ids: Collection[int], *, pool: str, now: datetime) -> int:
        """One UPDATE: these owned customers lose their owner and wait in ``pool``."""
        ...

    def mark_warned(self, customer_ids: Collection[int], *, now: datetime) -> None: ...
    def key_accounts_held(self, rep_id: int) -> int:
        """How many key accounts (重点客户) the rep owns."""
        ...


class AuditRepository(Protocol):
    def add(self, entry: AuditEntry) -> None: ...
    def find(
        self, *, object_type: str | None = None, object_id: str | None = None, limit: int = 100
    ) -> list[AuditEntry]: ...
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
        """The entries matching every filter given (``until`` exclusive), newest first, from
        ``offset``; and how many match in all."""
        ...


class UserRepository(Protocol):
    def add(self, user: User) -> None: ...
    def by_username(self, username: str) -> User | None: ...
    def get(self, user_id: int) -> User | None: ...
    def all(self) -> list[User]:
        """Every user, active or not, by username."""
        ...

    def for_reps(self, rep_ids: Collection[int]) -> list[User]:
        """The active users linked to these reps (a rep's login), by id."""
        ...

    def bump_session_version(self, user: User) -> None:
        """Add one to ``user.session_version`` in the database itself (so two concurrent
        bumps make two) and set the new value on ``user``: every session cookie signed with
        an older version stops working."""
        ...


class TokenRepository(Protocol):
    def add(self, token: ApiToken) -> None: ...
    def get(self, token_id: int) -> ApiToken | None: ...
    def by_prefix(self, prefix: str) -> ApiToken | None: ...
    def all(self, *, user_id: int | None = None) -> list[ApiToken]: ...
    def touch(self, token_id: int, *, at: datetime, unless_used_since: datetime) -> bool:
        """Set ``last_used_at`` to ``at`` unless it is already at or after
        ``unless_used_since``; True if it was set."""
        ...


class LoginFailureRepository(Protocol):
    """Failed-login counters by key; changes to a row got here are saved at commit."""

    def serialize(self, keys: Sequence[str]) -> None:
        """Make concurrent attempts on any of ``keys`` wait for each other, in one order,
        until this transaction ends (whether or not their rows exist yet)."""
        ...

    def get(self, key: str, *, lock: bool = False) -> LoginFailures | None: ...
    def add(self, failures: LoginFailures) -> None:
        """Insert a new counter; Conflict if a concurrent transaction inserted the key."""
        ...

    def delete(self, key: str) -> None: ...


class IdempotencyRepository(Protocol):
    def get(self, key: str) -> IdempotentRequest | None: ...
    def claim(self, request: IdempotentRequest, *, wait: timedelta) -> None:
        """Insert at once (changes made to ``request`` later are saved at commit). A
        concurrent transaction inserting the key makes this wait for it to end, for at
        most ``wait``: Conflict if it committed, ``KeyInUse`` if it is still running."""
        ...


class WebhookReceiptRepository(Protocol):
    def add(self, receipt: WebhookReceipt) -> None:
        """Insert at once; Conflict if the digest is there (a concurrent insert of it waits
        for the other transaction, then conflicts if that one committed)."""
        ...

    def purge_expired(self, *, now: datetime, limit: int) -> int:
        """Delete up to ``limit`` receipts that expired before ``now`` (skipping rows another
        transaction holds); how many were deleted."""
        ...


class JobRunRepository(Protocol):
    def start(self, run: JobRun) -> bool:
        """Insert the run; False if its job and slot exist (another process has it)."""
        ...

    def finish(
        self, *, job: str, slot: int, status: JobStatus, summary: str | None, now: datetime
    ) -> None: ...
    def history(self, *, job: str | None = None, limit: int = 50) -> list[JobRun]:
        """Newest first."""
        ...

    def last(self, job: str) -> JobRun | None: ...


class ImportJobRepository(Protocol):
    """Customer imports (domain/import_jobs.py)."""

    def start(self, job: ImportJob) -> ImportJob | None:
        """Insert the job; it comes back with its id. None if a job of the same file
        (``sha256``) is running: at most one runs per file, whoever started first."""
        ...

    def get(self, job_id: int) -> ImportJob | None: ...
    def by_sha256(self, sha256: str) -> list[ImportJob]:
        """The jobs of the file with this hash, newest first."""
        ...

    def recent(self, *, limit: int = 50) -> list[ImportJob]: ...
    def advance(self, job_id: int, *, from_row: int, to_row: int, imported: int) -> bool:
        """Move a running job's ``last_row`` from ``from_row`` to ``to_row``; False (nothing
        changed) if it is not at ``from_row`` any more: another process moved it."""
        ...

    def set_routed(self, job_id: int, count: int) -> None: ...
    def pending_ids(self, job_id: int, *, after_id: int, limit: int) -> list[int]:
        """The job's customers still waiting to be routed for the first time (unowned, in
        the queue as ``pending_reason(job_id)``) with ids above ``after_id``, by id."""
        ...

    def pending_count(self, job_id: int) -> int: ...
    def finish(
        self, job_id: int, *, status: ImportStatus, now: datetime, note: str | None = None
    ) -> None: ...


class FollowUpRepository(Protocol):
    """Follow-ups (跟进记录); a customer's are read newest first (``at``, then id)."""

    def add(self, follow_up: FollowUp) -> None: ...
    def get(self, follow_up_id: int, *, lock: bool = False) -> FollowUp | None: ...
    def for_customer(self, customer_id: int, *, limit: int) -> list[FollowUp]: ...
    def count_for(self, customer_id: int) -> int: ...
    def due_for_reminder(self, *, now: datetime, limit: int) -> list[FollowUp]:
        """Up to ``limit`` follow-ups whose ``next_at`` is at or before ``now`` and whose
        reminder is not written yet, earliest first."""
        ...

    def mark_reminded(self, follow_up_ids: Collection[int], *, at: datetime) -> list[int]:
        """Set ``reminded_at`` on those of ``follow_up_ids`` that have none yet, in one
        conditional statement; the ids this call marked (not ones marked before)."""
        ...


class StageChangeRepository(Protocol):
    """Stage changes; a customer's are read newest first (``at``, then id)."""

    def add(self, change: StageChange) -> None: ...
    def for_customer(self, customer_id: int, *, limit: int) -> list[StageChange]: ...
    def count_for(self, customer_id: int) -> int: ...


class TaskRepository(Protocol):
    """Tasks and what hangs off them (adapters/db/repositories/tasks.py)."""

    def add(self, task: Task) -> None: ...
    def get(self, task_id: int) -> Task | None: ...
    def lock(self, task_id: int) -> Task | None: ...
    def find(
        self, f: TaskFilter, *, order: str = "due", limit: int = 50, offset: int = 0
    ) -> list[Task]: ...
    def count(self, f: TaskFilter) -> int: ...
    def held_on(self, owners: Mapping[int, int]) -> list[Task]:
        """The open tasks whose customer (the first linked) is a key of ``owners`` and whose
        assignee is its value (a customer's previous owner), by id, rows locked."""
        ...

    def from_origin(self, customer_id: int, origin: TaskOrigin, ref: str) -> list[Task]:
        """Open tasks about ``customer_id`` that ``origin`` made for ``ref`` (e.g. the
        next step of follow-up 7: ``follow_up``, ``follow_up:7``), by id."""
        ...

    def link_customers(self, task_id: int, customer_ids: Sequence[int]) -> None: ...
    def customer_ids(self, task_ids: Collection[int]) -> dict[int, list[int]]: ...
    def open_weights(
        self, rep_ids: Collection[int], *, except_task_id: int | None = None
    ) -> dict[int, Decimal]: ...
    def add_item(self, item: ChecklistItem) -> None: ...
    def items(self, task_id: int) -> list[ChecklistItem]: ...
    def get_item(self, item_id: int) -> ChecklistItem | None: ...
    def delete_item(self, item: ChecklistItem) -> None: ...
    def add_comment(self, comment: TaskComment) -> None: ...
    def comments(self, task_id: int, *, limit: int = 200) -> list[TaskComment]: ...
    def add_event(self, event: TaskEvent) -> None: ...
    def history(self, task_id: int, *, limit: int = 200) -> list[TaskEvent]: ...
    def counts_by_rep(
        self, *, since: datetime, until: datetime, now: datetime, rep_ids: Collection[int] | None
    ) -> list[RepTaskCounts]: ...


class UnitOfWork(Protocol):
    """One transaction. ``with uow:`` opens it; only ``commit()`` makes changes stick."""

    customers: CustomerRepository
    reps: RepRepository
    teams: TeamRepository
    companies: CompanyRepository
    categories: CategoryRepository
    custom_fields: CustomFieldRepository
    assignments: AssignmentRepository
    pools: PoolRepository
    reclaim: ReclaimRepository
    audit: AuditRepository
    users: UserRepository
    rules: RuleRepository
    routing: RoutingReadModel
    idempotency: IdempotencyRepository
    tokens: TokenRepository
    login_failures: LoginFailureRepository
    analytics: AnalyticsReads
    webhook_receipts: WebhookReceiptRepository
    outbox: OutboxRepository
    inbox: InboxRepository
    job_runs: JobRunRepository
    subscriptions: SubscriptionRepository
    preferences: PreferenceRepository
    import_jobs: ImportJobRepository
    follow_ups: FollowUpRepository
    stage_changes: StageChangeRepository
    sla: SlaRepository
    task_timers: TaskTimerRepository
    tasks: TaskRepository
    score_models: ScoreModelRepository
    holdout: HoldoutRepository
    sync: SyncRepository
    attachments: AttachmentRepository
    exports: ExportRepository
    import_uploads: ImportUploadRepository
    import_mappings: ImportMappingRepository
    dedupe: DedupeRepository

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def savepoint(self) -> Savepoint: ...


class Savepoint(Protocol):
    """Part of a transaction that can be undone alone; undoing it also releases the row
    locks taken since it began (PostgreSQL and SQLite both behave so)."""

    def rollback(self) -> None: ...
    def release(self) -> None: ...


class Clock(Protocol):
    def now(self) -> datetime: ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...
    def verify(self, password_hash: str, password: str) -> bool: ...


class RuleRepository(Protocol):
    def add(self, rule: Rule) -> None: ...
    def get(self, rule_id: int, *, lock: bool = False) -> Rule | None: ...
    def active(self) -> list[Rule]: ...
    def add_version(self, version: RuleVersion) -> None: ...
    def versions(self, rule_id: int) -> list[RuleVersion]: ...
    def add_state(self, state: RoutingState) -> None: ...
    def states(self) -> dict[int, dict[str, Any]]: ...
    def lock_state(self, rule_id: int) -> RoutingState | None: ...
    def lock_states(self, rule_ids: Collection[int]) -> dict[int, RoutingState]: ...


@dataclass(frozen=True)
class RepLoad:
    """A rep's current load, as routing weighs it: open customers and their value, intake
    in the rep's local day / week / month, and when they last received one."""

    usage: Usage
    open_value: Decimal
    last_assigned_at: datetime | None


class RoutingReadModel(Protocol):
    """Bulk reads for routing: everyone's load at once, leaves in force, account owners."""

    def loads(self, *, now: datetime, rep_ids: Collection[int] | None = None) -> dict[int, RepLoad]:
        """The kept loads (one row per rep, whatever they hold), as of ``now``."""
        ...

    def recount_loads(
        self, *, now: datetime, rep_ids: Collection[int] | None = None, lock: bool = False
    ) -> dict[int, RepLoad]:
        """Each rep's load (of ``rep_ids``, or everyone's) counted from the records;
        ``lock`` holds off ownership changes until this unit of work ends."""
        ...

    def store_loads(self, *, now: datetime, loads: Mapping[int, RepLoad]) -> None: ...
    def leaves_around(self, *, now: datetime) -> list[Leave]: ...
    def config_stamp(self, *, now: datetime) -> str:
        """A fingerprint of what routing keeps between decisions: rules, reps, teams, leaves
        not yet over at ``now``, categories, custom fields. Any change to them, by anyone
        (this transaction included), gives another stamp; one cheap query."""
        ...

    def account_owners(
        self, *, company: str | None, email_domain: str | None, phone_digits: str | None
    ) -> dict[str, int]: ...
    def queued_customer_ids(self, *, limit: int) -> list[int]: ...
    def assignment_counts(self) -> list[tuple[str, int | None, int]]: ...
    def queue_depth(self) -> int: ...


@dataclass(frozen=True)
class IntakeCounts:
    """Customers created in a window, split by whether a rep owns them now, and the
    assignments to a rep made in the same window."""

    created: int
    owned: int
    waiting: int
    assignments: int


@dataclass(frozen=True)
class RepTaskCounts:
    """A rep's tasks in sums and counts (so teams add up): open and overdue now; done in
    the period, with a due date, on time, and the sums and counts of their ratings and of
    the seconds from creation to completion."""

    rep_id: int
    open: int = 0
    overdue: int = 0
    done: int = 0
    done_with_due: int = 0
    done_on_time: int = 0
    quality_sum: int = 0
    quality_count: int = 0
    satisfaction_sum: int = 0
    satisfaction_count: int = 0
    difficulty_sum: int = 0
    difficulty_count: int = 0
    completion_seconds: float = 0.0


@dataclass(frozen=True)
class ClosedCounts:
    """How many of a rep's customers were won and lost."""

    rep_id: int
    won: int
    lost: int


@dataclass(frozen=True)
class WaitingCustomer:
    """A customer nobody owns yet, with why (queue reason or pool) and since when."""

    id: int
    name: str
    queue_reason: str | None
    pool: str | None
    team_id: int | None
    waiting_since: datetime


class AnalyticsReads(Protocol):
    """Read-only figures for the dashboard. ``rep_ids`` / ``team_ids`` narrow them to a data
    scope (customers owned by those reps or held for those teams); ``rep_ids=None``: all."""

    def intake(
        self,
        *,
        since: datetime,
        until: datetime,
        rep_ids: Collection[int] | None,
        team_ids: Collection[int],
    ) -> IntakeCounts: ...
    def closed_by_rep(
        self, *, rep_ids: Collection[int] | None, closed_since: datetime | None
    ) -> list[ClosedCounts]: ...
    def closed_span(
        self, *, rep_ids: Collection[int] | None
    ) -> tuple[datetime, datetime] | None: ...
    def waiting(
        self, *, team_ids: Collection[int] | None, limit: int
    ) -> tuple[list[WaitingCustomer], int]: ...
