"""Webhook subscriptions (事件订阅): integrators' URLs that receive fenpei's events as
signed POSTs (admins only). How to verify a request: ``SubscriptionCreated.secret``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status

from fenpei.api.notification_schemas import DeliveryRead
from fenpei.api.schemas import ErrorRead
from fenpei.api.subscription_schemas import (
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionDeliveryPage,
    SubscriptionRead,
    SubscriptionUpdate,
    TestEventSent,
)
from fenpei.domain.events import Channel, delivery_key
from fenpei.domain.subscriptions import WebhookSubscription
from fenpei.http.deps import AdminActor, FenpeiDep, UowDep
from fenpei.http.fields import MAX_ID, MAX_OFFSET
from fenpei.services.notifications import subscriptions

router = APIRouter(prefix="/subscriptions", tags=["subscriptions"])

ADMINS_ONLY: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorRead, "description": "Logged in, but not an admin."},
}
ONE: dict[int | str, dict[str, Any]] = {
    **ADMINS_ONLY,
    404: {"model": ErrorRead, "description": "No such subscription."},
}
SubscriptionId = Annotated[int, Path(ge=1, le=MAX_ID, description="The subscription's id.")]


def _created(subscription: WebhookSubscription) -> SubscriptionCreated:
    read = SubscriptionRead.model_validate(subscription)
    return SubscriptionCreated(**read.model_dump(), secret=subscription.secret)


@router.get("", responses=ADMINS_ONLY)
def list_subscriptions(uow: UowDep, actor: AdminActor) -> list[SubscriptionRead]:
    """Every webhook subscription, by name (without secrets)."""
    found = subscriptions.list_subscriptions(uow=uow, actor=actor)
    return [SubscriptionRead.model_validate(s) for s in found]


@router.post("", status_code=status.HTTP_201_CREATED, responses=ADMINS_ONLY)
def create_subscription(
    body: SubscriptionCreate, uow: UowDep, actor: AdminActor, fenpei: FenpeiDep
) -> SubscriptionCreated:
    """Subscribe a URL to events; the answer holds its signing secret, shown only now."""
    made = subscriptions.create_subscription(
        uow=uow,
        actor=actor,
        name=body.name,
        url=body.url,
        events=body.events,
        active=body.active,
        now=fenpei.now(),
    )
    uow.commit()
    return _created(made)


@router.get("/{subscription_id}", responses=ONE)
def get_subscription(
    subscription_id: SubscriptionId, uow: UowDep, actor: AdminActor
) -> SubscriptionRead:
    """One subscription (without its secret)."""
    found = subscriptions.get_subscription(uow=uow, actor=actor, subscription_id=subscription_id)
    return SubscriptionRead.model_validate(found)


@router.patch("/{subscription_id}", responses=ONE)
def update_subscription(
    subscription_id: SubscriptionId,
    body: SubscriptionUpdate,
    uow: UowDep,
    actor: AdminActor,
    fenpei: FenpeiDep,
) -> SubscriptionRead:
    """Change the URL, the events or whether it is active; the name stays."""
    updated = subscriptions.update_subscription(
        uow=uow,
        actor=actor,
        subscription_id=subscription_id,
        url=body.url,
        events=body.events,
        active=body.active,
        now=fenpei.now(),
    )
    uow.commit()
    return SubscriptionRead.model_validate(updated)


@router.delete("/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT, responses=ONE)
def delete_subscription(
    subscription_id: SubscriptionId, uow: UowDep, actor: AdminActor, fenpei: FenpeiDep
) -> Response:
    """Remove it: nothing more is sent there."""
    subscriptions.delete_subscription(
        uow=uow, actor=actor, subscription_id=subscription_id, now=fenpei.now()
    )
    uow.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{subscription_id}/rotate-secret", responses=ONE)
def rotate_secret(
    subscription_id: SubscriptionId, uow: UowDep, actor: AdminActor, fenpei: FenpeiDep
) -> SubscriptionCreated:
    """A new signing secret, shown only now; the old one stops signing at once."""
    rotated = subscriptions.rotate_secret(
        uow=uow, actor=actor, subscription_id=subscription_id, now=fenpei.now()
    )
    uow.commit()
    return _created(rotated)


@router.post("/{subscription_id}/test", status_code=status.HTTP_202_ACCEPTED, responses=ONE)
def send_test_event(
    subscription_id: SubscriptionId, uow: UowDep, actor: AdminActor, fenpei: FenpeiDep
) -> TestEventSent:
    """Send this subscription (only) a `webhook.test` event, active or not; the worker's
    next round delivers it, and its delivery log shows how it went."""
    event = subscriptions.send_test_event(
        uow=uow, actor=actor, subscription_id=subscription_id, now=fenpei.now()
    )
    name = str(event.payload["subscription"])
    uow.commit()
    return TestEventSent(event=event.key, delivery=delivery_key(event.key, Channel.webhook, name))


@router.get("/{subscription_id}/deliveries", responses=ONE)
def delivery_log(
    subscription_id: SubscriptionId,
    uow: UowDep,
    actor: AdminActor,
    limit: Annotated[int, Query(ge=1, le=200, description="At most this many (1-200).")] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Skip this many.")] = 0,
) -> SubscriptionDeliveryPage:
    """What was sent to it, newest first: status, attempts, last error, times."""
    found = subscriptions.delivery_log(
        uow=uow, actor=actor, subscription_id=subscription_id, limit=limit + 1, offset=offset
    )
    return SubscriptionDeliveryPage(
        items=[DeliveryRead.of(d) for d in found[:limit]],
        offset=offset,
        limit=limit,
        has_more=len(found) > limit,
    )
