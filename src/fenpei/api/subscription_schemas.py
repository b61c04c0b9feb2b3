"""What the webhook subscription API reads and returns. The secret appears in
``SubscriptionCreated`` only: when a subscription is made and when its secret is rotated."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from fenpei.api.notification_schemas import DeliveryRead
from fenpei.services.notifications.subscriptions import MAX_NAME, MAX_URL, SUBSCRIBABLE

_EVENTS = ", ".join(f"`{value}`" for value in SUBSCRIBABLE)
EventName = Annotated[str, Field(max_length=40)]
Events = Annotated[
    list[EventName],
    Field(
        max_length=len(SUBSCRIBABLE),
        description=f"The event types to receive: {_EVENTS}; empty for all of them.",
    ),
]
Url = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_URL,
        description="Where to POST: http:// or https://, with no username or password in it.",
    ),
]


class SubscriptionCreate(BaseModel):
    """A new subscription: ``url`` receives the ``events`` (all when empty), signed."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "crm-sync",
                    "url": "https://crm.example.com/hooks/fenpei",
                    "events": ["customer.assigned", "customer.reassigned"],
                    "active": True,
                }
            ]
        },
    )

    name: str = Field(
        min_length=1,
        max_length=MAX_NAME,
        description="Unique; it names the subscription in the delivery log and never changes.",
    )
    url: Url
    events: Events = []
    active: StrictBool = Field(True, description="Inactive subscriptions are sent nothing.")


class SubscriptionUpdate(BaseModel):
    """What to change; an absent field stays as it is."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"events": [], "active": False}]},
    )

    url: Url | None = None
    events: Events | None = None
    active: StrictBool | None = None


class SubscriptionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    url: str
    events: list[str] = Field(description="Empty: every event.")
    active: bool
    created_at: datetime
    created_by: str | None


class SubscriptionCreated(SubscriptionRead):
    """The subscription and its signing secret, shown now and never again."""

    secret: str = Field(
        description="Verify each request: X-Fenpei-Signature is `sha256=` and the hex "
        "HMAC-SHA256, keyed with this secret, of `<X-Fenpei-Timestamp>.<raw body>`."
    )


class TestEventSent(BaseModel):
    """The test event was written; the next dispatcher round sends it."""

    event: str = Field(description="The event's key.")
    delivery: str = Field(description="Its X-Fenpei-Delivery header, and the body's `id`.")


class SubscriptionDeliveryPage(BaseModel):
    items: list[DeliveryRead] = Field(description="Newest first.")
    offset: int
    limit: int
    has_more: bool
