"""Each export's columns: a header key in the catalogs and how a stored row is shown.

Values read as the pages show them: the owner's name (or "公海"), the stage's word, a
category value's label, times in the configured zone. Numbers stay numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fenpei.services.exports.kinds import ExportKind, ExportWords
from fenpei.services.pool.listing import mask_email, mask_phone


@dataclass
class Shown:
    """What showing a row needs besides the row: words, names by id, masked pools."""

    words: ExportWords
    rep_names: Mapping[int, str]
    team_names: Mapping[int, str]
    # Whether a pool hides contacts while a customer waits in it (pools nobody configured:
    # ``mask_default``); empty for admins, who see every contact.
    masks: Mapping[str, bool] = field(default_factory=dict)
    mask_default: bool = False

    def rep(self, rep_id: int | None) -> str:
        return "" if rep_id is None else self.rep_names.get(rep_id, f"#{rep_id}")

    def team(self, team_id: int | None) -> str:
        return "" if team_id is None else self.team_names.get(team_id, f"#{team_id}")

    def hidden(self, row: Any) -> bool:
        if row.owner_id is not None or row.pool is None:
            return False
        return self.masks.get(row.pool, self.mask_default)


Show = Callable[[Any, Shown], object]


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # a catalog key
    show: Show


def _word(prefix: str, attribute: str) -> Show:
    def show(row: Any, s: Shown) -> object:
        value = getattr(row, attribute)
        return "" if value is None else s.words.t(f"{prefix}{getattr(value, 'value', value)}")

    return show


def _label(category: str, attribute: str | None = None) -> Show:
    return lambda row, s: s.words.label(category, getattr(row, attribute or category))


def _time(attribute: str) -> Show:
    return lambda row, s: s.words.when(getattr(row, attribute))


def _plain(attribute: str) -> Show:
    return lambda row, s: getattr(row, attribute)


def _reason(row: Any, s: Shown) -> object:
    """A person's reason as typed, fenpei's own in words; a routing decision's reason is
    its explanation, which the customer page shows instead (not exported)."""
    explanation = row.explanation if isinstance(row.explanation, dict) else {}
    if "outcome" in explanation:
        return ""
    return s.words.reason(row.reason, explanation)


def _owner(row: Any, s: Shown) -> object:
    return s.rep(row.owner_id) if row.owner_id is not None else s.words.t("owner.pool")


def _phone(row: Any, s: Shown) -> object:
    return mask_phone(row.phone) if row.phone and s.hidden(row) else row.phone


def _email(row: Any, s: Shown) -> object:
    return mask_email(row.email) if row.email and s.hidden(row) else row.email


CUSTOMER_COLUMNS = (
    Column("id", "exports.column.id", _plain("id")),
    Column("name", "field.name", _plain("name")),
    Column("company", "field.company", _plain("company_name")),
    Column("phone", "field.phone", _phone),
    Column("email", "field.email", _email),
    Column("region", "field.region", _label("region")),
    Column("industry", "field.industry", _label("industry")),
    Column("level", "field.level", _label("level")),
    Column("stage", "field.stage", _word("stage.", "stage")),
    Column("grade", "exports.column.grade", _plain("grade")),
    Column("score", "scoring.list.column", _plain("score")),
    Column("owner", "field.owner", _owner),
    Column("team", "field.team", lambda row, s: s.team(row.team_id)),
    Column("source", "field.source", _label("source")),
    Column("created_at", "field.created_at", _time("created_at")),
    Column("assigned_at", "field.assigned_at", _time("assigned_at")),
)
# The customer list's own columns, in its order (templates/customers/_results.html).
LIST_COLUMNS = (
    "name", "company", "region", "industry", "level", "stage", "grade", "score", "owner",
    "assigned_at",
)  # fmt: skip

ASSIGNMENT_COLUMNS = (
    Column("id", "exports.column.id", _plain("id")),
    Column("at", "exports.column.at", _time("at")),
    Column("customer_id", "exports.column.customer_id", _plain("customer_id")),
    Column("customer", "exports.column.customer", _plain("customer_name")),
    Column("from", "exports.column.from_rep", lambda row, s: s.rep(row.from_rep_id)),
    Column("to", "exports.column.to_rep", lambda row, s: s.rep(row.to_rep_id)),
    Column("method", "exports.column.method", _word("method.", "method")),
    Column("strategy", "exports.column.strategy", _word("rules.strategy.", "strategy")),
    Column("rule_id", "exports.column.rule_id", _plain("rule_id")),
    Column("reason", "exports.column.reason", _reason),
    Column("actor", "exports.column.actor", lambda row, s: s.words.actor(row.actor)),
)
FOLLOW_UP_COLUMNS = (
    Column("id", "exports.column.id", _plain("id")),
    Column("at", "exports.column.at", _time("at")),
    Column("customer_id", "exports.column.customer_id", _plain("customer_id")),
    Column("customer", "exports.column.customer", _plain("customer_name")),
    Column("rep", "exports.column.rep", lambda row, s: s.rep(row.rep_id)),
    Column("author", "exports.column.actor", lambda row, s: s.words.actor(row.author)),
    Column("kind", "followups.field.kind", _label("follow_up_type", "kind")),
    Column("content", "exports.column.content", _plain("content")),
    Column("outcome", "exports.column.outcome", _plain("outcome")),
    Column("next_at", "exports.column.next_at", _time("next_at")),
    Column("edited_at", "exports.column.edited_at", _time("edited_at")),
)
TASK_COLUMNS = (
    Column("id", "exports.column.id", _plain("id")),
    Column("title", "exports.column.title", _plain("title")),
    Column("status", "exports.column.status", _word("tasks.status.", "status")),
    Column("priority", "exports.column.priority", _word("tasks.priority.", "priority")),
    Column("assignee", "exports.column.assignee", lambda row, s: s.rep(row.assignee_id)),
    Column("team", "field.team", lambda row, s: s.team(row.team_id)),
    Column("customer", "exports.column.customer", _plain("customer_name")),
    Column("created_by", "exports.column.created_by", lambda r, s: s.words.actor(r.created_by)),
    Column("due_at", "exports.column.due_at", _time("due_at")),
    Column("completed_at", "exports.column.completed_at", _time("completed_at")),
    Column("progress", "exports.column.progress", _plain("progress")),
    Column("created_at", "field.created_at", _time("created_at")),
)

COLUMNS: Mapping[ExportKind, tuple[Column, ...]] = {
    ExportKind.customers: CUSTOMER_COLUMNS,
    ExportKind.assignments: ASSIGNMENT_COLUMNS,
    ExportKind.follow_ups: FOLLOW_UP_COLUMNS,
    ExportKind.tasks: TASK_COLUMNS,
}
