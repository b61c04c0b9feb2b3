"""公海再分配: a manager or admin picks a rule and previews what solving the pool's
customers in one batch would do (batch optimal, a dry run rolled back), then confirms."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from fenpei.domain.errors import Conflict, ValidationFailed
from fenpei.domain.users import User
from fenpei.http.deps import CurrentActor, CurrentUser, FenpeiDep, UowDep, actor_of
from fenpei.services import scope
from fenpei.services.pool import terms
from fenpei.services.ports import UnitOfWork
from fenpei.services.routing_optimal import (
    Redistribution,
    redistribute_pool,
    redistribution_rules,
)
from fenpei.web._reasons import coded_reason
from fenpei.web._said import said
from fenpei.web.i18n import Translate, translator
from fenpei.web.pages_pool import PoolKey, pool_namer
from fenpei.web.rendering import page_language, render

router = APIRouter(include_in_schema=False)
MAX_SHOWN = 10**6


class RedistributeForm(BaseModel):
    """The pool, the rule, and ``confirmed=1`` on the second post."""

    key: str = Field(default="public", min_length=1, max_length=100)
    rule_id: int = Field(default=0, ge=0, le=2**31 - 1)
    confirmed: str = Field(default="", max_length=1)


def _lines(t: Translate, done: Redistribution) -> list[dict[str, Any]]:
    """Each previewed customer, where it goes and why, in the page's words."""
    lines = []
    for customer_id, decision in done.decisions:
        reason = coded_reason(t, decision.reason_code, decision.reason_params)
        lines.append(
            {
                "id": customer_id,
                "name": done.customer_names.get(customer_id, str(customer_id)),
                "rep": done.rep_names.get(decision.rep_id) if decision.rep_id else None,
                "why": reason or decision.reason,
            }
        )
    return lines


def _page(
    request: Request,
    uow: UnitOfWork,
    user: User,
    key: str,
    now: Any,
    rulebook: Any,
    *,
    rule_id: int = 0,
    done: Redistribution | None = None,
    notice: str | None = None,
    problem: str | None = None,
    status_code: int = 200,
) -> Response:
    t = translator(page_language(request))
    actor = actor_of(user)
    pool = terms.visible_pool(uow, actor, key)
    context = {
        "user": user,
        "active": "pool",
        "pool": pool,
        "pool_name": pool_namer(t, uow)(pool),
        "rules": redistribution_rules(uow=uow, rulebook=rulebook, now=now),
        "rule_id": rule_id,
        "done": done,
        "lines": _lines(t, done) if done else [],
        "wins": None if done is None or done.expected_wins is None else f"{done.expected_wins:.1f}",
        "notice": notice,
        "problem": problem,
    }
    return render(request, "optimal/redistribute.html", context, status_code=status_code)


@router.get("/pool/redistribute")
def redistribute_page(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    fenpei: FenpeiDep,
    key: PoolKey = "public",
    given: Annotated[int | None, Query(ge=0, le=MAX_SHOWN)] = None,
) -> Response:
    """Pick the rule to redistribute a pool under (managers and admins)."""
    scope.require_writer(actor_of(user), "redistribute a pool")
    t = translator(page_language(request))
    notice = t("optimal.redistribute.done", count=given) if given is not None else None
    return _page(request, uow, user, key, fenpei.now(), fenpei.rulebook, notice=notice)


@router.post("/pool/redistribute")
def redistribute(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    actor: CurrentActor,
    fenpei: FenpeiDep,
    form: Annotated[RedistributeForm, Form()],
) -> Response:
    """Preview the redistribution; with ``confirmed=1``, do it."""
    t = translator(page_language(request))
    scope.require_writer(actor, "redistribute a pool")
    confirmed = form.confirmed == "1"
    try:
        done = redistribute_pool(
            uow=uow,
            rulebook=fenpei.rulebook,
            pool=form.key,
            rule_id=form.rule_id,
            actor=actor,
            now=fenpei.now(),
            rng=fenpei.rng(),
            dry_run=not confirmed,
        )
    except (ValidationFailed, Conflict) as exc:
        uow.rollback()
        problems = exc.errors if isinstance(exc, ValidationFailed) else []
        shown = "; ".join(said(t, e.message) for e in problems) or said(t, str(exc))
        status = 422 if problems else 409
        return _page(
            request,
            uow,
            user,
            form.key,
            fenpei.now(),
            fenpei.rulebook,
            rule_id=form.rule_id,
            problem=shown,
            status_code=status,
        )
    if not confirmed:
        uow.rollback()  # a preview: nothing changes until the confirmation
        return _page(
            request,
            uow,
            user,
            form.key,
            fenpei.now(),
            fenpei.rulebook,
            rule_id=form.rule_id,
            done=done,
        )
    uow.commit()
    given = done.considered - done.staying
    return RedirectResponse(
        f"/pool/redistribute?key={quote(form.key)}&given={given}", status_code=303
    )
