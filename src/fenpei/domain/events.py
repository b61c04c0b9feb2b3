"""Domain events (领域事件) and their delivery: what happened, written in the same transaction
as the change (the outbox), and each message to one recipient on one channel (a delivery).

An event is written once and never changed but for ``expanded_at``, set when the dispatcher
has turned it into deliveries. A delivery moves pending → sending (leased to a worker) →
delivered, or back to pending with a later ``next_attempt_at`` after a failure, or to dead
after the last attempt (retried by hand from the UI or CLI)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from random import Random
from typing import Any


class EventType(StrEnum):
    assigned = "customer.assigned"  # an owner where there was none
    reassigned = "customer.reassigned"  # from one owner to another (transfer, reassign)
    pooled = "customer.pooled"  # put into a pool (公海) by a rule, a return or a reclaim
    # A timer came due about a customer (an SLA, a reclaim warning, a follow-up date):
    # ``payload["kind"]`` says which (a ReminderKind), ``rep_ids`` / ``user_ids`` whom.
    reminder = "customer.reminder"
    # A task got an assignee (routed, given by hand, reassigned): ``payload["to_rep_id"]``.
    task_assigned = "task.assigned"
    # A task's timer or a person's act about it (start, due, overdue, escalation, 催办, an
    # @mention, completion, rating): ``payload["kind"]`` (a TaskReminderKind) says which.
    task_reminder = "task.reminder"
    test = "webhook.test"  # "send test event": to one webhook subscription, on request
    # A user's daily email digest (services/notifications/digest.py): written already
    # expanded into its one email, so it never reaches an inbox, a robot or a webhook.
    digest = "notifications.digest"
    # Two duplicate customers merged into one (合并) or the merge undone: to the survivor's
    # owner; ``payload["merge_id"]``, ``payload["undone"]``.
    merged = "customer.merged"


class ReminderKind(StrEnum):
    """What a reminder is about: each has its line in the notification messages."""

    follow_up_due = "follow_up_due"  # a follow-up's "next follow-up" date has come
    sla_due_soon = "sla_due_soon"  # the first-contact target is near (to the owner)
    sla_breached = "sla_breached"  # the target passed without contact (to the owner)
    sla_escalated = "sla_escalated"  # the same, to the owner's manager
    reclaim_warning = "reclaim_warning"  # the customer goes back to the pool on ``due``
    sla_next_due_soon = "sla_next_due_soon"  # the next-contact target is near (to the owner)
    sla_next_breached = "sla_next_breached"  # no contact again in time (to the owner)
    sla_next_escalated = "sla_next_escalated"  # the same, to the owner's manager


class TaskReminderKind(StrEnum):
    """What a task message is about: each has its line in the notification messages."""

    starting = "starting"  # the task's start time has come (to the assignee)
    due_soon = "due_soon"  # N business hours before due (to the assignee)
    due = "due"  # at the due time (to the assignee)
    overdue = "overdue"  # past due (to the assignee)
    escalated = "escalated"  # overdue by X: to the assignee's manager
    chased = "chased"  # a manager's 催办 (to the assignee)
    mentioned = "mentioned"  # @mentioned in a comment (to the user)
    completed = "completed"  # done: to the creator, to rate it
    rated = "rated"  # rated: to the assignee


class Channel(StrEnum):
    inbox = "inbox"  # the in-app bell: always on for the rep concerned
    email = "email"
    wecom = "wecom"  # 企业微信 group robot
    dingtalk = "dingtalk"  # 钉钉 custom robot
    feishu = "feishu"  # 飞书 / Lark custom bot
    sms = "sms"
    webhook = "webhook"  # an integrator's subscription


class DeliveryStatus(StrEnum):
    pending = "pending"
    sending = "sending"
    delivered = "delivered"
    dead = "dead"


@dataclass(eq=False)
class OutboxEvent:
    """Something that happened, with what a message about it needs, in ``payload``."""

    type: EventType
    key: str  # the dedupe key: every message about this event carries it
    payload: dict[str, Any]
    occurred_at: datetime
    expanded_at: datetime | None = None
    id: int | None = None


def new_event(type: EventType, payload: dict[str, Any], *, now: datetime) -> OutboxEvent:
    return OutboxEvent(type=type, key=f"evt_{uuid.uuid4().hex}", payload=payload, occurred_at=now)


@dataclass(eq=False)
class Delivery:
    """One message about one event, to one recipient on one channel."""

    event_id: int
    channel: Channel
    recipient: str  # a user id, an address, a robot's or subscription's name
    key: str  # event key + channel + recipient: receivers drop repeats by it
    created_at: datetime
    next_attempt_at: datetime
    status: DeliveryStatus = DeliveryStatus.pending
    attempts: int = 0
    lease_owner: str | None = None
    lease_until: datetime | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None
    id: int | None = None


def delivery_key(event_key: str, channel: Channel, recipient: str) -> str:
    return f"{event_key}:{channel.value}:{recipient}"


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, capped; dead after ``max_attempts``."""

    max_attempts: int = 8
    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=6)

    def next_attempt(self, attempts: int, *, now: datetime, rng: Random) -> datetime | None:
        """When to try again after ``attempts`` failures, or None: give up (dead letter).

        The wait is drawn uniformly from [base·2^(n-1) / 2, base·2^(n-1)] (capped), so
        deliveries that failed together do not all come back at the same moment."""
        if attempts >= self.max_attempts:
            return None
        ceiling: timedelta = min(self.cap, self.base * (2 ** max(attempts - 1, 0)))
        wait: timedelta = ceiling * (0.5 + rng.random() / 2)
        return now + wait


@dataclass(eq=False)
class Notification:
    """An entry in a user's in-app inbox (站内信), made from an event."""

    user_id: int
    event_key: str
    type: EventType
    payload: dict[str, Any]
    created_at: datetime
    read_at: datetime | None = None
    id: int | None = None


@dataclass(frozen=True)
class Message:
    """A rendered message in one language: what email, IM and SMS channels send."""

    subject: str
    text: str
    html: str
    key: str
    extra: dict[str, Any] = field(default_factory=dict)
