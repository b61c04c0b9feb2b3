"""Start an export: who may, what they may see, the audit entry, then rows in batches.

Everything is decided and recorded before the first byte is written: permission, scope,
the number of rows and the audit entry (who, what, filter, row count), committed in one
short transaction. The rows are then read a batch at a time, each batch in a read-only
unit of work of its own, so a slow download never holds a transaction open; a row changed
meanwhile is exported as it is when its batch is read (keyset order by id: no row twice).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from fenpei.domain.audit import AuditEntry
from fenpei.domain.errors import PermissionDenied, ValidationFailed
from fenpei.domain.pools import default_pool
from fenpei.domain.users import Actor, Role
from fenpei.services import scope
from fenpei.services.customers import visible_query
from fenpei.services.exports import reports, settings
from fenpei.services.exports.columns import COLUMNS, LIST_COLUMNS, Column, Shown
from fenpei.services.exports.kinds import REPORTS, ExportFormat, ExportKind, ExportWords
from fenpei.services.exports.ports import RecordFilter
from fenpei.services.ports import CustomerQuery, UnitOfWork

BATCH = 2000
_TABLES = {
    ExportKind.assignments: "assignments",
    ExportKind.follow_ups: "follow_ups",
    ExportKind.tasks: "tasks",
}


class UowFactory(Protocol):
    def __call__(self, *, read_only: bool = False) -> UnitOfWork: ...


@dataclass(frozen=True)
class ExportRequest:
    """What to export. ``query`` chooses customers (the list's filter, its page aside);
    ``records`` history rows; ``columns`` the customer columns (None: the list's own);
    ``params`` the filter as the exporter gave it, kept in the audit entry."""

    kind: ExportKind
    fmt: ExportFormat = ExportFormat.csv
    query: CustomerQuery = field(default_factory=CustomerQuery)
    records: RecordFilter = field(default_factory=RecordFilter)
    columns: Sequence[str] | None = None
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Export:
    """A started export: its file's name, sheet, header and row count, and the rows, a
    batch at a time (read lazily, as the file is written)."""

    kind: ExportKind
    fmt: ExportFormat
    filename: str
    sheet: str
    headers: list[str]
    rows: int
    batches: Iterator[list[list[object]]]


def may_export(actor: Actor, *, reps_may_export: bool) -> bool:
    """Admins, managers and auditors export what they see; reps only when the admin
    allowed it (``services/exports/settings.py``)."""
    return actor.role is not Role.rep or reps_may_export


def require_exporter(actor: Actor, *, reps_may_export: bool) -> None:
    if not may_export(actor, reps_may_export=reps_may_export):
        raise PermissionDenied(
            "exports are turned off for reps (the admin turns them on on the exports page)"
        )


def customer_columns(wanted: Sequence[str] | None) -> list[Column]:
    """The customer columns asked for, in the order asked; unknown names are an error."""
    known = {column.key: column for column in COLUMNS[ExportKind.customers]}
    keys = list(wanted) if wanted else list(LIST_COLUMNS)
    unknown = [key for key in keys if key not in known]
    if unknown:
        raise ValidationFailed.one(
            "columns", f"unknown column {unknown[0]!r}; known: {', '.join(known)}"
        )
    if len(set(keys)) != len(keys):
        raise ValidationFailed.one("columns", "a column is named twice")
    return [known[key] for key in keys]


def start_export(
    *,
    uows: UowFactory,
    actor: Actor,
    request: ExportRequest,
    words: ExportWords,
    now: datetime,
    reps_default: bool,
    batch_size: int = BATCH,
) -> Export:
    """Check, count and audit an export of what ``actor`` may see; its rows follow lazily.
    ``reps_default``: whether reps may export while the admin has not said."""
    kind = request.kind
    with uows() as uow:
        allowed = settings.reps_may_export(uow=uow, default=reps_default)
        require_exporter(actor, reps_may_export=allowed)
        visible = scope.data_scope(uow=uow, actor=actor)
        shown = _shown(uow, actor, words)
        query = request.query
        where = request.records
        table: list[list[object]] = []
        if kind is ExportKind.customers:
            columns = customer_columns(request.columns)
            _check_query(query)
            query = visible_query(uow=uow, query=query, actor=actor)
            count = uow.exports.count_customers(query)
        elif kind in REPORTS:
            columns = []
            headers, table = reports.report_table(
                uow=uow, actor=actor, kind=kind, words=words, now=now
            )
            count = len(table)
        else:
            columns = list(COLUMNS[kind])
            where = replace(
                where,
                rep_ids=visible.rep_ids,
                team_ids=visible.team_ids or frozenset(),
                creator_user_id=actor.user_id if kind is ExportKind.tasks else None,
            )
            count = uow.exports.count_records(_TABLES[kind], where)
        if kind not in REPORTS:
            headers = [words.t(column.header) for column in columns]
        details = {"columns": [column.key for column in columns] or headers, "rows": count}
        _record(uow, actor, request, words, now, details)
        uow.commit()
    if kind is ExportKind.customers:
        batches = _customer_batches(uows, query, columns, shown, batch_size)
    elif kind in REPORTS:
        batches = iter([table])
    else:
        batches = _record_batches(uows, _TABLES[kind], where, columns, shown, batch_size)
    stamp = now.astimezone(words.zone).strftime("%Y%m%d-%H%M")
    return Export(
        kind=kind,
        fmt=request.fmt,
        filename=f"{kind.value}-{stamp}.{request.fmt.value}",
        sheet=words.t(f"exports.kind.{kind.value}"),
        headers=headers,
        rows=count,
        batches=batches,
    )


def _record(
    uow: UnitOfWork,
    actor: Actor,
    request: ExportRequest,
    words: ExportWords,
    now: datetime,
    details: Mapping[str, object],
) -> None:
    """The audit entry: who exported what, in which format and language, with which filter,
    columns and row count."""
    uow.audit.add(
        AuditEntry(
            actor=actor.name,
            action="export",
            object_type="export",
            # An export is no stored object: it is named by its moment, its kind kept.
            object_id=f"{now:%Y%m%d%H%M%S}",
            at=now,
            before={},
            after={
                "kind": request.kind.value,
                "format": request.fmt.value,
                "filter": dict(request.params),
                "language": words.language,
                **details,
            },
        )
    )


def _shown(uow: UnitOfWork, actor: Actor, words: ExportWords) -> Shown:
    admin = actor.role is Role.admin  # as on every list (services/pool/listing.shown_to)
    return Shown(
        words=words,
        rep_names={rep.id: rep.name for rep in uow.reps.all() if rep.id is not None},
        team_names={team.id: team.name for team in uow.teams.all() if team.id is not None},
        masks={} if admin else {pool.key: pool.mask_contacts for pool in uow.pools.all()},
        mask_default=not admin and default_pool("").mask_contacts,
    )


def _customer_batches(
    uows: UowFactory, query: CustomerQuery, columns: list[Column], shown: Shown, size: int
) -> Iterator[list[list[object]]]:
    return _batches(
        lambda uow, after: uow.exports.customer_rows(query, after_id=after, limit=size),
        uows,
        columns,
        shown,
        size,
    )


def _record_batches(
    uows: UowFactory,
    table: str,
    where: RecordFilter,
    columns: list[Column],
    shown: Shown,
    size: int,
) -> Iterator[list[list[object]]]:
    return _batches(
        lambda uow, after: uow.exports.record_rows(table, where, after_id=after, limit=size),
        uows,
        columns,
        shown,
        size,
    )


def _batches(
    read: Callable[[UnitOfWork, int], list[Any]],
    uows: UowFactory,
    columns: list[Column],
    shown: Shown,
    size: int,
) -> Iterator[list[list[object]]]:
    after = 0
    shows = [column.show for column in columns]
    while True:
        with uows(read_only=True) as uow:
            rows = read(uow, after)
        if rows:
            yield [[show(row, shown) for show in shows] for row in rows]
            after = rows[-1].id
        if len(rows) < size:
            return


def _check_query(query: CustomerQuery) -> None:
    """The list's own checks (services/customers.list_customers), its page aside."""
    for name in ("text", "level", "region", "industry", "source"):
        value = getattr(query, name)
        if value is not None and ("\x00" in value or len(value) > 200):
            raise ValidationFailed.one(name, "must be at most 200 characters, without NUL")
