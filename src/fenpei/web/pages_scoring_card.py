"""打分卡 (the scorecard editor): the newest scorecard's lines in words, a line form with the
rule editor's condition builder (``rule-builder.js``, checking against
``/admin/scoring/scorecard/check``), and each change saved as a new version. Admins edit;
managers and auditors read."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from fenpei.bootstrap import Fenpei
from fenpei.domain.errors import FieldError, ValidationFailed
from fenpei.domain.scoring import ModelKind, ScoreModel
from fenpei.domain.users import Actor, User
from fenpei.engine.conditions import parse_conditions
from fenpei.engine.fields import field_catalog
from fenpei.engine.scoring.scorecard import MAX_LINES, build_scorecard, scorecard_catalog
from fenpei.http.deps import CurrentActor, CurrentUser, FenpeiDep, UowDep, actor_of
from fenpei.services import scope
from fenpei.services.categories import load_category_index
from fenpei.services.ports import UnitOfWork
from fenpei.services.scoring import models
from fenpei.web._conditions_text import conditions_words
from fenpei.web._rule_form import builder_config
from fenpei.web._said import said
from fenpei.web.i18n import Translate, translator
from fenpei.web.rendering import page_language, render

router = APIRouter(include_in_schema=False)
PAGE = "/admin/scoring/scorecard"
LineIndex = Annotated[int, Path(ge=0, lt=MAX_LINES)]


async def _form(request: Request) -> FormData:
    return await request.form()  # parsed once per request (the CSRF check read it already)


FormDep = Annotated[FormData, Depends(_form)]


def _newest(uow: UnitOfWork, actor: Actor) -> ScoreModel | None:
    versions = models.list_versions(uow=uow, actor=actor, kind=ModelKind.scorecard)
    return next((m for m in versions if m.active), versions[0] if versions else None)


def _lines(model: ScoreModel | None) -> list[dict[str, Any]]:
    lines = model.params.get("lines") if model is not None else None
    return [dict(line) for line in lines] if isinstance(lines, list) else []


def _words(t: Translate, uow: UnitOfWork, conditions: object) -> str:
    if not conditions:
        return t("rules.builder.always")
    catalog = scorecard_catalog(field_catalog(uow.custom_fields.all()))
    try:
        return conditions_words(t, parse_conditions(conditions, catalog))
    except ValidationFailed:
        return t("rules.conditions_broken")


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value[:100_000] if isinstance(value, str) else ""


def _line_of(form: FormData) -> tuple[dict[str, Any], list[FieldError]]:
    """The posted line; what cannot even be read (bad JSON, points in words) as errors."""
    errors: list[FieldError] = []
    conditions: Any = {}
    raw = _text(form, "conditions").strip()
    if raw:
        try:
            conditions = json.loads(raw)
        except ValueError:
            errors.append(FieldError("conditions", "is not valid JSON"))
    points: Any = _text(form, "points").strip().replace(",", ".")
    try:
        points = float(points)
    except ValueError:
        errors.append(FieldError("points", "must be a number"))
    return {"label": _text(form, "label").strip(), "points": points,
            "conditions": conditions}, errors  # fmt: skip


def _page(
    request: Request,
    uow: UnitOfWork,
    user: User,
    *,
    edit: int | None = None,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    actor = actor_of(user)
    t = translator(page_language(request))
    model = _newest(uow, actor)
    lines = _lines(model)
    editing = lines[edit] if edit is not None and edit < len(lines) else None
    conditions = editing.get("conditions", {}) if editing else {}
    form = typed or {
        "label": str(editing.get("label", "")) if editing else "",
        "points": f"{editing.get('points', 0):g}" if editing else "",
        "conditions": json.dumps(
            editing.get("conditions", {}) if editing else {}, ensure_ascii=False
        ),
        "index": str(edit) if editing else "",
    }
    catalog = scorecard_catalog(field_catalog(uow.custom_fields.all()))
    shown = [(i, line, _words(t, uow, line.get("conditions"))) for i, line in enumerate(lines)]
    context = {
        "user": user, "active": "scoring", "can_edit": actor.is_admin, "model": model,
        "lines": shown,
        "base": model.params.get("base", 0) if model else 0,
        "form": form, "errors": errors or {}, "editing": editing is not None,
        "builder": builder_config(catalog, load_category_index(uow), t),
        "words": _words(t, uow, conditions),
        "saved": request.query_params.get("saved"),
    }  # fmt: skip
    return render(request, "scoring/scorecard.html", context, status_code=status_code)


@router.get(PAGE)
def scorecard_page(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    edit: Annotated[int | None, Query(ge=0, lt=MAX_LINES)] = None,
) -> Response:
    """The scorecard's lines in words, and a form to add or change one."""
    scope.require_overseer(actor_of(user), "see the scorecard")
    return _page(request, uow, user, edit=edit)


