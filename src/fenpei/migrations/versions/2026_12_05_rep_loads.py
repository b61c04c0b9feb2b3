"""Reps' loads kept as counters (issue 11): ``rep_loads``, one row per rep, so reading a
load costs one row whatever the rep holds. Open holdings (count and expected value) are
moved by triggers on ``customers`` — every insert, update and delete, ORM or Core — and
each rep gets its row from a trigger on ``reps``. Intake per local day / week / month is
counted by the assignments repository. Existing data is counted here.

Revision ID: 20261205_rep_loads
Revises: 20261205_digest
Create Date: 2026-12-05 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from alembic import op

import fenpei.adapters.db.types

revision = "20261205_rep_loads"
down_revision = "20261205_digest"
branch_labels = None
depends_on = None

# A customer counts against its owner while its stage is open and it is not deleted.
_OPEN = "{row}.owner_id IS NOT NULL AND {row}.deleted_at IS NULL AND {row}.stage IN ('new', 'contacted', 'qualified')"  # noqa: E501


def _sqlite_triggers() -> list[str]:
    old, new = _OPEN.format(row="OLD"), _OPEN.format(row="NEW")
    minus = (
        "UPDATE rep_loads SET open_count = open_count - 1, "
        "open_value = open_value - coalesce(OLD.expected_value, 0) "
        f"WHERE rep_id = OLD.owner_id AND {old};"
    )
    plus = (
        "UPDATE rep_loads SET open_count = open_count + 1, "
        "open_value = open_value + coalesce(NEW.expected_value, 0) "
        f"WHERE rep_id = NEW.owner_id AND {new};"
    )
    changed = " OR ".join(
        f"OLD.{column} IS NOT NEW.{column}"
        for column in ("owner_id", "stage", "expected_value", "deleted_at")
    )
    return [
        f"CREATE TRIGGER rep_loads_customer_insert AFTER INSERT ON customers BEGIN {plus} END",
        "CREATE TRIGGER rep_loads_customer_update AFTER UPDATE OF owner_id, stage, "
        f"expected_value, deleted_at ON customers WHEN {changed} BEGIN {minus} {plus} END",
        f"CREATE TRIGGER rep_loads_customer_delete AFTER DELETE ON customers BEGIN {minus} END",
        "CREATE TRIGGER rep_loads_rep_insert AFTER INSERT ON reps "
        "BEGIN INSERT INTO rep_loads (rep_id) VALUES (NEW.id); END",
    ]


# PostgreSQL: one function for the three events. A change touching two reps (a transfer)
# updates the lower rep id first, so two opposite transfers cannot deadlock on the rows.
_PG_FUNCTION = """
CREATE FUNCTION fenpei_rep_loads_customer() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was_open boolean := false;
    is_open boolean := false;
    old_rep integer;
    new_rep integer;
    old_value numeric := 0;
    new_value numeric := 0;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        was_open := {old};
        old_rep := OLD.owner_id;
        old_value := coalesce(OLD.expected_value, 0);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        is_open := {new};
        new_rep := NEW.owner_id;
        new_value := coalesce(NEW.expected_value, 0);
    END IF;
    IF was_open AND is_open AND old_rep = new_rep THEN
        IF old_value <> new_value THEN
            UPDATE rep_loads SET open_value = open_value + (new_value - old_value)
            WHERE rep_id = new_rep;
        END IF;
        RETURN NULL;
    END IF;
    IF was_open AND (NOT is_open OR old_rep < new_rep) THEN
        UPDATE rep_loads SET open_count = open_count - 1, open_value = open_value - old_value
        WHERE rep_id = old_rep;
        was_open := false;
    END IF;
    IF is_open THEN
        UPDATE rep_loads SET open_count = open_count + 1, open_value = open_value + new_value
        WHERE rep_id = new_rep;
    END IF;
    IF was_open THEN
        UPDATE rep_loads SET open_count = open_count - 1, open_value = open_value - old_value
        WHERE rep_id = old_rep;
    END IF;
    RETURN NULL;
END $$
"""
_PG_REP_FUNCTION = """
CREATE FUNCTION fenpei_rep_loads_rep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO rep_loads (rep_id) VALUES (NEW.id);
    RETURN NULL;
