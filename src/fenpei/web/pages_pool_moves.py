"""移至公海… and 分配给…: managers and admins tick customers on the pool page and move them
to another pool, or push them to a rep. Two posts: the first checks the change (run and
rolled back, so every refusal is the service's own) and asks to confirm it with the count;
the second, ``confirmed=1``, does it."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from fenpei.domain.errors import NotFound, ValidationFailed
from fenpei.http.deps import CurrentActor, CurrentUser, FenpeiDep, UowDep
from fenpei.services import scope
from fenpei.services.pool import terms
from fenpei.services.pool.moves import MAX_MOVE, move_to_pool
from fenpei.services.pool.pushes import MAX_PUSH, push_many
from fenpei.web._form_values import form_id
from fenpei.web._said import said
from fenpei.web.i18n import translator
from fenpei.web.pages_pool import _page, pool_namer
from fenpei.web.rendering import page_language, render

router = APIRouter(include_in_schema=False)


class MoveForm(BaseModel):
    """The ticked customers, the pool they wait in (``key``) and where they go."""

    customer_ids: list[int] = Field(default_factory=list, max_length=MAX_MOVE)
    key: str = Field(default="public", min_length=1, max_length=100)
    to_pool: str = Field(default="", max_length=100)
    reason: str = Field(default="", max_length=1000)
    confirmed: str = ""


@router.post("/pool/move")
def move(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    actor: CurrentActor,
    fenpei: FenpeiDep,
    form: Annotated[MoveForm, Form()],
) -> Response:
    """Check the move and ask to confirm it; with ``confirmed=1``, move them."""
    t = translator(page_language(request))
    scope.require_writer(actor, "move customers between pools")
    try:
        if not form.to_pool.strip():
            raise ValidationFailed.one("to_pool", t("dup.move.choose_pool"))
        moved = move_to_pool(
            uow=uow, actor=actor, customer_ids=form.customer_ids, to_pool=form.to_pool,
            reason=form.reason, now=fenpei.now(), from_pool=form.key,
        )  # fmt: skip
    except (ValidationFailed, NotFound) as exc:
        uow.rollback()
        problems = exc.errors if isinstance(exc, ValidationFailed) else []
        shown = "; ".join(said(t, e.message) for e in problems) or t("dup.move.no_pool")
        return _page(request, uow, user, form.key, problem=shown, status_code=422, now=fenpei.now())
    if form.confirmed != "1":
        uow.rollback()  # only checked: the move happens after the confirmation
        named = pool_namer(t, uow)
        context = {
            "user": user,
            "active": "pool",
            "form": form,
            "count": len(moved),
            "from_name": named(terms.visible_pool(uow, actor, form.key)),
            "to_name": named(terms.visible_pool(uow, actor, form.to_pool)),
        }
        return render(request, "pool/move_confirm.html", context)
    uow.commit()
    return RedirectResponse(f"/pool?key={quote(form.key)}&moved={len(moved)}", status_code=303)


class PushForm(BaseModel):
    """分配给…: the ticked customers, the pool they wait in (``key``) and the rep."""

    customer_ids: list[int] = Field(default_factory=list, max_length=MAX_PUSH)
    key: str = Field(default="public", min_length=1, max_length=100)
    rep_id: str = Field(default="", max_length=12)
    confirmed: str = ""


@router.post("/pool/push")
def push(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    actor: CurrentActor,
    fenpei: FenpeiDep,
    form: Annotated[PushForm, Form()],
) -> Response:
    """Check the push (run and rolled back) and ask to confirm it with the count and the
    rep; with ``confirmed=1``, push them. Every customer that cannot go is named with why
    and nothing is pushed."""
    t = translator(page_language(request))
    scope.require_writer(actor, "push customers from a pool")
    now = fenpei.now()
    try:
        rep_id = form_id(form.rep_id)
        if not isinstance(rep_id, int):
            raise ValidationFailed.one("rep_id", t("pool.push.choose_rep"))
        pushed = push_many(
            uow=uow, actor=actor, customer_ids=form.customer_ids, rep_id=rep_id, now=now,
            from_pool=form.key,
        )  # fmt: skip
    except (ValidationFailed, NotFound) as exc:
        uow.rollback()
        problems = exc.errors if isinstance(exc, ValidationFailed) else []
        shown = "; ".join(said(t, e.message) for e in problems) or t("pool.push.not_found")
        return _page(request, uow, user, form.key, problem=shown, status_code=422, now=now)
    if form.confirmed != "1":
        uow.rollback()  # only checked: the push happens after the confirmation
        rep = uow.reps.get(rep_id)
        context = {
            "user": user,
            "active": "pool",
            "form": form,
            "count": len(pushed),
            "rep_name": rep.name if rep is not None else str(rep_id),
            "from_name": pool_namer(t, uow)(terms.visible_pool(uow, actor, form.key)),
        }
        return render(request, "pool/push_confirm.html", context)
    uow.commit()
    return RedirectResponse(f"/pool?key={quote(form.key)}&pushed={len(pushed)}", status_code=303)
