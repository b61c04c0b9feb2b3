"""公海设置 (admins): every pool's terms — caps, cooldown, masking, protection, reclaim
rules with per-level days, the warning, exemptions, the action — a dry run of reclaim
listing what it would take now and why, and "run now". Also the key-account (重点客户)
button of the customer page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from fenpei.domain.errors import ClaimRefused, ValidationFailed
from fenpei.domain.pools import Pool, ReclaimRule
from fenpei.domain.reclaim import reason_words
from fenpei.domain.rules import PUBLIC_POOL
from fenpei.domain.users import User
from fenpei.http.deps import CurrentUser, FenpeiDep, UowDep, actor_of
from fenpei.http.fields import MAX_ID
from fenpei.jobs.reclaim import run_reclaim
from fenpei.services import scope
from fenpei.services.pool import terms
from fenpei.services.pool.key_accounts import set_key_account
from fenpei.services.pool.reclaim_access import plan_for
from fenpei.services.ports import UnitOfWork
from fenpei.web._pool_settings_form import PoolForm, form_of, parse, said_error
from fenpei.web.i18n import Translate, translator
from fenpei.web.pages import customer_context
from fenpei.web.rendering import page_language, render

router = APIRouter(include_in_schema=False)
MAX_FORM_FIELDS = 400


async def _posted(request: Request) -> dict[str, str]:
    """The form's fields as strings (its level fields are named by the admin's levels)."""
    form = await request.form(max_fields=MAX_FORM_FIELDS)
    return {key: value for key, value in form.items() if isinstance(value, str)}


Posted = Annotated[dict[str, str], Depends(_posted)]


def _levels(uow: UnitOfWork) -> list[str]:
    category = uow.categories.get("level")
    if category is None or category.id is None:
        return []
    return [value.code for value in uow.categories.values(category.id) if value.usable]


def _shown_name(t: Translate, pool: Pool, teams: dict[int | None, str]) -> str:
    if pool.name != pool.key:
        return pool.name
    if pool.team_id is not None:
        return t("pool.team", team=teams.get(pool.team_id, pool.key))
    return t("pool.public") if pool.key == PUBLIC_POOL else pool.key


def _page(
    request: Request,
    uow: UnitOfWork,
    user: User,
    now: Any,
    *,
    dry_run: bool = False,
    failed: tuple[str, PoolForm] | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    actor = actor_of(user)
    scope.require_admin(actor, "change pools")
    t = translator(page_language(request))
    teams = {team.id: team.name for team in uow.teams.all()}
    pools = terms.list_pools(uow=uow, actor=actor)
    forms = {pool.key: form_of(pool) for pool in pools}
    if failed is not None:
        forms[failed[0]] = failed[1]
    reps = {rep.id: rep.name for rep in uow.reps.all()}
    found = plan_for(uow=uow, actor=actor, now=now) if dry_run else None
    items = found.items if found is not None else None
    language = page_language(request).value
    names = {pool.key: _shown_name(t, pool, teams) for pool in pools}
    context = {
        "user": user,
        "active": "admin",
        "pools": [(pool, _shown_name(t, pool, teams), forms[pool.key]) for pool in pools],
        "levels": _levels(uow),
        "rules": [rule.value for rule in ReclaimRule],
        "items": items,
        "due_total": found.total if found is not None else 0,
        "why": lambda item: reason_words(item.rule, item.days, item.level, language),
        "rep_name": lambda rep_id: reps.get(rep_id, f"#{rep_id}"),
        "pool_name": lambda key: names.get(key, key),
        "notice": notice,
        "failed": failed[0] if failed else None,
    }
    return render(request, "pool/settings.html", context, status_code=status_code)


@router.get("/pool/settings")
def settings_page(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    fenpei: FenpeiDep,
    dry_run: Annotated[bool, Query()] = False,
    saved: Annotated[str | None, Query(max_length=100)] = None,
    reclaimed: Annotated[int | None, Query(ge=0, le=10**9)] = None,
    warned: Annotated[int | None, Query(ge=0, le=10**9)] = None,
) -> Response:
    """Every pool's terms, editable; with ``dry_run`` what reclaim would take now."""
    t = translator(page_language(request))
    notice = None
    if saved:
        pool = terms.terms_of(uow, saved)
        named = _shown_name(t, pool, {team.id: team.name for team in uow.teams.all()})
        notice = t("reclaim.saved", pool=named)
    if reclaimed is not None:
        notice = t("reclaim.ran", reclaimed=reclaimed, warned=warned or 0)
    return _page(request, uow, user, fenpei.now(), dry_run=dry_run, notice=notice)


@router.post("/pool/settings")
def save_terms(
    request: Request, uow: UowDep, user: CurrentUser, fenpei: FenpeiDep, posted: Posted
) -> Response:
    """Save one pool's terms; what is wrong is marked on its form, nothing saved."""
    t = translator(page_language(request))
    key = posted.get("key", "").strip()
    fields, form = parse(posted, _levels(uow), t)
    if not form.errors:
        try:
            terms.set_terms(uow=uow, key=key, fields=fields, actor=actor_of(user), now=fenpei.now())
            uow.commit()
            return RedirectResponse(f"/pool/settings?saved={key}", status_code=303)
        except ValidationFailed as refused:
            uow.rollback()
            form.errors |= {e.field: said_error(e.field, t) for e in refused.errors}
    return _page(
        request, uow, user, fenpei.now(), failed=(key, form), status_code=422,
        notice=t("reclaim.error.summary"),
    )  # fmt: skip


@router.post("/pool/settings/reclaim")
def run_now(request: Request, uow: UowDep, user: CurrentUser, fenpei: FenpeiDep) -> Response:
    """Warn and reclaim now, as the hourly job does."""
    actor = actor_of(user)
    scope.require_admin(actor, "run reclaim")
    uow.rollback()  # SQLite: the request's transaction would hold the write lock
    report = run_reclaim(fenpei, actor=actor)
    if report is None:
        t = translator(page_language(request))
        return _page(request, uow, user, fenpei.now(), notice=t("reclaim.busy"), status_code=409)
    done = sum(report.reclaimed.values())
    return RedirectResponse(
        f"/pool/settings?reclaimed={done}&warned={report.warned}", status_code=303
    )


@router.post("/customers/{customer_id}/key-account")
def key_account(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    fenpei: FenpeiDep,
    customer_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    mark: Annotated[bool, Form()] = False,
) -> Response:
    """Mark or unmark the customer as a key account (重点客户)."""
    try:
        set_key_account(
            uow=uow, customer_id=customer_id, key_account=mark, actor=actor_of(user),
            now=fenpei.now(),
        )  # fmt: skip
        uow.commit()
    except ClaimRefused:
        uow.rollback()
        context = customer_context(request, uow, user, customer_id, fenpei.now())
        context["key_account_problem"] = translator(page_language(request))("reclaim.key.full")
        return render(request, "customer.html", context, status_code=409)
    return RedirectResponse(f"/customers/{customer_id}", status_code=303)
