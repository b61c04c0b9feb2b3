"""站内信 and 投递管理: the bell in the top bar, the inbox page, and the admins' view of the
message deliveries with a retry per row.

The bell (``/inbox/bell``) is a fragment htmx fetches when a page loads, every 30 seconds
and whenever the inbox changes (the ``inbox-changed`` event a mark-read answer triggers).
The inbox's list is one URL, the whole page or on ``HX-Request`` only the list; marking
read answers htmx with the list and a plain form with a redirect (303) back to it.
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import Field

from fenpei.domain.events import Delivery, DeliveryStatus
from fenpei.domain.users import User
from fenpei.http.deps import CurrentActor, CurrentUser, FenpeiDep, SessionUser, UowDep, actor_of
from fenpei.http.fields import MAX_ID
from fenpei.services.notifications import deliveries, inbox
from fenpei.services.ports import UnitOfWork
from fenpei.web.i18n import Translate, translator
from fenpei.web.rendering import is_htmx, page_language, render

router = APIRouter(include_in_schema=False)
INBOX_PAGE = 20
DELIVERIES_PAGE = 50
MAX_PAGE = 10**6
CHANGED = "inbox-changed"  # the event the bell listens for
# htmx stops polling on this status: a bell whose session ended asks no more.
STOP_POLLING = 286
PageNumber = Annotated[int, Query(ge=1, le=MAX_PAGE)]
FormPage = Annotated[int, Form(ge=1, le=MAX_PAGE)]
DeliveryId = Annotated[int, Path(ge=1, le=MAX_ID)]
BoundedId = Annotated[int, Field(ge=1, le=MAX_ID)]


# --- the bell ---------------------------------------------------------------------------


@router.get("/inbox/bell")
def bell(request: Request, uow: UowDep, user: SessionUser) -> Response:
    """The bell's inside: its label and the unread count (hidden at 0). A session that has
    ended, or must still replace a one-time password, gets a bell without a figure."""
    if user is None or user.must_change_password:
        return render(request, "notifications/_bell.html", {"unread": None}, status_code=286)
    unread = inbox.unread_count(uow=uow, actor=actor_of(user))
    return render(request, "notifications/_bell.html", {"unread": unread})


# --- the inbox --------------------------------------------------------------------------


def _inbox_url(page: int, unread_only: bool, **extra: Any) -> str:
    params: dict[str, Any] = {"page": page} if page > 1 else {}
    if unread_only:
        params["unread"] = "1"
    params.update(extra)
    return "/inbox" + (f"?{urlencode(params)}" if params else "")


def _inbox(
    request: Request,
    uow: UnitOfWork,
    user: User,
    *,
    page: int,
    unread_only: bool,
    marked: int | None = None,
) -> Response:
    actor = actor_of(user)
    found = inbox.entries(
        uow=uow,
        actor=actor,
        language=page_language(request).value,
        unread_only=unread_only,
        limit=INBOX_PAGE + 1,
        offset=(page - 1) * INBOX_PAGE,
    )
    context = {
        "user": user,
        "active": "inbox",
        "entries": found[:INBOX_PAGE],
        "unread": inbox.unread_count(uow=uow, actor=actor),
        "page": page,
        "unread_only": unread_only,
        "marked": marked,
        "previous_url": _inbox_url(page - 1, unread_only) if page > 1 else None,
        "next_url": _inbox_url(page + 1, unread_only) if len(found) > INBOX_PAGE else None,
        "all_url": _inbox_url(1, False),
        "unread_url": _inbox_url(1, True),
    }
    return render(
        request, "notifications/inbox.html", context, fragment="notifications/_inbox_list.html"
    )


@router.get("/inbox")
def inbox_page(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    page: PageNumber = 1,
    unread: Annotated[bool, Query()] = False,
    marked: Annotated[int | None, Query(ge=0, le=MAX_PAGE * INBOX_PAGE)] = None,
) -> Response:
    """站内信: your notifications, newest first, the unread ones marked; 20 a page."""
    return _inbox(request, uow, user, page=page, unread_only=unread, marked=marked)


@router.post("/inbox/read")
def mark_read(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    actor: CurrentActor,
    fenpei: FenpeiDep,
    ids: Annotated[list[BoundedId] | None, Form(max_length=1000)] = None,
    all: Annotated[bool, Form()] = False,
    page: FormPage = 1,
    unread: Annotated[bool, Form()] = False,
) -> Response:
    """Mark one entry read (``ids``) or all of them (``all``); someone else's ids change
    nothing. Back to the same page of the list."""
    marked = 0
    if all or ids:
        marked = inbox.mark_read(uow=uow, actor=actor, ids=None if all else ids, now=fenpei.now())
        uow.commit()
    if is_htmx(request):
        response = _inbox(request, uow, user, page=page, unread_only=unread, marked=marked)
        response.headers["HX-Trigger"] = CHANGED
        return response
    return RedirectResponse(_inbox_url(page, unread, marked=marked), status_code=303)


# --- the deliveries (admins) ------------------------------------------------------------

_NOT_CONFIGURED = re.compile(r"the (\w+) channel is not configured")
_NO_ADDRESS = "the recipient has no address on this channel"


def error_text(t: Translate, error: str | None) -> str | None:
    """The dispatcher's own words in the page's language; a receiver's error as it came."""
    if error is None:
        return None
    if found := _NOT_CONFIGURED.fullmatch(error):
        return t("deliveries.error.not_configured", channel=t(f"deliveries.channel.{found[1]}"))
    if error == _NO_ADDRESS:
        return t("deliveries.error.no_address")
    return error