def _save(
    uow: UnitOfWork,
    actor: Actor,
    fenpei: Fenpei,
    lines: list[dict[str, Any]],
    base: object,
    first_name: str,
) -> bool:
    model = _newest(uow, actor)
    name = model.name if model is not None else first_name
    saved, added = models.save_scorecard(
        uow=uow, actor=actor, name=name, lines=lines, base=base, now=fenpei.now()
    )
    if model is None or model.active:  # keep the card in use: the new version replaces it
        models.activate(uow=uow, actor=actor, model_id=saved.id or 0, now=fenpei.now())
    return added


def _shown_errors(t: Translate, refused: ValidationFailed, index: int) -> dict[str, str]:
    """The service's ``lines[3].conditions.all[0]`` as the line form's ``conditions.all[0]``."""
    shown: dict[str, str] = {}
    for error in refused.errors:
        field = error.field.removeprefix(f"lines[{index}].")
        shown.setdefault(field, said(t, error.message))
    return shown


@router.post(f"{PAGE}/lines")
def save_line(
    request: Request,
    uow: UowDep,
    user: CurrentUser,
    actor: CurrentActor,
    fenpei: FenpeiDep,
    form: FormDep,
) -> Response:
    """Add a line, or change line ``index``: a new version of the scorecard."""
    scope.require_admin(actor, "change the scorecard")
    line, errors = _line_of(form)
    model = _newest(uow, actor)
    lines = _lines(model)
    index_text = _text(form, "index").strip()
    index = int(index_text) if index_text.isdigit() and int(index_text) < len(lines) else None
    at = len(lines) if index is None else index
    t = translator(page_language(request))
    typed = {k: _text(form, k) for k in ("label", "points", "conditions", "index")}
    try:
        if errors:
            raise ValidationFailed(errors)
        changed = [*lines[:at], line, *lines[at + 1 :]]
        base = model.params.get("base", 0) if model else 0
        added = _save(uow, actor, fenpei, changed, base, t("scoring.scorecard.title"))
        uow.commit()
    except ValidationFailed as refused:
        uow.rollback()
        shown = _shown_errors(t, refused, at)
        return _page(request, uow, user, edit=index, typed=typed, errors=shown, status_code=422)
    return RedirectResponse(f"{PAGE}?saved={'1' if added else '0'}", status_code=303)


@router.post(f"{PAGE}/lines/{{index}}/delete")
def delete_line(index: LineIndex, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep) -> Response:
    """Drop a line: a new version of the scorecard."""
    scope.require_admin(actor, "change the scorecard")
    model = _newest(uow, actor)
    lines = _lines(model)
    if index < len(lines) and model is not None:
        kept = lines[:index] + lines[index + 1 :]
        _save(uow, actor, fenpei, kept, model.params.get("base", 0), model.name)
        uow.commit()
    return RedirectResponse(f"{PAGE}?saved=1", status_code=303)


@router.post(f"{PAGE}/check")
def check_line(request: Request, uow: UowDep, actor: CurrentActor, form: FormDep) -> JSONResponse:
    """The builder's check as you type: ``{"errors": [...], "words": ...}``, saving nothing."""
    scope.require_overseer(actor, "check the scorecard")
    line, errors = _line_of(form)
    t = translator(page_language(request))
    if not errors:
        try:
            catalog = field_catalog(uow.custom_fields.all())
            build_scorecard({"algorithm": "scorecard", "lines": [line]}, catalog)
        except ValidationFailed as refused:
            errors = [FieldError(e.field.removeprefix("lines[0]."), e.message)
                      for e in refused.errors]  # fmt: skip
    words = None
    if not any(e.field.startswith("conditions") for e in errors):
        words = _words(t, uow, line.get("conditions"))
    shown = [{"field": e.field, "message": said(t, e.message)} for e in errors]
    return JSONResponse({"errors": shown, "words": words})
