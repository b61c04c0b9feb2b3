"""What the customer page shows of follow-ups: the timeline, the follow-up form and the
stage form (``pages_follow_ups`` takes their posts)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fenpei.domain.assignments import Assignment
from fenpei.domain.customers import Customer, Stage
from fenpei.domain.follow_ups import FIRST_FOLLOW_UP, FollowUp
from fenpei.domain.users import Actor, Role
from fenpei.http.reads import Names, assignment_reads
from fenpei.services import scope
from fenpei.services.follow_ups.corrections import may_correct
from fenpei.services.follow_ups.records import follow_up_types, lost_reasons
from fenpei.services.follow_ups.timeline import ItemKind, timeline
from fenpei.services.ports import UnitOfWork
from fenpei.web.i18n import Translate

SHOWN = 50  # the newest items on the page; the API pages through the rest


@dataclass(frozen=True)
class Entry:
    """One line of the timeline as the template shows it (an assignment with its names)."""

    kind: ItemKind
    at: datetime
    record: Any


def stage_reason_text(t: Translate, reason: str | None) -> str:
    """A stage change's reason: typed by a person (as typed), or fenpei's own, in words."""
    return t("followups.reason.first") if reason == FIRST_FOLLOW_UP else reason or ""


def may_follow_up(actor: Actor, customer: Customer) -> bool:
    """The owner rep, or an admin or manager (who sees the customer, so has it in scope)."""
    if actor.role is Role.rep:
        return actor.rep_id is not None and customer.owner_id == actor.rep_id
    return actor.role in scope.WRITERS


def follow_up_context(
    uow: UnitOfWork,
    actor: Actor,
    customer: Customer,
    now: datetime,
    *,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    stage_errors: Mapping[str, str] | None = None,
    correcting: int | None = None,
) -> dict[str, Any]:
    """``values`` and ``errors``: of the follow-up form, or of the correction of follow-up
    ``correcting`` (its form shown open)."""
    assert customer.id is not None
    page = timeline(uow=uow, customer_id=customer.id, actor=actor, limit=SHOWN)
    names = Names(uow)
    entries = []
    for item in page.items:
        record: Any = item.record
        if isinstance(record, Assignment):
            record = assignment_reads([record], names)[0]
        entries.append(Entry(item.kind, item.at, record))
    writer = may_follow_up(actor, customer)
    correctable = {
        entry.record.id
        for entry in entries
        if isinstance(entry.record, FollowUp) and writer and may_correct(entry.record, actor, now)
    }
    form_values, form_errors = (dict(values or {}), dict(errors or {}))
    return {
        "timeline": entries,
        "correctable": correctable,
        "correcting": correcting,
        "correction_values": form_values if correcting is not None else {},
        "correction_errors": form_errors if correcting is not None else {},
        "timeline_total": page.total,
        "follow_up_types": follow_up_types(uow),
        "lost_reasons": lost_reasons(uow),
        "can_follow_up": writer,
        "all_stages": list(Stage),
        "stage_reason_text": stage_reason_text,
        "now": now,
        "follow_up_values": form_values if correcting is None else {},
        "follow_up_errors": form_errors if correcting is None else {},
        "stage_errors": dict(stage_errors or {}),
    }