END $$
"""


def _postgres_triggers() -> list[str]:
    return [
        _PG_FUNCTION.format(old=_OPEN.format(row="OLD"), new=_OPEN.format(row="NEW")),
        "CREATE TRIGGER rep_loads_customer AFTER INSERT OR DELETE OR UPDATE OF owner_id, "
        "stage, expected_value, deleted_at ON customers FOR EACH ROW "
        "EXECUTE FUNCTION fenpei_rep_loads_customer()",
        _PG_REP_FUNCTION,
        "CREATE TRIGGER rep_loads_rep AFTER INSERT ON reps FOR EACH ROW "
        "EXECUTE FUNCTION fenpei_rep_loads_rep()",
    ]


def upgrade() -> None:
    op.create_table(
        "rep_loads",
        sa.Column("rep_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("open_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "open_value", sa.Numeric(precision=16, scale=2), server_default="0", nullable=False
        ),
        sa.Column("day_start", sa.Date(), nullable=True),
        sa.Column("day_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("week_start", sa.Date(), nullable=True),
        sa.Column("week_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("month_start", sa.Date(), nullable=True),
        sa.Column("month_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "last_received_at", fenpei.adapters.db.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.ForeignKeyConstraint(["rep_id"], ["reps.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("rep_id"),
    )
    bind = op.get_bind()
    for statement in (
        _postgres_triggers() if bind.dialect.name == "postgresql" else _sqlite_triggers()
    ):
        op.execute(statement)
    _count_existing(bind)


def _count_existing(bind: sa.Connection) -> None:
    """What the counters would hold had they always been kept (as ``fenpei doctor``
    recounts them): open holdings by SQL, intake per each rep's local periods."""
    bind.execute(sa.text("INSERT INTO rep_loads (rep_id) SELECT id FROM reps"))
    bind.execute(
        sa.text(
            "UPDATE rep_loads SET "
            "open_count = (SELECT count(*) FROM customers c WHERE c.owner_id = rep_loads.rep_id "
            f"AND {_OPEN.format(row='c')}), "
            "open_value = (SELECT coalesce(sum(c.expected_value), 0) FROM customers c "
            f"WHERE c.owner_id = rep_loads.rep_id AND {_OPEN.format(row='c')})"
        )
    )
    now = datetime.now(UTC)
    since = now - timedelta(days=32)
    zones: dict[int, str] = dict(bind.execute(sa.text("SELECT id, time_zone FROM reps")).all())
    received: dict[int, list[datetime]] = {}
    rows: Sequence[Any] = bind.execute(
        sa.select(sa.column("to_rep_id"), sa.column("at", fenpei.adapters.db.types.UtcDateTime()))
        .select_from(sa.table("assignments"))
        .where(
            sa.column("to_rep_id").is_not(None),
            sa.column("at", fenpei.adapters.db.types.UtcDateTime()) >= since,
            sa.or_(
                sa.column("from_rep_id").is_(None),
                sa.column("from_rep_id") != sa.column("to_rep_id"),
            ),
        )
    ).all()
    for rep_id, at in rows:
        received.setdefault(rep_id, []).append(at)
    last: dict[int | None, Any] = dict(
        bind.execute(
            sa.text(
                "SELECT to_rep_id, max(at) FROM assignments WHERE from_rep_id IS NULL "
                "OR from_rep_id <> to_rep_id GROUP BY to_rep_id"
            )
        ).all()
    )
    for rep_id, times in received.items():
        day, week, month = _local_periods(now, zones.get(rep_id, "UTC"))
        local = [_local_periods(at, zones.get(rep_id, "UTC")) for at in times]
        bind.execute(
            sa.text(
                "UPDATE rep_loads SET day_start = :day, day_count = :d, week_start = :week, "
                "week_count = :w, month_start = :month, month_count = :m WHERE rep_id = :rep"
            ),
            {
                "rep": rep_id,
                "day": day,
                "week": week,
                "month": month,
                "d": sum(p[0] == day for p in local),
                "w": sum(p[1] == week for p in local),
                "m": sum(p[2] == month for p in local),
            },
        )
    for who, when in last.items():
        if who is not None and when is not None:
            bind.execute(
                sa.text(
                    "UPDATE rep_loads SET last_received_at = :at WHERE rep_id = :rep"
                ).bindparams(sa.bindparam("at", type_=fenpei.adapters.db.types.UtcDateTime())),
                {"rep": who, "at": _aware(when)},
            )


def _aware(at: datetime | str) -> datetime:
    """``max(at)`` comes back as text on SQLite (the column's type is lost in the aggregate)."""
    value = datetime.fromisoformat(at) if isinstance(at, str) else at
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _local_periods(at: datetime, name: str) -> tuple[object, object, object]:
    try:
        tz = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    local = _aware(at).astimezone(tz).date()
    return local, local - timedelta(days=local.weekday()), local.replace(day=1)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER rep_loads_customer ON customers")
        op.execute("DROP TRIGGER rep_loads_rep ON reps")
        op.execute("DROP FUNCTION fenpei_rep_loads_customer()")
        op.execute("DROP FUNCTION fenpei_rep_loads_rep()")
    else:
        for name in ("customer_insert", "customer_update", "customer_delete", "rep_insert"):
            op.execute(f"DROP TRIGGER rep_loads_{name}")
    op.drop_table("rep_loads")
