"""The in-app inbox (站内信): a user reads their own notifications and marks them read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from fenpei.domain.errors import PermissionDenied
from fenpei.domain.events import Notification
from fenpei.domain.users import Actor
from fenpei.services.notifications.messages import line, link_path, role_of
from fenpei.services.ports import UnitOfWork

PAGE = 50


@dataclass(frozen=True)
class InboxEntry:
    """A notification as its reader sees it: one line in their language, and the link."""

    id: int
    text: str
    customer_id: int | None
    created_at: datetime
    read: bool
    task_id: int | None = None
    link: str | None = None  # the page to open: the task's, else the customer's


def _user_id(actor: Actor) -> int:
    if actor.user_id is None:
        raise PermissionDenied("only a signed-in user has an inbox")
    return actor.user_id


def unread_count(*, uow: UnitOfWork, actor: Actor) -> int:
    """How many unread notifications the bell shows."""
    return uow.inbox.unread_count(_user_id(actor))


def entries(
    *,
    uow: UnitOfWork,
    actor: Actor,
    language: str,
    unread_only: bool = False,
    limit: int = PAGE,
    offset: int = 0,
) -> list[InboxEntry]:
    """The actor's notifications, newest first, each in ``language``."""
    user_id = _user_id(actor)
    user = uow.users.get(user_id)
    rep_id = user.rep_id if user is not None else None
    notes = uow.inbox.for_user(user_id, unread_only=unread_only, limit=limit, offset=offset)
    return [_entry(note, rep_id=rep_id, language=language) for note in notes]


def _entry(note: Notification, *, rep_id: int | None, language: str) -> InboxEntry:
    assert note.id is not None
    role = role_of(note.payload, rep_id)
    customer_id = note.payload.get("customer_id")
    task_id = note.payload.get("task_id")
    linked = isinstance(customer_id, int) or isinstance(task_id, int)
    return InboxEntry(
        id=note.id,
        text=line(note.type, note.payload, language=language, role=role),
        customer_id=customer_id if isinstance(customer_id, int) else None,
        created_at=note.created_at,
        read=note.read_at is not None,
        task_id=task_id if isinstance(task_id, int) else None,
        link=link_path(note.payload) if linked else None,
    )


def mark_read(*, uow: UnitOfWork, actor: Actor, ids: Sequence[int] | None, now: datetime) -> int:
    """Mark the actor's notifications ``ids`` read (all of them when None); others' are
    never touched. How many changed."""
    return uow.inbox.mark_read(_user_id(actor), ids=ids, now=now)
