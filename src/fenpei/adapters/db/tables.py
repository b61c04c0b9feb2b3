"""The schema, and the mapping of domain dataclasses onto it (imperative, so the domain
stays free of SQLAlchemy). Alembic migrations are generated from this metadata."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import registry

from fenpei.adapters.db.types import Json, UtcDateTime, guard_columns, str_enum
from fenpei.domain.access import ApiToken, IdempotentRequest, LoginFailures
from fenpei.domain.assignments import Assignment, AssignMethod
from fenpei.domain.attachments import Attachment
from fenpei.domain.audit import AuditEntry
from fenpei.domain.business_time import DayKind
from fenpei.domain.categories import Category, CategoryValue
from fenpei.domain.companies import Company
from fenpei.domain.custom_fields import CustomField, FieldKind
from fenpei.domain.customers import Customer, Stage
from fenpei.domain.events import (
    Channel,
    Delivery,
    DeliveryStatus,
    EventType,
    Notification,
    OutboxEvent,
)
from fenpei.domain.follow_ups import FollowUp, StageChange
from fenpei.domain.import_jobs import ImportStatus
from fenpei.domain.import_uploads import ImportMode, UploadState
from fenpei.domain.jobs import JobRun, JobStatus
from fenpei.domain.org import Leave, Rep, Team
from fenpei.domain.pools import Pool, ReclaimAction
from fenpei.domain.preferences import NotificationPreferences, RoleNotificationDefaults
from fenpei.domain.rules import RoutingState, Rule, RuleVersion
from fenpei.domain.scoring import ModelKind, ScoreModel
from fenpei.domain.sla import CalendarDay, ClockKind, ClockState, SlaClock, SlaPolicy
from fenpei.domain.subscriptions import WebhookSubscription
from fenpei.domain.tasks import (
    ChecklistItem,
    Task,
    TaskComment,
    TaskEvent,
    TaskEventKind,
    TaskOrigin,
    TaskPriority,
    TaskStatus,
)
from fenpei.domain.users import Role, User

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
Money = sa.Numeric(16, 2)


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer, primary_key=True, autoincrement=True)


users = sa.Table(
    "users",
    metadata,
    _id(),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("display_name", sa.String(200)),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("role", str_enum(Role), nullable=False),
    sa.Column("rep_id", sa.Integer, sa.ForeignKey("reps.id", ondelete="SET NULL")),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("must_change_password", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", UtcDateTime),
    # In every session cookie; raised to end all of the user's sessions (http/deps.py).
    sa.Column("session_version", sa.Integer, nullable=False, default=0, server_default="0"),
    # The language of the messages sent to the user (email, IM): zh-CN or en.
    sa.Column("language", sa.String(10), nullable=False, default="zh-CN", server_default="zh-CN"),
)

teams = sa.Table(
    "teams",
    metadata,
    _id(),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("teams.id", ondelete="RESTRICT")),
    sa.Column("manager_name", sa.String(200)),
    sa.Column(
        "manager_user_id",
        sa.Integer,
        sa.ForeignKey("users.id", ondelete="SET NULL", use_alter=True),
    ),
    sa.Column("region", sa.String(100)),
    sa.Column("created_at", UtcDateTime),
)

reps = sa.Table(
    "reps",
    metadata,
    _id(),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column(
        "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL", use_alter=True)
    ),
    sa.Column("email", sa.String(254)),
    sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id", ondelete="SET NULL"), index=True),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("away", sa.Boolean, nullable=False, default=False),
    sa.Column("skills", Json, nullable=False, default=dict),
    sa.Column("tags", Json, nullable=False, default=list),
    sa.Column("seniority", sa.Integer, nullable=False, default=1),
    sa.Column("weight", sa.Integer, nullable=False, default=1),
    sa.Column("max_open", sa.Integer),
    sa.Column("max_per_day", sa.Integer),
    sa.Column("max_per_week", sa.Integer),
    sa.Column("max_per_month", sa.Integer),
    sa.Column("task_capacity", sa.Numeric(8, 2)),  # open tasks' weight (hours or count)
    sa.Column("time_zone", sa.String(64), nullable=False, default="Asia/Shanghai"),
    sa.Column("working_hours", Json, nullable=False, default=dict),
    sa.Column("created_at", UtcDateTime),
    sa.Column("updated_at", UtcDateTime),
)

# Each rep's load, kept so that reading it costs one row whatever the rep holds
# (adapters/db/repositories/loads.py). Open holdings are kept by triggers on customers (so
# every write, ORM or Core, moves them); intake by the assignments repository, per local
# day / week / month of the rep (``*_start`` is the period the count belongs to).
# ``fenpei doctor`` and the loads-reconcile job recount both from the records.
rep_loads = sa.Table(
    "rep_loads",
    metadata,
    sa.Column("rep_id", sa.Integer, sa.ForeignKey("reps.id", ondelete="CASCADE"),
              primary_key=True, autoincrement=False),
    sa.Column("open_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("open_value", Money, nullable=False, server_default="0"),
    sa.Column("day_start", sa.Date),
    sa.Column("day_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("week_start", sa.Date),
    sa.Column("week_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("month_start", sa.Date),
    sa.Column("month_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_received_at", UtcDateTime),
)  # fmt: skip

leaves = sa.Table(
    "leaves",
    metadata,
    _id(),
    sa.Column(
        "rep_id",
        sa.Integer,
        sa.ForeignKey("reps.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("starts_at", UtcDateTime, nullable=False),
    sa.Column("ends_at", UtcDateTime, nullable=False),
    sa.Column("note", sa.String(500)),
    sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
)

companies = sa.Table(
    "companies",
    metadata,
    _id(),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("industry", sa.String(100)),
    sa.Column("year_established", sa.Integer),
    sa.Column("revenue", Money),
    sa.Column("employees", sa.Integer),
    sa.Column("country", sa.String(100)),
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("companies.id", ondelete="SET NULL")),
    sa.Column("created_at", UtcDateTime),
)

customers = sa.Table(
    "customers",
    metadata,
    _id(),
    sa.Column("external_id", sa.String(100), unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column(
        "company_id", sa.Integer, sa.ForeignKey("companies.id", ondelete="SET NULL"), index=True
    ),
    sa.Column("company_name", sa.String(200)),
    sa.Column("phone", sa.String(40)),
    sa.Column("email", sa.String(254)),
    sa.Column("wechat", sa.String(40)),
    sa.Column("country", sa.String(100)),
    sa.Column("province", sa.String(100)),
    sa.Column("city", sa.String(100)),
    sa.Column("region", sa.String(100), index=True),
    sa.Column("industry", sa.String(100), index=True),
    sa.Column("employees", sa.Integer),
    sa.Column("revenue", Money),
    sa.Column("level", sa.String(50), index=True),
    sa.Column("customer_type", sa.String(50)),
    sa.Column("source", sa.String(100)),
    sa.Column("product_interest", sa.String(200)),
    sa.Column("expected_value", Money),
    sa.Column("stage", str_enum(Stage), nullable=False, default=Stage.new, index=True),
    sa.Column("tags", Json, nullable=False, default=list),
    sa.Column("custom", Json, nullable=False, default=dict),
    sa.Column("score", sa.Float),
    sa.Column("win_probability", sa.Float),
    sa.Column("grade", sa.String(1), index=True),
    sa.Column("scored_at", UtcDateTime),
    sa.Column("rerouted_at", UtcDateTime),
    sa.Column("owner_id", sa.Integer, sa.ForeignKey("reps.id", ondelete="RESTRICT"), index=True),
    sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id", ondelete="SET NULL")),
    sa.Column("pool", sa.String(100), index=True),
    sa.Column("queue_reason", sa.String(500)),
    sa.Column("queued_at", UtcDateTime, index=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("assigned_at", UtcDateTime, index=True),
    sa.Column("last_follow_up_at", UtcDateTime),
    sa.Column("next_follow_up_at", UtcDateTime),
    sa.Column("stage_changed_at", UtcDateTime),
    sa.Column("key_account", sa.Boolean, nullable=False, default=False, server_default=sa.false()),
    sa.Column("reclaim_warned_at", UtcDateTime),
    sa.Column("phone_key", sa.String(40), index=True),
    sa.Column("email_key", sa.String(254), index=True),
    sa.Column("company_key", sa.String(200), index=True),
    sa.Column("closed_at", UtcDateTime),
    sa.Column("deleted_at", UtcDateTime),
)

categories = sa.Table(
    "categories",
    metadata,
    _id(),
    sa.Column("key", sa.String(40), nullable=False, unique=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("strict", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", UtcDateTime),
)

category_values = sa.Table(
    "category_values",
    metadata,
    _id(),
    sa.Column(
        "category_id",
        sa.Integer,
        sa.ForeignKey("categories.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("code", sa.String(100), nullable=False),
    sa.Column("label", sa.String(100), nullable=False),
    sa.Column("position", sa.Integer, nullable=False, default=0),
    sa.Column("retired", sa.Boolean, nullable=False, default=False),
    sa.Column("merged_into_id", sa.Integer, sa.ForeignKey("category_values.id")),
    sa.UniqueConstraint("category_id", "code", name="uq_category_values_category_code"),
)

custom_fields = sa.Table(
    "custom_fields",
    metadata,
    _id(),
    sa.Column("key", sa.String(40), nullable=False, unique=True),
    sa.Column("label", sa.String(100), nullable=False),
    sa.Column("kind", str_enum(FieldKind), nullable=False),
    sa.Column("choices", Json, nullable=False, default=list),
    sa.Column("required", sa.Boolean, nullable=False, default=False),
)

pools = sa.Table(
    "pools",
    metadata,
    _id(),
    sa.Column("key", sa.String(100), nullable=False, unique=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id", ondelete="CASCADE")),
    sa.Column("daily_claim_cap", sa.Integer),
    sa.Column("max_owned", sa.Integer),
    sa.Column("count_won", sa.Boolean, nullable=False, default=False),
    sa.Column("cooldown_days", sa.Integer, nullable=False, default=0),
    sa.Column("mask_contacts", sa.Boolean, nullable=False, default=False),
    sa.Column("protection_days", sa.Integer, nullable=False, default=0, server_default="0"),
    sa.Column(
        "reclaim_enabled", sa.Boolean, nullable=False, default=False, server_default=sa.false()
    ),
    sa.Column("no_follow_up_days", sa.Integer),
    sa.Column("not_won_days", sa.Integer),
    sa.Column("stuck_days", sa.Integer),
    sa.Column("level_days", Json, nullable=False, default=dict, server_default="{}"),
    sa.Column("warn_days", sa.Integer, nullable=False, default=0, server_default="0"),
    sa.Column(
        "exempt_key_accounts", sa.Boolean, nullable=False, default=True, server_default=sa.true()
    ),
    sa.Column("exempt_won", sa.Boolean, nullable=False, default=True, server_default=sa.true()),
    sa.Column(
        "reclaim_action",
        str_enum(ReclaimAction),
        nullable=False,
        default=ReclaimAction.pool,
        server_default="pool",
    ),
    sa.Column("max_key_accounts", sa.Integer),
    sa.Column("created_at", UtcDateTime),
    sa.Column("updated_at", UtcDateTime),
)

assignments = sa.Table(
    "assignments",
    metadata,
    _id(),
    sa.Column(
        "customer_id",
        sa.Integer,
        sa.ForeignKey("customers.id", ondelete="RESTRICT"),
        nullable=False,
        index=True,
    ),
    sa.Column("from_rep_id", sa.Integer, sa.ForeignKey("reps.id", ondelete="RESTRICT")),
    sa.Column("to_rep_id", sa.Integer, sa.ForeignKey("reps.id", ondelete="RESTRICT")),
    sa.Column("method", str_enum(AssignMethod), nullable=False),
    sa.Column("rule_id", sa.Integer),
    sa.Column("strategy", sa.String(50)),
    sa.Column("reason", sa.String(1000)),
    sa.Column("explanation", Json, nullable=False, default=dict),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("capacity_override", sa.Boolean, nullable=False, default=False),
    sa.Column("idempotency_key", sa.String(200), unique=True),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("arm", sa.String(10)),
    sa.Index("ix_assignments_to_rep_at", "to_rep_id", "at"),
    sa.Index("ix_assignments_rule_arm", "rule_id", "arm"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    _id(),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("object_type", sa.String(40), nullable=False),
    sa.Column("object_id", sa.String(100), nullable=False),
    sa.Column("before", Json, nullable=False, default=dict),
    sa.Column("after", Json, nullable=False, default=dict),
    sa.Column("at", UtcDateTime, nullable=False, index=True),
    sa.Index("ix_audit_log_object", "object_type", "object_id"),
)

rules = sa.Table(
    "rules",
    metadata,
    _id(),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("priority", sa.Integer, nullable=False, index=True),
    sa.Column("conditions", Json, nullable=False, default=dict),
    sa.Column("target", Json, nullable=False, default=dict),
    sa.Column("strategy", sa.String(40), nullable=False),
    sa.Column("strategy_options", Json, nullable=False, default=dict),
    sa.Column("fallback", sa.String(20), nullable=False),
    sa.Column("fallback_pool", sa.String(100)),
    sa.Column("required_skills", Json, nullable=False, default=list),
    sa.Column("window", Json),
    sa.Column("enabled", sa.Boolean, nullable=False, default=True),
    sa.Column("is_default", sa.Boolean, nullable=False, default=False),
    # What the rule routes: customers, or tasks (domain/tasks.py); one rule language.
    sa.Column(
        "subject", sa.String(20), nullable=False, default="customer", server_default="customer"
    ),
    sa.Column("holdout", Json),
    sa.Column("reroute", Json),
    sa.Column("version", sa.Integer, nullable=False, default=1),
    sa.Column("created_at", UtcDateTime),
    sa.Column("updated_at", UtcDateTime),
    sa.Column("deleted_at", UtcDateTime),
)

rule_versions = sa.Table(
    "rule_versions",
    metadata,
    _id(),
    sa.Column("rule_id", sa.Integer, sa.ForeignKey("rules.id", ondelete="CASCADE"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("snapshot", Json, nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("note", Json, nullable=True),
    sa.UniqueConstraint("rule_id", "version", name="uq_rule_versions_rule_version"),
)

routing_state = sa.Table(
    "routing_state",
    metadata,
    sa.Column(
        "rule_id", sa.Integer, sa.ForeignKey("rules.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("state", Json, nullable=False, default=dict),
    sa.Column("updated_at", UtcDateTime),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    _id(),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("prefix", sa.String(24), nullable=False, unique=True),
    sa.Column("secret_hash", sa.String(128), nullable=False),
    sa.Column("scopes", Json, nullable=False, default=list),
    sa.Column("created_by", sa.String(64)),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime),
    sa.Column("revoked_at", UtcDateTime),
    sa.Column("last_used_at", UtcDateTime),
)

login_failures = sa.Table(
    "login_failures",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("first_failed_at", UtcDateTime, nullable=False),
    sa.Column("locked_until", UtcDateTime),
)

idempotent_requests = sa.Table(
    "idempotent_requests",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("object_id", sa.Integer, nullable=False),
    sa.Column("response", Json, nullable=False, default=dict),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

# Accepted signed webhook requests until their time window ends (services/webhooks.py):
# the primary key refuses the same signature twice, also from two concurrent requests.
webhook_receipts = sa.Table(
    "webhook_receipts",
    metadata,
    sa.Column("digest", sa.String(64), primary_key=True),
    sa.Column("expires_at", UtcDateTime, nullable=False, index=True),
)

# The transactional outbox (domain/events.py): written with the change it tells of; the
# dispatcher turns each event into deliveries once (``expanded_at``) and sends those.
outbox_events = sa.Table(
    "outbox_events",
    metadata,
    _id(),
    sa.Column("type", str_enum(EventType, 40), nullable=False),
    sa.Column("key", sa.String(64), nullable=False, unique=True),
    sa.Column("payload", Json, nullable=False, default=dict),
    sa.Column("occurred_at", UtcDateTime, nullable=False),
    sa.Column("expanded_at", UtcDateTime, index=True),
)

deliveries = sa.Table(
    "deliveries",
    metadata,
    _id(),
    sa.Column(
        "event_id",
        sa.Integer,
        sa.ForeignKey("outbox_events.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("channel", str_enum(Channel), nullable=False),
    sa.Column("recipient", sa.String(200), nullable=False),
    sa.Column("key", sa.String(300), nullable=False, unique=True),
    sa.Column("status", str_enum(DeliveryStatus), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", UtcDateTime, nullable=False),
    sa.Column("lease_owner", sa.String(100)),
    sa.Column("lease_until", UtcDateTime),
    sa.Column("last_error", sa.String(1000)),
    sa.Column("delivered_at", UtcDateTime),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Index("ix_deliveries_status_next", "status", "next_attempt_at"),
)

# The in-app inbox (站内信): one row per user and event, so a repeat adds nothing.
notifications = sa.Table(
    "notifications",
    metadata,
    _id(),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("event_key", sa.String(64), nullable=False),
    sa.Column("type", str_enum(EventType, 40), nullable=False),
    sa.Column("payload", Json, nullable=False, default=dict),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("read_at", UtcDateTime),
    sa.UniqueConstraint("user_id", "event_key", name="uq_notifications_user_event"),
    sa.Index("ix_notifications_user_read", "user_id", "read_at"),
)

# Scheduled jobs: the primary key lets one process, of any number, run a job's slot.
job_runs = sa.Table(
    "job_runs",
    metadata,
    sa.Column("job", sa.String(64), primary_key=True),
    sa.Column("slot", sa.Integer, primary_key=True),
    sa.Column("status", str_enum(JobStatus), nullable=False),
    sa.Column("worker", sa.String(100), nullable=False),
    sa.Column("started_at", UtcDateTime, nullable=False),
    sa.Column("finished_at", UtcDateTime),
    sa.Column("summary", sa.String(1000)),
    sa.Index("ix_job_runs_started", "started_at"),
)

# Integrators' webhook subscriptions (domain/subscriptions.py): their deliveries name them
# by ``name`` (channel webhook), so the name is unique and never changes.
webhook_subscriptions = sa.Table(
    "webhook_subscriptions",
    metadata,
    _id(),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("secret", sa.String(100), nullable=False),
    sa.Column("events", Json, nullable=False, default=list),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("created_by", sa.String(64)),
)

# Notification preferences (domain/preferences.py): one row per user who chose, one per
# role an admin gave a default. email_events null: the role's default (users) applies.
notification_preferences = sa.Table(
    "notification_preferences",
    metadata,
    sa.Column(
        "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("email_events", Json),
    sa.Column("quiet_start", sa.String(5)),
    sa.Column("quiet_end", sa.String(5)),
    sa.Column("digest", sa.Boolean, nullable=False, default=False, server_default=sa.false()),
    sa.Column("last_digest_at", UtcDateTime),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

role_notification_defaults = sa.Table(
    "role_notification_defaults",
    metadata,
    sa.Column("role", str_enum(Role), primary_key=True),
    sa.Column("email_events", Json, nullable=False, default=list),
)

# Customer imports (domain/import_jobs.py): one row per import of a file, its progress
# moved in the same transaction as each batch of rows, so a killed import resumes exactly.
import_jobs = sa.Table(
    "import_jobs",
    metadata,
    _id(),
    sa.Column("file_name", sa.String(200), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False, index=True),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("route", sa.Boolean, nullable=False, default=True),
    sa.Column("status", str_enum(ImportStatus), nullable=False),
    sa.Column("last_row", sa.Integer, nullable=False, default=0),
    sa.Column("rows_imported", sa.Integer, nullable=False, default=0),
    sa.Column("rows_routed", sa.Integer, nullable=False, default=0),
    sa.Column("started_at", UtcDateTime, nullable=False),
    sa.Column("finished_at", UtcDateTime),
    sa.Column("note", sa.String(1000)),
    # One running job per file: two first imports of it started at once cannot both run.
    sa.Index(
        "ux_import_jobs_running_sha256",
        "sha256",
        unique=True,
        sqlite_where=sa.text("status = 'running'"),
        postgresql_where=sa.text("status = 'running'"),
    ),
)

# Follow-ups (跟进记录) and stage changes (domain/follow_ups.py): records that the
# customer's timeline shows with its assignments (a follow-up may be corrected, never its
# time), gone with a customer deleted for good (a retention job's hard delete). The
# partial index finds the follow-ups whose reminder is still to be written (the
# follow-up-reminders job), on both databases.
follow_ups = sa.Table(
    "follow_ups",
    metadata,
    _id(),
    sa.Column(
        "customer_id",
        sa.Integer,
        sa.ForeignKey("customers.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("rep_id", sa.Integer, sa.ForeignKey("reps.id", ondelete="SET NULL")),
    sa.Column("author", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(100), nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("content", sa.String(2000), nullable=False),
    sa.Column("outcome", sa.String(500)),
    sa.Column("next_at", UtcDateTime),
    sa.Column("reminded_at", UtcDateTime),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("edited_at", UtcDateTime),
    sa.Index("ix_follow_ups_customer_at", "customer_id", "at"),
    sa.Index(
        "ix_follow_ups_reminder_due",
        "next_at",
        sqlite_where=sa.text("reminded_at IS NULL AND next_at IS NOT NULL"),
        postgresql_where=sa.text("reminded_at IS NULL AND next_at IS NOT NULL"),
    ),
)

stage_changes = sa.Table(
    "stage_changes",
    metadata,
    _id(),
    sa.Column(
        "customer_id",
        sa.Integer,
        sa.ForeignKey("customers.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("from_stage", str_enum(Stage), nullable=False),
    sa.Column("to_stage", str_enum(Stage), nullable=False),
    sa.Column("reason", sa.String(500)),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Index("ix_stage_changes_customer_at", "customer_id", "at"),
)

# First-contact SLAs (domain/sla.py): policies, one clock per owner of a customer, and the
# admin's holiday / make-up workday entries per calendar (they override the package's).
sla_policies = sa.Table(
    "sla_policies",
    metadata,
    _id(),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("level", sa.String(50)),
    sa.Column("rule_id", sa.Integer, sa.ForeignKey("rules.id", ondelete="CASCADE")),
    sa.Column("first_contact_minutes", sa.Integer, nullable=False),
    sa.Column("remind_before_minutes", sa.Integer, nullable=False, default=0),
    sa.Column("notify_manager", sa.Boolean, nullable=False, default=False),
    sa.Column("reassign_after_minutes", sa.Integer),
    sa.Column("calendar", sa.String(20), nullable=False, default="CN"),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("position", sa.Integer, nullable=False, default=0),
    sa.Column("created_at", UtcDateTime),
    sa.Column("updated_at", UtcDateTime),
    sa.Column("next_contact_minutes", sa.Integer),  # None: no next-contact target
)

sla_clocks = sa.Table(
    "sla_clocks",
    metadata,
    _id(),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("rep_id", sa.Integer, sa.ForeignKey("reps.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("policy_id", sa.Integer, sa.ForeignKey("sla_policies.id", ondelete="SET NULL")),
    sa.Column("assignment_id", sa.Integer),
    sa.Column("state", str_enum(ClockState), nullable=False, default=ClockState.open),
    sa.Column("started_at", UtcDateTime, nullable=False),
    sa.Column("due_at", UtcDateTime, nullable=False),
    sa.Column("remind_at", UtcDateTime),
    sa.Column("reassign_at", UtcDateTime),
    sa.Column("reminded_at", UtcDateTime),
    sa.Column("breached_at", UtcDateTime),
    sa.Column("escalated_at", UtcDateTime),
    sa.Column("reassigned_at", UtcDateTime),
    sa.Column("met_at", UtcDateTime),
    sa.Column("cancelled_at", UtcDateTime),
    sa.Column("paused_at", UtcDateTime),
    sa.Column("paused_minutes", sa.Integer, nullable=False, default=0),
    sa.Index("ix_sla_clocks_state_due_at", "state", "due_at"),
    sa.Column("kind", str_enum(ClockKind), nullable=False, default=ClockKind.first),
    sa.Column("followed_at", UtcDateTime),  # the next clock started (or none applies)
    sa.Index("ix_sla_clocks_followed_at_met_at", "followed_at", "met_at"),  # the job's "follow"
)  # fmt: skip

holidays = sa.Table(
    "holidays",
    metadata,
    _id(),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("kind", str_enum(DayKind), nullable=False),
    sa.Column("name", sa.String(100), nullable=False, default=""),
    sa.Column("calendar", sa.String(20), nullable=False, default="CN"),
    sa.UniqueConstraint("calendar", "day", name="uq_holidays_calendar_day"),
)

# Tasks (domain/tasks.py): routed by the engine like customers. The linked customers are
# kept apart (the first one also on the task, for "the customer's owner"); checklist,
# comments and history are records of their own, gone with their task.
tasks = sa.Table(
    "tasks",
    metadata,
    _id(),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("description", sa.String(5000)),
    sa.Column("kind", sa.String(100)),
    sa.Column("category", sa.String(100)),
    sa.Column("priority", str_enum(TaskPriority), nullable=False),
    sa.Column("urgency", sa.Integer),
    sa.Column("status", str_enum(TaskStatus), nullable=False),
    sa.Column("origin", str_enum(TaskOrigin), nullable=False),
    sa.Column("origin_ref", sa.String(100)),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id", ondelete="SET NULL"),
              index=True),
    sa.Column("assignee_id", sa.Integer, sa.ForeignKey("reps.id", ondelete="SET NULL")),
    sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id", ondelete="SET NULL")),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_by_user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
    sa.Column("start_at", UtcDateTime),
    sa.Column("due_at", UtcDateTime),
    sa.Column("completed_at", UtcDateTime),
    sa.Column("effort_hours", sa.Numeric(8, 2)),
    sa.Column("progress", sa.Integer, nullable=False, default=0),
    sa.Column("blocked_reason", sa.String(1000)),
    sa.Column("recurrence", Json),
    sa.Column("series_id", sa.Integer),
    sa.Column("started_reminded_at", UtcDateTime),
    sa.Column("before_due_reminded_at", UtcDateTime),
    sa.Column("due_reminded_at", UtcDateTime),
    sa.Column("overdue_at", UtcDateTime),
    sa.Column("escalated_at", UtcDateTime),
    sa.Column("difficulty", sa.Integer),
    sa.Column("completion_note", sa.String(1000)),
    sa.Column("quality", sa.Integer),
    sa.Column("satisfaction", sa.Integer),
    sa.Column("rating_note", sa.String(1000)),
    sa.Column("rated_by", sa.String(64)),
    sa.Column("rated_at", UtcDateTime),
    sa.Column("decision", Json),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime),
    sa.Index("ix_tasks_assignee_status_due", "assignee_id", "status", "due_at"),
    sa.Index("ix_tasks_status_due", "status", "due_at"),
)  # fmt: skip

# Task timers (domain/task_timers.py): per priority, in business minutes; a task's
# reassignment by the task-reminders job, claimed once (services/tasks/reminders.py).
task_timer_policies = sa.Table(
    "task_timer_policies",
    metadata,
    sa.Column("priority", sa.String(20), primary_key=True),
    sa.Column("remind_before", sa.Integer, nullable=False),  # minutes before due
    sa.Column("overdue_after", sa.Integer, nullable=False),  # minutes past due: overdue
    sa.Column("escalate_after", sa.Integer),  # minutes past due: tell the manager
    sa.Column("reassign_after", sa.Integer),  # minutes past due: route to someone else
    sa.Column("updated_by", sa.String(64)),
    sa.Column("updated_at", UtcDateTime),
)

# Whether an SLA breach / a reclaim warning also makes a task for the owner (off by default).
task_origin_settings = sa.Table(
    "task_origin_settings",
    metadata,
    sa.Column("origin", sa.String(20), primary_key=True),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("updated_by", sa.String(64)),
    sa.Column("updated_at", UtcDateTime),
)

task_timer_reassignments = sa.Table(
    "task_timer_reassignments",
    metadata,
    sa.Column("task_id", sa.Integer, sa.ForeignKey("tasks.id", ondelete="CASCADE"),
              primary_key=True, autoincrement=False),
    sa.Column("at", UtcDateTime, nullable=False),
)  # fmt: skip

task_customers = sa.Table(
    "task_customers",
    metadata,
    sa.Column("task_id", sa.Integer, sa.ForeignKey("tasks.id", ondelete="CASCADE"),
              primary_key=True, autoincrement=False),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id", ondelete="CASCADE"),
              primary_key=True, autoincrement=False),
    sa.Column("position", sa.Integer, nullable=False, default=0),
    sa.Index("ix_task_customers_customer", "customer_id"),
)  # fmt: skip

task_checklist = sa.Table(
    "task_checklist",
    metadata,
    _id(),
    sa.Column("task_id", sa.Integer, sa.ForeignKey("tasks.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("text", sa.String(300), nullable=False),
    sa.Column("position", sa.Integer, nullable=False, default=0),
    sa.Column("done", sa.Boolean, nullable=False, default=False),
    sa.Column("done_by", sa.String(64)),
    sa.Column("done_at", UtcDateTime),
)  # fmt: skip

task_comments = sa.Table(
    "task_comments",
    metadata,
    _id(),
    sa.Column("task_id", sa.Integer, sa.ForeignKey("tasks.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("author", sa.String(64), nullable=False),
    sa.Column("body", sa.String(2000), nullable=False),
    sa.Column("mentions", Json, nullable=False, default=list),
    sa.Column("at", UtcDateTime, nullable=False),
)  # fmt: skip

task_events = sa.Table(
    "task_events",
    metadata,
    _id(),
    sa.Column("task_id", sa.Integer, sa.ForeignKey("tasks.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("kind", str_enum(TaskEventKind), nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("detail", Json, nullable=False, default=dict),
    sa.Index("ix_task_events_task_at", "task_id", "at"),
)  # fmt: skip

# Scoring (issue 15): each model kind's versions, at most one active per kind.
score_models = sa.Table(
    "score_models",
    metadata,
    _id(),
    sa.Column("kind", str_enum(ModelKind), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("params", Json, nullable=False, default=dict),
    sa.Column("metrics", Json, nullable=False, default=dict),
    sa.Column("active", sa.Boolean, nullable=False, default=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", UtcDateTime),
    sa.Column("activated_at", UtcDateTime),
    sa.Column("note", sa.String(1000)),
    sa.UniqueConstraint("kind", "version", name="uq_score_models_kind_version"),
    sa.Index(
        "ix_score_models_one_active",
        "kind",
        unique=True,
        sqlite_where=sa.text("active"),
        postgresql_where=sa.text("active"),
    ),
)

# How grades follow from scores: one row (id 1) once an admin saves it.
scoring_settings = sa.Table(
    "scoring_settings",
    metadata,
    _id(),
    sa.Column("grade_basis", sa.String(20), nullable=False),
    sa.Column("thresholds", Json, nullable=False, default=dict),
    sa.Column("updated_by", sa.String(64)),
    sa.Column("updated_at", UtcDateTime),
)

# CRM sync (同步): each connection's cursors and last run; CRM record ↔ customer links;
# every owner change considered for pushing, with what became of it (sent once, never twice).
sync_state = sa.Table(
    "sync_state",
    metadata,
    sa.Column("connection", sa.String(64), primary_key=True),
    sa.Column("pull_cursor", UtcDateTime),
    sa.Column("push_cursor", sa.Integer, nullable=False, default=0),
    sa.Column("last_run_at", UtcDateTime),
    sa.Column("last_counts", Json, nullable=False, default=dict),
    sa.Column("last_error", sa.String(2000)),
)
sync_links = sa.Table(
    "sync_links",
    metadata,
    _id(),
    sa.Column("connection", sa.String(64), nullable=False),
    sa.Column("module", sa.String(64), nullable=False),
    sa.Column("external_id", sa.String(100), nullable=False),
    sa.Column(
        "customer_id",
        sa.Integer,
        sa.ForeignKey("customers.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("linked_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint(
        "connection", "module", "external_id", name="uq_sync_links_connection_external"
    ),
    sa.UniqueConstraint(
        "connection", "module", "customer_id", name="uq_sync_links_connection_customer"
    ),
)
sync_pushes = sa.Table(
    "sync_pushes",
    metadata,
    _id(),
    sa.Column("connection", sa.String(64), nullable=False),
    sa.Column(
        "assignment_id",
        sa.Integer,
        sa.ForeignKey("assignments.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column(
        "customer_id",
        sa.Integer,
        sa.ForeignKey("customers.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("external_id", sa.String(100)),
    sa.Column("owner_external_id", sa.String(100)),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("note", sa.String(1000)),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("connection", "assignment_id", name="uq_sync_pushes_connection_assignment"),
    sa.Index("ix_sync_pushes_connection_status", "connection", "status"),
)

# Attachments (资料, domain/attachments.py): a customer's files, optionally narrowed to one
# of its tasks or follow-ups (real foreign keys, so a task or follow-up removed for good
# leaves the file with its customer rather than a dangling owner id). The bytes live in
# the file store under ``storage_key``; deleting is soft (``deleted_at``).
attachments = sa.Table(
    "attachments",
    metadata,
    _id(),
    sa.Column(
        "customer_id",
        sa.Integer,
        sa.ForeignKey("customers.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("task_id", sa.Integer, sa.ForeignKey("tasks.id", ondelete="SET NULL")),
    sa.Column("follow_up_id", sa.Integer, sa.ForeignKey("follow_ups.id", ondelete="SET NULL")),
    sa.Column("storage_key", sa.String(500), nullable=False, unique=True),
    sa.Column("file_name", sa.String(255), nullable=False),
    sa.Column("content_type", sa.String(100), nullable=False),
    sa.Column("size_bytes", sa.Integer, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("uploaded_by", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
    sa.Column("uploader_name", sa.String(64), nullable=False),
    sa.Column("uploaded_at", UtcDateTime, nullable=False),
    sa.Column("deleted_at", UtcDateTime),
    sa.Column("deleted_by", sa.String(64)),
    sa.Index("ix_attachments_customer_uploaded", "customer_id", "uploaded_at"),
)

# Exports (services/exports): the admin's choice whether reps may export (one row; none:
# the FENPEI_EXPORT_BY_REPS default).
export_settings = sa.Table(
    "export_settings",
    metadata,
    _id(),
    sa.Column("reps_may_export", sa.Boolean, nullable=False),
    sa.Column("updated_by", sa.String(64)),
    sa.Column("updated_at", UtcDateTime),
)

# Files uploaded to be imported (domain/import_uploads.py): the bytes stay here until the
# import ends (a worker on another host reads them), then only the error file is kept.
import_uploads = sa.Table(
    "import_uploads",
    metadata,
    _id(),
    sa.Column("file_name", sa.String(200), nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("uploaded_by", sa.String(64), nullable=False),
    sa.Column("uploaded_at", UtcDateTime, nullable=False),
    sa.Column("headers", Json, nullable=False, default=list),
    sa.Column("rows", sa.Integer, nullable=False, default=0),
    sa.Column("encoding", sa.String(40)),
    sa.Column("sheet", sa.String(200)),
    sa.Column("sheets", Json, nullable=False, default=list),
    sa.Column("state", str_enum(UploadState), nullable=False, index=True),
    sa.Column("mode", str_enum(ImportMode), nullable=False),
    sa.Column("route", sa.Boolean, nullable=False, default=True),
    sa.Column("source", sa.String(200)),
    sa.Column("mapping", Json, nullable=False, default=dict),
    sa.Column("job_id", sa.Integer, sa.ForeignKey("import_jobs.id", ondelete="SET NULL")),
    sa.Column("bad_rows", sa.Integer, nullable=False, default=0),
    sa.Column("errors", Json, nullable=False, default=list),
    sa.Column("error_file", sa.LargeBinary),
    sa.Column("claimed_at", UtcDateTime),
    sa.Column("finished_at", UtcDateTime),
    sa.Column("note", sa.String(1000)),
)

# Column mappings remembered per source (a name the importer picks, or the file's header
# signature): offered again when the next file of that source is uploaded.
import_mappings = sa.Table(
    "import_mappings",
    metadata,
    _id(),
    sa.Column("source", sa.String(200), nullable=False, unique=True),
    sa.Column("mapping", Json, nullable=False, default=dict),
    sa.Column("updated_by", sa.String(64), nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

# Every column refuses what either database would refuse (adapters/db/types.py).
guard_columns(metadata)
mapper_registry = registry(metadata=metadata)
_MAPPED: list[tuple[type, sa.Table]] = [
    (User, users),
    (Team, teams),
    (Rep, reps),
    (Leave, leaves),
    (Company, companies),
    (Customer, customers),
    (Pool, pools),
    (Category, categories),
    (CategoryValue, category_values),
    (CustomField, custom_fields),
    (Assignment, assignments),
    (AuditEntry, audit_log),
    (Rule, rules),
    (RuleVersion, rule_versions),
    (RoutingState, routing_state),
    (ApiToken, api_tokens),
    (LoginFailures, login_failures),
    (IdempotentRequest, idempotent_requests),
    (OutboxEvent, outbox_events),
    (Delivery, deliveries),
    (Notification, notifications),
    (JobRun, job_runs),
    (WebhookSubscription, webhook_subscriptions),
    (NotificationPreferences, notification_preferences),
    (RoleNotificationDefaults, role_notification_defaults),
    (FollowUp, follow_ups),
    (StageChange, stage_changes),
    (SlaPolicy, sla_policies),
    (SlaClock, sla_clocks),
    (CalendarDay, holidays),
    (Task, tasks),
    (ChecklistItem, task_checklist),
    (TaskComment, task_comments),
    (TaskEvent, task_events),
    (ScoreModel, score_models),
    (Attachment, attachments),
]


def map_domain() -> None:
    """Map the domain classes onto the tables; idempotent, called by the composition root."""
    for cls, table in _MAPPED:
        if not hasattr(cls, "__mapper__"):
            mapper_registry.map_imperatively(cls, table)


# Duplicates in bulk and merge (domain/dedupe.py; issue 16 part 4): pairs found by a scan
# to review, and each merge with what undoing it needs. Core only (not mapped).
duplicate_pairs = sa.Table(
    "duplicate_pairs",
    metadata,
    _id(),
    sa.Column("low_id", sa.Integer, sa.ForeignKey("customers.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("high_id", sa.Integer, sa.ForeignKey("customers.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("similarity", sa.Float),
    sa.Column("reasons", Json, nullable=False, default=list),
    sa.Column("status", sa.String(20), nullable=False, index=True),
    sa.Column("found_at", UtcDateTime, nullable=False),
    sa.Column("decided_at", UtcDateTime),
    sa.Column("decided_by", sa.String(64)),
    sa.UniqueConstraint("low_id", "high_id", name="uq_duplicate_pairs_low_id_high_id"),
)  # fmt: skip

customer_merges = sa.Table(
    "customer_merges",
    metadata,
    _id(),
    sa.Column("survivor_id", sa.Integer, sa.ForeignKey("customers.id", ondelete="RESTRICT"),
              nullable=False, index=True),
    sa.Column("loser_id", sa.Integer, sa.ForeignKey("customers.id", ondelete="RESTRICT"),
              nullable=False, index=True),
    sa.Column("pair_id", sa.Integer),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("choices", Json, nullable=False, default=dict),
    sa.Column("survivor_before", Json, nullable=False, default=dict),
    sa.Column("survivor_after", Json, nullable=False, default=dict),
    sa.Column("loser_snapshot", Json, nullable=False, default=dict),
    sa.Column("moved", Json, nullable=False, default=dict),
    sa.Column("owner_change", Json, nullable=False, default=dict),
    sa.Column("undone_at", UtcDateTime),
    sa.Column("undone_by", sa.String(64)),
)  # fmt: skip
guard_columns(metadata)
