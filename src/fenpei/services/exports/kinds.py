"""What can be exported, in which formats, and the words an export is shown in."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from enum import StrEnum


class ExportFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


class ExportKind(StrEnum):
    customers = "customers"  # the customer list, its filter and columns
    assignments = "assignments"  # assignment history (分配记录)
    follow_ups = "follow-ups"  # 跟进记录
    tasks = "tasks"  # 任务
    conversion = "conversion"  # the dashboard's conversion by rep (report)
    holdout = "holdout"  # the holdout report: each rule's smart and holdout arms


REPORTS = frozenset({ExportKind.conversion, ExportKind.holdout})


@dataclass(frozen=True)
class ExportWords:
    """How values read in the exporter's language, as the pages show them: ``t(key)`` for
    words, ``label(category_key, code)`` for a category value, ``when(moment)`` for a time
    in ``zone`` (the configured one), ``language`` for the audit entry,
    ``reason(reason, explanation)`` for an assignment's stored reason."""

    language: str
    t: Callable[..., str]
    label: Callable[[str, object], str]
    when: Callable[[datetime | None], str]
    zone: tzinfo
    # An assignment's stored reason as the customer page shows it (``web/_said.py``).
    reason: Callable[[str | None, Mapping[str, object] | None], str] = field(
        default=lambda reason, _explanation: reason or ""
    )
    # Who acted, as the pages name them (the system's own jobs: "系统").
    actor: Callable[[str | None], str] = field(default=lambda name: name or "")
