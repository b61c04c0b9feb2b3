"""首次联系时限 (SLA): the admin page of policies and the year's holidays (managers read
it), pausing and resuming a customer's clock from its page, and the clock's words for the
customer page and 我的客户."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from fenpei.domain.errors import Conflict, ValidationFailed
from fenpei.domain.sla import CALENDARS, ClockState, SlaClock, SlaPolicy
from fenpei.domain.users import Actor, Role, User
from fenpei.http.deps import CurrentActor, CurrentUser, FenpeiDep, UowDep, actor_of
from fenpei.http.fields import Id
from fenpei.services import scope
from fenpei.services.categories import load_category_index
from fenpei.services.ports import UnitOfWork
from fenpei.services.sla import calendars, clocks, policies
from fenpei.web._said import said
from fenpei.web.i18n import Translate, translator
from fenpei.web.rendering import page_language, render

router = APIRouter(include_in_schema=False)
MAX_FILE = 40_000
FORM_FIELDS = (
    "name", "level", "rule_id", "first_contact_minutes", "remind_before_minutes",
    "reassign_after_minutes", "calendar", "position", "next_contact_minutes",
)  # fmt: skip
Year = Annotated[int, Query(ge=calendars.MIN_YEAR, le=calendars.MAX_YEAR)]


def field_errors(t: Translate, exc: ValidationFailed) -> dict[str, str]:
    """The service's refusals by form field, in the page's words (a CSV row's by row)."""
    shown: dict[str, str] = {}
    for error in exc.errors:
        name = error.field.split(".")[0]
        if name.startswith("row "):
            text = t("sla.row", row=name.removeprefix("row "), message=said(t, error.message))
            shown[name] = text
        else:
            shown.setdefault(name, said(t, error.message))
    return shown


def holiday_name(t: Translate, name: str) -> str:
    """A day's name from the holiday package (English) in the page's words."""
    key = "sla.holiday." + re.sub(r"[^a-z0-9]+", "_", name.casefold()).strip("_")
    return t(key) if t(key) != key else name


def _page(
    request: Request,
    uow: UnitOfWork,
    user: User,
    *,
    year: int,
    now: datetime,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    done: str | None = None,
    editing: int | None = None,
    status_code: int = 200,
) -> Response:
    actor = actor_of(user)
    levels = load_category_index(uow).usable.get("level", [])
    context = {
        "user": user,
        "active": "admin",
        "can_edit": actor.is_admin,
        "policies": policies.list_policies(uow=uow, actor=actor),
        "rules": {rule.id: rule.name for rule in uow.rules.active()},
        "levels": levels,
        "calendars": CALENDARS,
        "year": year,
        "years": range(now.year - 1, now.year + 3),
        "days": calendars.year_days(uow=uow, year=year),
        "package_covers": calendars.package_covers(year),
        "values": values or {"first_contact_minutes": "120", "remind_before_minutes": "30"},
        "errors": errors or {},
        "done": done,
        "editing": editing,
        "holiday_name": holiday_name,
    }
    return render(request, "sla/admin.html", context, status_code=status_code)


@router.get("/admin/sla")
def sla_page(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    fenpei: FenpeiDep,
    year: Annotated[int | None, Query(ge=calendars.MIN_YEAR, le=calendars.MAX_YEAR)] = None,
    done: Annotated[str | None, Query(max_length=20)] = None,
    edit: Annotated[Id | None, Query()] = None,
) -> Response:
    """SLA policies and the year's holidays and make-up workdays (admins edit, managers read);
    ``edit``: the policy whose values fill the form."""
    actor = actor_of(user)
    scope.require_overseer(actor, "see SLA policies")
    now = fenpei.now()
    values = None
    if edit is not None:
        scope.require_admin(actor, "change SLA policies")
        values = _form_values(policies.get_policy(uow=uow, policy_id=edit, actor=actor))
    return _page(request, uow, user, year=year or now.year, now=now, done=done, values=values,
                 editing=edit)  # fmt: skip


def _form_values(policy: SlaPolicy) -> dict[str, str]:
    """A policy as its form shows it."""
    shown = {name: getattr(policy, name) for name in FORM_FIELDS}
    values = {name: "" if value is None else str(value) for name, value in shown.items()}
    return {**values, "notify_manager": "on" if policy.notify_manager else ""}


def _whole(text: str) -> int | str | None:
    text = text.strip()
    if not text:
        return None
    return int(text) if text.isdigit() and len(text) < 10 else text


def _form_fields(form: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
    """The policy form as typed (to show again) and as the service takes it."""
    values = {k: str(form.get(k) or "") for k in FORM_FIELDS}
    values["notify_manager"] = "on" if form.get("notify_manager") == "on" else ""
    fields: dict[str, Any] = {
        "name": values["name"],
        "level": values["level"] or None,
        "rule_id": _whole(values["rule_id"]),
        "first_contact_minutes": _whole(values["first_contact_minutes"]),
        "remind_before_minutes": _whole(values["remind_before_minutes"]) or 0,
        "reassign_after_minutes": _whole(values["reassign_after_minutes"]),
        "next_contact_minutes": _whole(values["next_contact_minutes"]),
        "calendar": values["calendar"] or "CN",
        "position": _whole(values["position"]) or 0,
        "notify_manager": values["notify_manager"] == "on",
    }
    return values, fields


def _saved(
    request: Request,
    uow: UnitOfWork,
    user: User,
    now: datetime,
    values: dict[str, str],
    save: Callable[[], object],
    *,
    done: str,
    editing: int | None = None,
) -> Response:
    """Save the policy form, or show it again with every bad field marked (nothing saved)."""
    try:
        save()
        uow.commit()
    except ValidationFailed as refused:
        uow.rollback()
        errors = field_errors(translator(page_language(request)), refused)
        return _page(request, uow, user, year=now.year, now=now, values=values, errors=errors,
                     editing=editing, status_code=422)  # fmt: skip
    return RedirectResponse(f"/admin/sla?done={done}", status_code=303)


@router.post("/admin/sla/policies")
async def add_policy(
    request: Request, uow: UowDep, user: CurrentUser, actor: CurrentActor, fenpei: FenpeiDep
) -> Response:
    """Add a policy; every bad field is marked on the form."""
    values, fields = _form_fields(await request.form())
    now = fenpei.now()
    return _saved(
        request, uow, user, now, values, done="added",
        save=lambda: policies.create_policy(uow=uow, fields=fields, actor=actor, now=now),
    )  # fmt: skip


@router.post("/admin/sla/policies/{policy_id}")
async def edit_policy(
    policy_id: Id,
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    actor: CurrentActor,
    fenpei: FenpeiDep,
) -> Response:
    """Change a policy (running clocks keep their times); every bad field is marked."""
    values, fields = _form_fields(await request.form())
    now = fenpei.now()
    return _saved(
        request, uow, user, now, values, done="updated", editing=policy_id,
        save=lambda: policies.update_policy(
            uow=uow, policy_id=policy_id, fields=fields, actor=actor, now=now
        ),
    )  # fmt: skip


@router.post("/admin/sla/policies/{policy_id}/active")
def switch_policy(
    policy_id: Id,
    uow: UowDep,
    actor: CurrentActor,
    fenpei: FenpeiDep,
    active: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Switch a policy on or off."""
    policies.update_policy(
        uow=uow, policy_id=policy_id, fields={"active": active == "on"}, actor=actor,
        now=fenpei.now(),
    )  # fmt: skip
    uow.commit()
    return RedirectResponse("/admin/sla?done=saved", status_code=303)


@router.post("/admin/sla/policies/{policy_id}/delete")
def delete_policy(policy_id: Id, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep) -> Response:
    policies.delete_policy(uow=uow, policy_id=policy_id, actor=actor, now=fenpei.now())
    uow.commit()
    return RedirectResponse("/admin/sla?done=deleted", status_code=303)


@router.post("/admin/sla/holidays")
async def import_holidays(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    actor: CurrentActor,
    fenpei: FenpeiDep,
    year: Annotated[int, Form(ge=calendars.MIN_YEAR, le=calendars.MAX_YEAR)],
    file: Annotated[UploadFile, File()],
) -> Response:
    """Replace the year's imported days with the uploaded CSV (all or nothing)."""
    t = translator(page_language(request))
    raw = await file.read(MAX_FILE + 1)
    now = fenpei.now()
    try:
        if len(raw) > MAX_FILE:
            raise ValidationFailed.one("file", t("sla.error.file_size", limit=MAX_FILE))
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationFailed.one("file", t("sla.error.file_text")) from None
        calendars.import_year(uow=uow, actor=actor, year=year, text=text)
        uow.commit()
    except ValidationFailed as refused:
        uow.rollback()
        return _page(request, uow, user, year=year, now=now, errors=field_errors(t, refused),
                     status_code=422)  # fmt: skip
    return RedirectResponse(f"/admin/sla?year={year}&done=imported", status_code=303)


@router.post("/admin/sla/holidays/delete")
def delete_holidays(
    uow: UowDep,
    actor: CurrentActor,
    year: Annotated[int, Form(ge=calendars.MIN_YEAR, le=calendars.MAX_YEAR)],
) -> Response:
    calendars.delete_year(uow=uow, actor=actor, year=year)
    uow.commit()
    return RedirectResponse(f"/admin/sla?year={year}&done=cleared", status_code=303)


def _pause_or_resume(
    uow: UnitOfWork, actor: Actor, customer_id: int, now: datetime, *, pause: bool
) -> Response:
    act = clocks.pause if pause else clocks.resume
    try:
        act(uow=uow, customer_id=customer_id, actor=actor, now=now)
        uow.commit()
    except Conflict:
        uow.rollback()  # already so (a second click): the page shows how it is
    return RedirectResponse(f"/customers/{customer_id}#sla", status_code=303)


@router.post("/customers/{customer_id}/sla/pause")
def pause(customer_id: Id, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep) -> Response:
    """A manager stops the clock counting (the customer asked to be called later)."""
    return _pause_or_resume(uow, actor, customer_id, fenpei.now(), pause=True)


@router.post("/customers/{customer_id}/sla/resume")
def resume(customer_id: Id, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep) -> Response:
    return _pause_or_resume(uow, actor, customer_id, fenpei.now(), pause=False)


def sla_context(uow: UnitOfWork, actor: Actor, customer_id: int, now: datetime) -> dict[str, Any]:
    """What the customer page shows of its SLA clock (``sla`` None: none ever started)."""
    shown = clocks.view(uow=uow, customer_id=customer_id, actor=actor, now=now)
    return {
        "sla": shown,
        "sla_zone": calendars.zone_of(shown.time_zone) if shown else None,
        "can_pause": actor.role in (Role.admin, Role.manager),
    }


def due_markers(uow: UnitOfWork, customer_ids: Collection[int]) -> dict[int, SlaClock]:
    """The customers' running or breached clocks, for a list's due marker."""
    return {
        customer_id: clock
        for customer_id, clock in uow.sla.latest_by_customer(customer_ids).items()
        if clock.state in (ClockState.open, ClockState.breached) and clock.met_at is None
    }
