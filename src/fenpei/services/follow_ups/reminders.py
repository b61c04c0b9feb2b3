"""The follow-up-reminders job: when a follow-up's next date comes, remind the owner once.

Set-based: the due follow-ups are read a batch at a time and marked with one conditional
UPDATE (``reminded_at`` still empty), and only the rows that statement marked get their
reminder. The job lock already lets one process run the job at a time; the condition keeps
it exactly once even if two ran anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fenpei.domain.events import ReminderKind
from fenpei.domain.follow_ups import FollowUp
from fenpei.services.notifications.events import emit_reminder
from fenpei.services.ports import UnitOfWork

BATCH = 500


@dataclass(frozen=True)
class ReminderRun:
    follow_ups: int  # follow-ups whose date came (marked reminded)
    reminders: int  # reminders written (one per customer with an open owner)

    def summary(self) -> str:
        return f"{self.reminders} reminders for {self.follow_ups} due follow-ups"


def remind_due_follow_ups(*, uow: UnitOfWork, now: datetime, batch: int = BATCH) -> ReminderRun:
    """Remind each owner of the customers whose follow-up is due (``next_at`` at or before
    ``now``): one ``follow_up_due`` reminder per customer, each follow-up reminded once.
    A customer nobody owns, closed or deleted is marked without a reminder."""
    marked_count = reminders = 0
    told: set[int] = set()  # customers reminded in this run (their follow-ups span batches)
    while due := uow.follow_ups.due_for_reminder(now=now, limit=batch):
        marked = set(uow.follow_ups.mark_reminded([f.id for f in due if f.id], at=now))
        marked_count += len(marked)
        by_customer: dict[int, list[FollowUp]] = {}
        for follow_up in due:
            if follow_up.id in marked:
                by_customer.setdefault(follow_up.customer_id, []).append(follow_up)
        for customer_id, follow_ups in sorted(by_customer.items()):
            customer = uow.customers.get(customer_id)
            if customer is None or customer.deleted_at is not None or not customer.is_open:
                continue
            if customer.owner_id is None or customer_id in told:
                continue
            told.add(customer_id)
            emit_reminder(
                uow,
                kind=ReminderKind.follow_up_due,
                customer=customer,
                now=now,
                rep_ids=[customer.owner_id],
                due=min(f.next_at for f in follow_ups if f.next_at is not None),
            )
            reminders += 1
        if not marked:  # someone else marked this batch: it is theirs, and we are done
            break
    return ReminderRun(follow_ups=marked_count, reminders=reminders)
