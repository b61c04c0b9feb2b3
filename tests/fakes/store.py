"""The in-memory tables behind the fakes, refusing what the database would refuse.

The store refuses NOT NULL, UNIQUE, foreign keys, string lengths, PostgreSQL integer and
numeric ranges, naive datetimes (and ones ``UtcDateTime`` cannot convert to UTC), JSON that
PostgreSQL rejects — by reading the same table definitions, so a service that lets bad
input through to the database fails a fast test with ``StoreRefused`` instead of passing
here and answering 500 in production.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

import sqlalchemy as sa

from fenpei.adapters.db import tables
from fenpei.adapters.db.types import UtcDateTime
from fenpei.domain.access import ApiToken, IdempotentRequest, LoginFailures, WebhookReceipt
from fenpei.domain.assignments import Assignment
from fenpei.domain.attachments import Attachment
from fenpei.domain.audit import AuditEntry
from fenpei.domain.categories import Category, CategoryValue
from fenpei.domain.companies import Company
from fenpei.domain.custom_fields import CustomField
from fenpei.domain.customers import Customer
from fenpei.domain.events import Delivery, Notification, OutboxEvent
from fenpei.domain.follow_ups import FollowUp, StageChange
from fenpei.domain.jobs import JobRun
from fenpei.domain.org import Leave, Rep, Team
from fenpei.domain.pools import Pool
from fenpei.domain.preferences import NotificationPreferences, RoleNotificationDefaults
from fenpei.domain.rules import RoutingState, Rule, RuleVersion
from fenpei.domain.scoring import ScoreModel, ScoringSettings
from fenpei.domain.sla import CalendarDay, SlaClock, SlaPolicy
from fenpei.domain.subscriptions import WebhookSubscription
from fenpei.domain.tasks import ChecklistItem, Task, TaskComment, TaskEvent
from fenpei.domain.users import User

INT4 = range(-(2**31), 2**31)


class StoreRefused(Exception):
    """The database would have rejected this write: the code under test let bad data through."""


R = TypeVar("R")


class Table(Generic[R]):
    """The rows of one table, by primary key; ids count up from 1 like an autoincrement key.

    The key is the table's one primary-key column: ``id`` mostly, ``rule_id`` for the
    routing state, which is given rather than generated."""

    def __init__(self, table: sa.Table) -> None:
        self.table = table
        (self.key,) = (column.name for column in table.primary_key.columns)
        self.rows: dict[Any, R] = {}  # int ids mostly; str keys for e.g. login_failures
        self.next_id = 1
        self.unique_keys = _unique_keys(table)
        # key columns -> key -> row, so a flush-time UNIQUE check is not a scan. Rows edited
        # in place can make it stale; a hit is re-checked, a miss is caught at commit.
        self._index: dict[tuple[str, ...], dict[tuple[object, ...], R]] | None = None

    def insert(self, row: R) -> None:
        row_id = getattr(row, self.key)
        if row_id is None:
            row_id = self.next_id
            setattr(row, self.key, row_id)
        if isinstance(row_id, int):
            self.next_id = max(self.next_id, row_id + 1)
        self.rows[row_id] = row
        if self._index is not None:
            for names, index in self._index.items():
                index.setdefault(_key(row, names), row)

    def holds(self, names: tuple[str, ...], key: tuple[object, ...]) -> bool:
        """Whether some stored row has ``key`` in the columns ``names``."""
        if self._index is None:
            self._index = {
                unique: {_key(row, unique): row for row in self.rows.values()}
                for unique in self.unique_keys
            }
        hit = self._index[names].get(key)
        return hit is not None and _key(hit, names) == key

    def remove(self, row_id: Any) -> None:
        del self.rows[row_id]
        self._index = None

    def __iter__(self) -> Iterator[R]:
        return iter(list(self.rows.values()))

    def __deepcopy__(self, memo: dict[int, object]) -> Table[R]:
        # Copy the rows; share the (immutable, large) SQLAlchemy table definition.
        clone: Table[R] = Table(self.table)
        clone.rows = copy.deepcopy(self.rows, memo)
        clone.next_id = self.next_id
        return clone

    def restore(self, saved: Table[R]) -> None:
        """Go back to ``saved``'s rows (a copy taken earlier) as a savepoint rollback does:
        rows that existed then keep their identity (their fields are reset, like SQLAlchemy
        expiring them), rows added since vanish, and ids are not handed out again."""
        rows: dict[int, R] = {}
        for row_id, old in saved.rows.items():
            live = self.rows.get(row_id)
            if live is None:
                rows[row_id] = old
            else:
                assert dataclasses.is_dataclass(live)
                for field in dataclasses.fields(live):
                    setattr(live, field.name, getattr(old, field.name))
                rows[row_id] = live
        self.rows = rows
        self.next_id = max(self.next_id, saved.next_id)  # sequences do not roll back
        self._index = None


class Store:
    """Every table, plus the locks taken (kind, id) in order, for lock-order tests."""

    def __init__(self) -> None:
        self.users: Table[User] = Table(tables.users)
        self.teams: Table[Team] = Table(tables.teams)
        self.reps: Table[Rep] = Table(tables.reps)
        self.leaves: Table[Leave] = Table(tables.leaves)
        self.companies: Table[Company] = Table(tables.companies)
        self.customers: Table[Customer] = Table(tables.customers)
        self.categories: Table[Category] = Table(tables.categories)
        self.category_values: Table[CategoryValue] = Table(tables.category_values)
        self.custom_fields: Table[CustomField] = Table(tables.custom_fields)
        self.assignments: Table[Assignment] = Table(tables.assignments)
        self.audit: Table[AuditEntry] = Table(tables.audit_log)
        self.rules: Table[Rule] = Table(tables.rules)
        self.rule_versions: Table[RuleVersion] = Table(tables.rule_versions)
        self.routing_state: Table[RoutingState] = Table(tables.routing_state)
        self.api_tokens: Table[ApiToken] = Table(tables.api_tokens)
        self.login_failures: Table[LoginFailures] = Table(tables.login_failures)
        self.idempotent_requests: Table[IdempotentRequest] = Table(tables.idempotent_requests)
        self.webhook_receipts: Table[WebhookReceipt] = Table(tables.webhook_receipts)
        self.outbox_events: Table[OutboxEvent] = Table(tables.outbox_events)
        self.deliveries: Table[Delivery] = Table(tables.deliveries)
        self.notifications: Table[Notification] = Table(tables.notifications)
        self.webhook_subscriptions: Table[WebhookSubscription] = Table(tables.webhook_subscriptions)
        self.pools: Table[Pool] = Table(tables.pools)
        self.sla_policies: Table[SlaPolicy] = Table(tables.sla_policies)
        self.sla_clocks: Table[SlaClock] = Table(tables.sla_clocks)
        self.holidays: Table[CalendarDay] = Table(tables.holidays)
        self.notification_preferences: Table[NotificationPreferences] = Table(
            tables.notification_preferences
        )
        self.role_notification_defaults: Table[RoleNotificationDefaults] = Table(
            tables.role_notification_defaults
        )
        self.follow_ups: Table[FollowUp] = Table(tables.follow_ups)
        self.stage_changes: Table[StageChange] = Table(tables.stage_changes)
        self.tasks: Table[Task] = Table(tables.tasks)
        self.task_checklist: Table[ChecklistItem] = Table(tables.task_checklist)
        self.task_comments: Table[TaskComment] = Table(tables.task_comments)
        self.task_events: Table[TaskEvent] = Table(tables.task_events)
        self.score_models: Table[ScoreModel] = Table(tables.score_models)
        self.attachments: Table[Attachment] = Table(tables.attachments)
        self.scoring_settings: ScoringSettings | None = None
        # task id -> its customers' ids, in order (the task_customers table).
        self.task_customers: dict[int, list[int]] = {}
        # Keyed by (job, slot), the table's two-column primary key.
        self.job_runs: dict[tuple[str, int], JobRun] = {}
        self.locked: list[tuple[str, int]] = []
        # Called as each row is locked, before it is read (tests simulate a concurrent
        # writer that held the lock); part of the transaction, not of the data.
        self.lock_hook: Callable[[str, int], None] | None = None

    def __deepcopy__(self, memo: dict[int, object]) -> Store:
        clone = Store.__new__(Store)
        for name, value in vars(self).items():
            vars(clone)[name] = None if name == "lock_hook" else copy.deepcopy(value, memo)
        return clone

    def lock(self, kind: str, row_ids: Iterable[int]) -> None:
        """Record row locks in order, letting ``lock_hook`` act before the rows are read."""
        for row_id in row_ids:
            self.locked.append((kind, row_id))
            if self.lock_hook is not None:
                self.lock_hook(kind, row_id)

    def all_tables(self) -> list[Table[Any]]:
        return [v for v in vars(self).values() if isinstance(v, Table)]

    def table_named(self, name: str) -> Table[Any]:
        return next(t for t in self.all_tables() if t.table.name == name)

    def load(self, other: Store) -> None:
        """Take ``other``'s rows (the locks taken stay: they happened; so does the hook)."""
        locked, hook = self.locked, self.lock_hook
        vars(self).update(vars(other))
        self.locked, self.lock_hook = locked, hook

    def restore(self, saved: Store) -> None:
        """Roll back to ``saved`` (a deep copy of this store), keeping the identity of rows
        that existed then; see ``Table.restore``. The locks taken stay in ``locked``."""
        for table in self.all_tables():
            table.restore(saved.table_named(table.table.name))

    # What the database would refuse -------------------------------------------------

    def add(self, into: Table[R], row: R) -> None:
        """Insert like a flush does: refused rows are not stored."""
        problems = _column_problems(into.table, row) + self._foreign_key_problems(into, row)
        for names in into.unique_keys:
            key = _key(row, names)
            if None not in key and into.holds(names, key):
                problems.append(f"duplicate {'/'.join(names)} {key!r}")
        if problems:
            raise StoreRefused(f"{into.table.name}: " + "; ".join(problems))
        into.insert(row)

    def delete(self, into: Table[R], row_id: Any) -> None:
        """Delete like the database does: rows referring to it are refused (RESTRICT, NO
        ACTION), cleared (SET NULL) or deleted in turn (CASCADE)."""
        referring: list[tuple[Table[Any], str, str | None, list[Any]]] = []
        for table in self.all_tables():
            for constraint in table.table.foreign_key_constraints:
                if constraint.referred_table is not into.table:
                    continue
                (column,) = (c.name for c in constraint.columns)
                rows = [row for row in table if getattr(row, column) == row_id]
                if rows:
                    referring.append((table, column, constraint.ondelete, rows))
        cleared = ("SET NULL", "CASCADE")
        if refused := [f"{t.table.name}.{c}" for t, c, rule, _ in referring if rule not in cleared]:
            raise StoreRefused(f"{into.table.name} {row_id!r} is still referred to by {refused}")
        for table, column, rule, rows in referring:
            for row in rows:
                if rule == "SET NULL":
                    setattr(row, column, None)
                else:
                    self.delete(table, getattr(row, table.key))
        into.remove(row_id)

    def check_all(self) -> None:
        """Everything a commit would write, checked the way the database checks it."""
        problems: list[str] = []
        for table in self.all_tables():
            name = table.table.name
            for row_id, row in table.rows.items():
                found = _column_problems(table.table, row) + self._foreign_key_problems(table, row)
                problems += [f"{name} {row_id}: {p}" for p in found]
            for names in table.unique_keys:
                keys = Counter(_key(row, names) for row in table)
                problems += [
                    f"{name}: duplicate {'/'.join(names)} {key!r}"
                    for key, count in keys.items()
                    if count > 1 and None not in key
                ]
        if problems:
            raise StoreRefused("; ".join(problems))

    def _foreign_key_problems(self, table: Table[Any], row: object) -> list[str]:
        problems: list[str] = []
        for constraint in table.table.foreign_key_constraints:
            target = self.table_named(constraint.referred_table.name)
            for column in constraint.columns:
                value = getattr(row, column.name)
                if value is not None and value not in target.rows:
                    problems.append(f"{column.name}={value!r}: no such {target.table.name} row")
        return problems


