"""Your in-app inbox (站内信), and for admins the message deliveries (消息投递): two areas,
two routers, so an API token's scopes tell them apart (``notifications:*``,
``deliveries:*``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from fenpei.api.notification_schemas import (
    DeliveryPage,
    DeliveryRead,
    NotificationPage,
    NotificationRead,
    NotificationsMark,
    NotificationsMarked,
    UnreadCount,
)
from fenpei.api.schemas import ErrorRead
from fenpei.config import Language
from fenpei.domain.errors import ValidationFailed
from fenpei.http.deps import AdminActor, CurrentActor, CurrentUser, FenpeiDep, UowDep
from fenpei.http.fields import MAX_ID, MAX_OFFSET
from fenpei.services.notifications import deliveries, inbox

router = APIRouter(prefix="/notifications", tags=["notifications"])
deliveries_router = APIRouter(prefix="/deliveries", tags=["deliveries"])

ADMINS_ONLY: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorRead, "description": "Logged in, but not an admin."},
}
Limit = Annotated[int, Query(ge=1, le=200, description="At most this many (1-200).")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Skip this many first.")]
DeliveryId = Annotated[int, Path(ge=1, le=MAX_ID, description="The delivery's id.")]


@router.get("")
def list_notifications(
    uow: UowDep,
    actor: CurrentActor,
    user: CurrentUser,
    unread_only: Annotated[bool, Query(description="Only the unread ones.")] = False,
    limit: Limit = inbox.PAGE,
    offset: Offset = 0,
    lang: Annotated[
        Language | None, Query(description="The texts' language; yours if absent.")
    ] = None,
) -> NotificationPage:
    """Your own notifications, newest first; each text in ``lang`` (else your language)."""
    language = lang.value if lang is not None else user.language
    found = inbox.entries(
        uow=uow,
        actor=actor,
        language=language,
        unread_only=unread_only,
        limit=limit + 1,
        offset=offset,
    )
    return NotificationPage(
        items=[NotificationRead.of(entry) for entry in found[:limit]],
        unread=inbox.unread_count(uow=uow, actor=actor),
        offset=offset,
        limit=limit,
        has_more=len(found) > limit,
    )


@router.get("/unread-count")
def unread_count(uow: UowDep, actor: CurrentActor) -> UnreadCount:
    """How many of your notifications are unread: the figure on the bell."""
    return UnreadCount(unread=inbox.unread_count(uow=uow, actor=actor))


@router.post("/read", responses={422: {"model": ErrorRead, "description": "No ids, or both."}})
def mark_read(
    body: NotificationsMark, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> NotificationsMarked:
    """Mark your notifications ``ids`` read, or every one with ``{"all": true}``. Another
    user's ids change nothing (and are not told apart from unknown ones)."""
    if body.all == (body.ids is not None):
        raise ValidationFailed.one("ids", 'give either "ids": [...] or "all": true')
    ids = None if body.all else body.ids
    marked = inbox.mark_read(uow=uow, actor=actor, ids=ids, now=fenpei.now())
    uow.commit()
    return NotificationsMarked(marked=marked, unread=inbox.unread_count(uow=uow, actor=actor))


@deliveries_router.get("", responses=ADMINS_ONLY)
def list_deliveries(
    uow: UowDep,
    actor: AdminActor,
    status: Annotated[
        deliveries.DeliveryView,
        Query(
            description="One status; `failing` (pending again after a failed attempt); "
            "`problems` (dead or failing); `all`."
        ),
    ] = deliveries.DeliveryView.all,
    limit: Limit = 50,
    offset: Offset = 0,
) -> DeliveryPage:
    """Messages to each recipient on each channel, newest first, with the count of each
    status and of the events not yet expanded (admins only)."""
    page = deliveries.list_deliveries(uow=uow, actor=actor, view=status, limit=limit, offset=offset)
    return DeliveryPage(
        items=[DeliveryRead.of(d) for d in page.items],
        counts=page.counts,
        pending_events=page.pending_events,
        offset=offset,
        limit=limit,
        has_more=page.has_more,
    )


@deliveries_router.post(
    "/{delivery_id}/retry",
    responses={
        **ADMINS_ONLY,
        404: {"model": ErrorRead, "description": "No such delivery."},
        409: {"model": ErrorRead, "description": "It was delivered already."},
    },
)
def retry_delivery(
    delivery_id: DeliveryId, uow: UowDep, actor: AdminActor, fenpei: FenpeiDep
) -> DeliveryRead:
    """Send a dead or failing delivery again now, with its attempts counted from 0
    (admins only; recorded in the audit log)."""
    delivery = deliveries.retry_delivery(
        uow=uow, actor=actor, delivery_id=delivery_id, now=fenpei.now()
    )
    uow.commit()
    return DeliveryRead.of(delivery)