def _recipients(uow: UnitOfWork, items: list[Delivery]) -> dict[str, str]:
    """``rep:12`` -> the rep's name; other recipients (robots, subscriptions) by their names."""
    names: dict[str, str] = {}
    for delivery in items:
        recipient = delivery.recipient
        if recipient.startswith("rep:") and recipient.removeprefix("rep:").isdigit():
            rep = uow.reps.get(int(recipient.removeprefix("rep:")))
            names[recipient] = rep.name if rep is not None else recipient
        else:
            names[recipient] = recipient
    return names


def _deliveries_url(view: deliveries.DeliveryView, page: int, **extra: Any) -> str:
    params: dict[str, Any] = {"status": view.value}
    if page > 1:
        params["page"] = page
    params.update(extra)
    return f"/admin/deliveries?{urlencode(params)}"


@router.get("/admin/deliveries")
def deliveries_page(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    actor: CurrentActor,
    status: Annotated[deliveries.DeliveryView, Query()] = deliveries.DeliveryView.problems,
    page: PageNumber = 1,
    retried: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    """投递管理: the outbox's figures and the deliveries in trouble (admins only)."""
    found = deliveries.list_deliveries(
        uow=uow,
        actor=actor,
        view=status,
        limit=DELIVERIES_PAGE,
        offset=(page - 1) * DELIVERIES_PAGE,
    )
    t = translator(page_language(request))
    context = {
        "user": user,
        "active": "deliveries",
        "found": found,
        "statuses": list(DeliveryStatus),
        "views": list(deliveries.DeliveryView),
        "view": status,
        "page": page,
        "retried": retried,
        "recipients": _recipients(uow, found.items),
        "errors": {d.id: error_text(t, d.last_error) for d in found.items},
        "failing": {d.id for d in found.items if deliveries.is_failing(d)},
        "previous_url": _deliveries_url(status, page - 1) if page > 1 else None,
        "next_url": _deliveries_url(status, page + 1) if found.has_more else None,
    }
    return render(request, "notifications/deliveries.html", context)


@router.post("/admin/deliveries/{delivery_id}/retry")
def retry_delivery(
    uow: UowDep,
    actor: CurrentActor,
    fenpei: FenpeiDep,
    delivery_id: DeliveryId,
    status: Annotated[deliveries.DeliveryView, Form()] = deliveries.DeliveryView.problems,
    page: FormPage = 1,
) -> Response:
    """Send a dead or failing delivery again at the worker's next round (audited)."""
    deliveries.retry_delivery(uow=uow, actor=actor, delivery_id=delivery_id, now=fenpei.now())
    uow.commit()
    return RedirectResponse(_deliveries_url(status, page, retried=delivery_id), status_code=303)