def _unique_keys(table: sa.Table) -> list[tuple[str, ...]]:
    return [
        tuple(c.name for c in constraint.columns)
        for constraint in table.constraints
        if isinstance(constraint, sa.UniqueConstraint)
    ]


def _key(row: object, names: tuple[str, ...]) -> tuple[object, ...]:
    return tuple(getattr(row, n) for n in names)


def _column_problems(table: sa.Table, row: object) -> list[str]:
    problems: list[str] = []
    for column in table.columns:
        if column.primary_key:
            continue
        value = getattr(row, column.name)
        kind = column.type
        if isinstance(kind, sa.TypeDecorator) and not isinstance(kind, UtcDateTime):
            kind = kind.impl_instance  # the column guard's type wraps the stored one
        if value is None:
            if not column.nullable:
                problems.append(f"{column.name} is NULL")
        elif isinstance(kind, sa.Enum):
            if value not in kind.enums:
                problems.append(f"{column.name}={value!r} is not one of {kind.enums}")
        elif isinstance(kind, sa.String) and kind.length is not None:
            if not isinstance(value, str) or len(value) > kind.length:
                problems.append(f"{column.name} is not text of at most {kind.length} characters")
        elif isinstance(kind, sa.Boolean):
            if not isinstance(value, bool):
                problems.append(f"{column.name}={value!r} is not a boolean")
        elif isinstance(kind, sa.Integer):
            if isinstance(value, bool) or not isinstance(value, int) or value not in INT4:
                problems.append(f"{column.name}={value!r} is out of integer range")
        elif isinstance(kind, sa.Numeric) and kind.precision is not None:
            whole_digits = kind.precision - (kind.scale or 0)
            if not isinstance(value, Decimal) or abs(value) >= Decimal(10) ** whole_digits:
                problems.append(f"{column.name}={value!r} overflows numeric({kind.precision})")
        elif isinstance(kind, UtcDateTime):
            if not isinstance(value, datetime) or value.tzinfo is None:
                problems.append(f"{column.name}={value!r} is not an aware datetime")
            elif not _converts_to_utc(value):
                problems.append(f"{column.name}={value!r} has no UTC equivalent")
        elif isinstance(kind, sa.JSON):
            try:
                json.dumps(value, allow_nan=False)  # PostgreSQL JSONB has no NaN / Infinity
            except (TypeError, ValueError) as exc:
                problems.append(f"{column.name} is not storable JSON: {exc}")
    return problems


def _converts_to_utc(value: datetime) -> bool:
    """Whether ``UtcDateTime`` can bind it: it converts to UTC, which can leave years 1-9999."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        return False
    return True
