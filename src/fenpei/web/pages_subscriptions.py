"""事件订阅 (webhook subscriptions), for admins: the list with a form to add one, and each
subscription's page — edit, rotate the secret, delete (both confirmed first), send a test
event, and the log of what was sent to it.

A secret is shown once, on the page that answers the form that made it (creating, or
rotating): it is never put in a URL, and no later page shows it. Other forms answer with
a redirect (303) to the page they came from; a refused one comes back with its errors
next to the fields (422)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from fenpei.domain.errors import ValidationFailed
from fenpei.domain.subscriptions import WebhookSubscription
from fenpei.domain.users import Actor, User
from fenpei.http.deps import CurrentActor, CurrentUser, FenpeiDep, UowDep
from fenpei.http.fields import MAX_ID, MAX_OFFSET
from fenpei.services.notifications import subscriptions
from fenpei.services.ports import UnitOfWork
from fenpei.web._said import said
from fenpei.web.i18n import Translate, translator
from fenpei.web.pages_notifications import error_text
from fenpei.web.rendering import page_language, render

router = APIRouter(include_in_schema=False)
SubscriptionId = Annotated[int, Path(ge=1, le=MAX_ID)]
Name = Annotated[str, Form(max_length=subscriptions.MAX_NAME * 2)]
Url = Annotated[str, Form(max_length=subscriptions.MAX_URL * 2)]
Events = Annotated[list[str] | None, Form(max_length=len(subscriptions.SUBSCRIBABLE) * 2)]
Checked = Annotated[bool, Form()]
LOG_PAGE = 20
_DONE = frozenset({"created", "saved", "deleted", "test"})


def _errors(exc: ValidationFailed, t: Translate) -> dict[str, str]:
    """Field -> message; ``events[2]`` and the like are shown by the events."""
    found: dict[str, str] = {}
    for error in exc.errors:
        field = "events" if error.field.startswith("events") else error.field
        found[field] = "; ".join(filter(None, [found.get(field), said(t, error.message)]))
    return found


def _list_page(
    request: Request,
    uow: UnitOfWork,
    user: User,
    actor: Actor,
    *,
    created: WebhookSubscription | None = None,
    failed: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "user": user,
        "active": "subscriptions",
        "items": subscriptions.list_subscriptions(uow=uow, actor=actor),
        "event_types": subscriptions.SUBSCRIBABLE,
        "created": created,
        "failed": failed or {},
        "values": values or {"name": "", "url": "", "events": [], "active": True},
        "done": done if done in _DONE else None,
    }
    return render(request, "subscriptions/list.html", context, status_code=status_code)


@router.get("/admin/subscriptions")
def subscriptions_page(
    request: Request, uow: UowDep, user: CurrentUser, actor: CurrentActor
) -> Response:
    """事件订阅: every subscription, and a form to add one."""
    return _list_page(request, uow, user, actor, done=request.query_params.get("done"))


@router.post("/admin/subscriptions")
def create_subscription(
    request: Request, uow: UowDep, user: CurrentUser, actor: CurrentActor, fenpei: FenpeiDep,
    name: Name = "", url: Url = "", events: Events = None, active: Checked = False,
) -> Response:  # fmt: skip
    """Add a subscription; the answer shows its secret, this once."""
    try:
        made = subscriptions.create_subscription(
            uow=uow, actor=actor, name=name, url=url, events=events or [], active=active,
            now=fenpei.now(),
        )  # fmt: skip
        uow.commit()
    except ValidationFailed as exc:
        uow.rollback()
        values = {"name": name, "url": url, "events": events or [], "active": active}
        return _list_page(
            request,
            uow,
            user,
            actor,
            failed=_errors(exc, translator(page_language(request))),
            values=values,
            status_code=422,
        )
    return _list_page(request, uow, user, actor, created=made, done="created")


def _detail_page(
    request: Request,
    uow: UnitOfWork,
    user: User,
    actor: Actor,
    subscription_id: int,
    *,
    page: int = 1,
    secret: str | None = None,
    failed: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    subscription = subscriptions.get_subscription(
        uow=uow, actor=actor, subscription_id=subscription_id
    )
    log = subscriptions.delivery_log(
        uow=uow,
        actor=actor,
        subscription_id=subscription_id,
        limit=LOG_PAGE + 1,
        offset=(page - 1) * LOG_PAGE,
    )
    t = translator(page_language(request))
    here = f"/admin/subscriptions/{subscription_id}"
    context = {
        "user": user,
        "active": "subscriptions",
        "subscription": subscription,
        "event_types": subscriptions.SUBSCRIBABLE,
        "secret": secret,
        "failed": failed or {},
        "values": values
        or {"url": subscription.url, "events": subscription.events, "active": subscription.active},
        "done": done if done in _DONE else None,
        "log": log[:LOG_PAGE],
        "errors": {d.id: error_text(t, d.last_error) for d in log[:LOG_PAGE]},
        "page": page,
        "previous_url": f"{here}?page={page - 1}" if page > 1 else None,
        "next_url": f"{here}?page={page + 1}" if len(log) > LOG_PAGE else None,
    }
    return render(request, "subscriptions/detail.html", context, status_code=status_code)


@router.get("/admin/subscriptions/{subscription_id}")
def subscription_page(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    actor: CurrentActor,
    subscription_id: SubscriptionId,
    page: Annotated[int, Query(ge=1, le=MAX_OFFSET // LOG_PAGE)] = 1,
) -> Response:
    """One subscription: its settings, the test button, and its delivery log (20 a page)."""
    done = request.query_params.get("done")
    return _detail_page(request, uow, user, actor, subscription_id, page=page, done=done)


@router.post("/admin/subscriptions/{subscription_id}")
def update_subscription(
    request: Request, uow: UowDep, user: CurrentUser, actor: CurrentActor, fenpei: FenpeiDep,
    subscription_id: SubscriptionId, url: Url = "", events: Events = None, active: Checked = False,
) -> Response:  # fmt: skip
    """Save the URL, the events and the active switch (the form sends all three)."""
    try:
        subscriptions.update_subscription(
            uow=uow, actor=actor, subscription_id=subscription_id, url=url,
            events=events or [], active=active, now=fenpei.now(),
        )  # fmt: skip
        uow.commit()
    except ValidationFailed as exc:
        uow.rollback()
        values = {"url": url, "events": events or [], "active": active}
        return _detail_page(
            request, uow, user, actor, subscription_id,
            failed=_errors(exc, translator(page_language(request))), values=values, status_code=422,
        )  # fmt: skip
    return RedirectResponse(f"/admin/subscriptions/{subscription_id}?done=saved", 303)


@router.post("/admin/subscriptions/{subscription_id}/rotate")
def rotate_secret(
    request: Request, uow: UowDep, user: CurrentUser, actor: CurrentActor, fenpei: FenpeiDep,
    subscription_id: SubscriptionId,
) -> Response:  # fmt: skip
    """A new secret, shown on the page this answers, once; the old one stops at once."""
    rotated = subscriptions.rotate_secret(
        uow=uow, actor=actor, subscription_id=subscription_id, now=fenpei.now()
    )
    secret = rotated.secret
    uow.commit()
    return _detail_page(request, uow, user, actor, subscription_id, secret=secret)


@router.post("/admin/subscriptions/{subscription_id}/delete")
def delete_subscription(
    uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep, subscription_id: SubscriptionId
) -> Response:
    """Remove the subscription (the page asks to confirm first)."""
    subscriptions.delete_subscription(
        uow=uow, actor=actor, subscription_id=subscription_id, now=fenpei.now()
    )
    uow.commit()
    return RedirectResponse("/admin/subscriptions?done=deleted", status_code=303)


@router.post("/admin/subscriptions/{subscription_id}/test")
def send_test_event(
    uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep, subscription_id: SubscriptionId
) -> Response:
    """Send it a test event; the worker delivers it, the log below shows how it went."""
    subscriptions.send_test_event(
        uow=uow, actor=actor, subscription_id=subscription_id, now=fenpei.now()
    )
    uow.commit()
    return RedirectResponse(f"/admin/subscriptions/{subscription_id}?done=test", 303)
