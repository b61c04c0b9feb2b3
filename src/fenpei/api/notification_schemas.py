"""What the inbox and delivery APIs read and return."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from fenpei.domain.events import Channel, Delivery, DeliveryStatus
from fenpei.http.fields import Id
from fenpei.services.notifications.inbox import InboxEntry

MAX_MARKED = 1000  # ids in one "mark read" request; more is "all": true


class NotificationRead(BaseModel):
    """One entry of your inbox (站内信), its text in the language asked for."""

    id: int
    text: str = Field(description="What happened, in one line, e.g. `新客户「Acme」已分配给您`.")
    customer_id: int | None = Field(description="The customer it is about (its page to open).")
    task_id: int | None = Field(
        None, description="The task it is about, if any (its page to open)."
    )
    link: str | None = Field(
        None, description="The page to open: `/tasks/{id}`, else `/customers/{id}`."
    )
    created_at: datetime
    read: bool

    @classmethod
    def of(cls, entry: InboxEntry) -> NotificationRead:
        return cls(
            id=entry.id,
            text=entry.text,
            customer_id=entry.customer_id,
            task_id=entry.task_id,
            link=entry.link,
            created_at=entry.created_at,
            read=entry.read,
        )


class NotificationPage(BaseModel):
    items: list[NotificationRead] = Field(description="Newest first.")
    unread: int = Field(description="How many of your notifications are unread, in all.")
    offset: int
    limit: int
    has_more: bool = Field(description="Whether a further page follows (ask with offset+limit).")


class UnreadCount(BaseModel):
    unread: int = Field(description="The figure on the bell.")


class NotificationsMark(BaseModel):
    """Mark some of your notifications read (``ids``), or every one (``all``: true). Ids
    that are not yours, or already read, are left as they are."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"ids": [1, 2]}, {"all": True}]}
    )

    ids: list[Id] | None = Field(
        None, max_length=MAX_MARKED, description=f"At most {MAX_MARKED:,} ids."
    )
    all: StrictBool = Field(False, description="Mark every notification you have read.")


class NotificationsMarked(BaseModel):
    marked: int = Field(description="How many changed from unread to read.")
    unread: int = Field(description="How many are still unread.")


class DeliveryRead(BaseModel):
    """One message about one event to one recipient on one channel (消息投递)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    event_id: int
    channel: Channel
    recipient: str = Field(description="`rep:<id>` for a rep's email, else a robot's name.")
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryRead:
        return cls.model_validate(delivery)


class DeliveryPage(BaseModel):
    items: list[DeliveryRead] = Field(description="Newest first.")
    counts: dict[DeliveryStatus, int] = Field(description="Deliveries by status, in all.")
    pending_events: int = Field(description="Events not yet turned into deliveries.")
    offset: int
    limit: int
    has_more: bool
