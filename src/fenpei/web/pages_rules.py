"""分配规则 pages: the ordered rule list, the editor with its condition builder and tester,
version history. Admins change rules; managers and auditors look; reps get a 403 page
(the services decide: ``scope.require_rule_reader``, as for the API)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from fenpei.domain.errors import FieldError, ValidationFailed
from fenpei.domain.rules import Rule
from fenpei.domain.users import Actor
from fenpei.engine.conditions import parse_conditions
from fenpei.engine.explain import decision_json
from fenpei.engine.fields import FieldSpec
from fenpei.engine.model import Fallback, TargetKind
from fenpei.engine.task_fields import subject_catalog
from fenpei.http.deps import CurrentActor, CurrentUser, FenpeiDep, UowDep
from fenpei.http.fields import MAX_ID
from fenpei.http.reads import Names
from fenpei.services import rule_tester, rules, scope
from fenpei.services.categories import load_category_index
from fenpei.services.ports import UnitOfWork
from fenpei.web._conditions_text import conditions_words
from fenpei.web._explain import reason_words
from fenpei.web._rule_form import (
    MATCH_KEYS,
    TESTER_FIELDS,
    RuleForm,
    builder_config,
    customer_fields,
    error_map,
    form_id,
    strategies,
)
from fenpei.web._said import said
from fenpei.web._score_words import factors_text
from fenpei.web._task_rules import (
    ORIGINS,
    PRIORITIES,
    TASK_TESTER_FIELDS,
    subject_of,
    target_kinds,
    task_fields,
)
from fenpei.web.i18n import Translate, number_formatter, translator
from fenpei.web.rendering import is_htmx, page_language, render

router = APIRouter(include_in_schema=False)
RuleId = Annotated[int, Path(ge=1, le=MAX_ID)]
Version = Annotated[int, Path(ge=1, le=MAX_ID)]


async def _form(request: Request) -> FormData:
    return await request.form()  # parsed once per request (the CSRF check read it already)


FormDep = Annotated[FormData, Depends(_form)]


def _t(request: Request) -> Translate:
    return translator(page_language(request))


# --- the list -------------------------------------------------------------------------------


def conditions_text(rule: Rule, catalog: Mapping[str, FieldSpec], t: Translate) -> str:
    """The conditions in words (the engine's describer); the empty tree reads "always"."""
    if not rule.conditions:
        return t("rules.builder.always")
    try:
        return conditions_words(t, parse_conditions(rule.conditions, catalog))
    except ValidationFailed:
        return t("rules.conditions_broken")


def target_text(target: Mapping[str, Any], names: Names, t: Translate) -> str:
    kind = target.get("kind")
    if kind == TargetKind.reps:
        reps = ", ".join(names.rep(i) or f"#{i}" for i in target.get("rep_ids", []))
        return t("rules.target_is.reps", reps=reps)
    if kind == TargetKind.team:
        team = names.team(target.get("team_id")) or f"#{target.get('team_id')}"
        key = (
            "rules.target_is.team_deep"
            if target.get("include_subteams", True)
            else "rules.target_is.team"
        )
        return t(key, team=team)
    if kind == TargetKind.skill:
        return t("rules.target_is.skill", skill=target.get("skill") or "")
    if kind == TargetKind.pool:
        return t("rules.target_is.pool", pool=target.get("pool") or "public")
    if kind == TargetKind.account_owner:
        return t("rules.target_is.account_owner")
    if kind == TargetKind.customer_owner:
        return t("rules.target_is.customer_owner")
    return t("rules.target_is.queue")


def _rows(
    uow: UnitOfWork, t: Translate, found: Sequence[Rule], subject: str
) -> list[dict[str, Any]]:
    catalog = subject_catalog(subject, uow.custom_fields.all())
    names = Names(uow)
    movable = [r.id for r in found if not r.is_default]
    return [
        {
            "rule": rule,
            "position": position,
            "conditions": conditions_text(rule, catalog, t),
            "target": target_text(rule.target, names, t),
            "first": movable[:1] == [rule.id],
            "last": movable[-1:] == [rule.id],
        }
        for position, rule in enumerate(found, start=1)
    ]


def _list_context(
    request: Request, uow: UnitOfWork, user: Any, actor: Actor, subject: str | None = None
) -> dict[str, Any]:
    subject = subject_of(subject or request.query_params.get("subject"))
    found = rules.list_rules(uow=uow, actor=actor, subject=subject)
    return {
        "user": user,
        "active": "rules",
        "rows": _rows(uow, _t(request), found, subject),
        "can_edit": actor.is_admin,
        "subject": subject.value,
    }


@router.get("/rules")
def rules_page(request: Request, uow: UowDep, user: CurrentUser, actor: CurrentActor) -> Response:
    """分配规则: the customer rules (or, ``?subject=task``, the task rules) in the order
    routing tries them, the default rule last."""
    context = _list_context(request, uow, user, actor)
    name = "rules/_rules_table.html" if is_htmx(request) else "rules/list.html"
    return render(request, name, context)


@router.post("/rules/{rule_id}/enabled")
def toggle_rule(
    request: Request,
    rule_id: RuleId,
    uow: UowDep,
    user: CurrentUser,
    actor: CurrentActor,
    fenpei: FenpeiDep,
) -> Response:
    """Switch a rule on or off (a new version); htmx gets the updated row back."""
    scope.require_admin(actor, "change rules")
    rule = rules.get_rule(uow=uow, rule_id=rule_id)
    if rule.is_default:
        raise ValidationFailed.one("enabled", "the default rule is always on")
    fields = {"enabled": not rule.enabled}
    rules.update_rule(uow=uow, rule_id=rule_id, fields=fields, actor=actor, now=fenpei.now())
    uow.commit()
    if not is_htmx(request):
        return RedirectResponse(_list_url(rule), status_code=303)
    context = _list_context(request, uow, user, actor, rule.subject)
    row = next(r for r in context["rows"] if r["rule"].id == rule_id)
    return render(request, "rules/_rule_row.html", {**context, "row": row})


@router.post("/rules/{rule_id}/move/{direction}")
def move_rule(
    request: Request,
    rule_id: RuleId,
    direction: Literal["up", "down"],
    uow: UowDep,
    user: CurrentUser,
    actor: CurrentActor,
    fenpei: FenpeiDep,
) -> Response:
    """Swap a rule with its neighbour (priorities become 10, 20, 30 …); the default stays last."""
    scope.require_admin(actor, "change rules")
    moved = rules.get_rule(uow=uow, rule_id=rule_id)  # 404 if there is no such rule
    order = [r.id for r in uow.rules.active()
             if not r.is_default and r.id is not None and r.subject == moved.subject]  # fmt: skip
    if rule_id not in order:
        rules.get_rule(uow=uow, rule_id=rule_id)  # 404 if there is no such rule
        raise ValidationFailed.one("rule_id", "the default rule is always last")
    here = order.index(rule_id)
    there = here - 1 if direction == "up" else here + 1
    if 0 <= there < len(order):
        order[here], order[there] = order[there], order[here]
        rules.reorder_rules(uow=uow, rule_ids=order, actor=actor, now=fenpei.now())
        uow.commit()
    if not is_htmx(request):
        return RedirectResponse(_list_url(moved), status_code=303)
    context = _list_context(request, uow, user, actor, moved.subject)
    return render(request, "rules/_rules_table.html", context)


def _list_url(rule: Rule) -> str:
    """The list a rule is shown in: customer rules at /rules, task rules apart."""
    return "/rules?subject=task" if rule.subject == "task" else "/rules"


@router.post("/rules/{rule_id}/delete")
def delete_rule(
    rule_id: RuleId, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> RedirectResponse:
    """Take a rule out of routing (its versions stay)."""
    scope.require_admin(actor, "delete rules")
    rules.delete_rule(uow=uow, rule_id=rule_id, actor=actor, now=fenpei.now())
    uow.commit()
    return RedirectResponse("/rules", status_code=303)


# --- the editor -----------------------------------------------------------------------------


def _editor(
    request: Request,
    uow: UnitOfWork,
    user: Any,
    actor: Actor,
    *,
    rule: Rule | None,
    form: RuleForm,
    errors: Sequence[FieldError] = (),
    status_code: int = 200,
) -> Response:
    t = _t(request)
    categories = load_category_index(uow)
    teams = sorted(uow.teams.all(), key=lambda team: team.name)
    team_names = {team.id: team.name for team in teams}
    reps = sorted(uow.reps.all(), key=lambda rep: rep.name)
    catalog = subject_catalog(form.subject, uow.custom_fields.all())
    context = {
        "user": user,
        "active": "rules",
        "rule": rule,
        "form": form,
        "read_only": not actor.is_admin,
        "errors": error_map(errors, _t(request)),
        "error_list": list(errors),
        "teams": teams,
        "reps": [(rep, team_names.get(rep.team_id)) for rep in reps if rep.active],
        "target_kinds": target_kinds(form.subject),
        "subject": form.subject,
        "task_tester_fields": TASK_TESTER_FIELDS,
        "priorities": PRIORITIES,
        "origins": ORIGINS,
        "strategies": strategies(),
        "fallbacks": [f.value for f in Fallback],
        "match_keys": MATCH_KEYS,
        "builder": builder_config(catalog, categories, t),
        "tester_fields": TESTER_FIELDS,
        "levels": [(v.code, v.label) for v in categories.usable.get("level", [])],
        "words": conditions_text(rule, catalog, t) if rule else "",
    }
    return render(request, "rules/editor.html", context, status_code=status_code)


@router.get("/rules/new")
def new_rule_page(
    request: Request, uow: UowDep, user: CurrentUser, actor: CurrentActor
) -> Response:
    """A new rule (``?subject=task``: a task rule), the editor empty, the tester beside it."""
    scope.require_admin(actor, "add rules")
    subject = subject_of(request.query_params.get("subject"))
    form = RuleForm(subject=subject.value)
    if subject == "task":
        form.target_kind = TargetKind.customer_owner.value
    return _editor(request, uow, user, actor, rule=None, form=form)


@router.post("/rules")
def create_rule(
    request: Request,
    form: FormDep,
    uow: UowDep,
    user: CurrentUser,
    actor: CurrentActor,
    fenpei: FenpeiDep,
) -> Response:
    """Save a new rule; a refused one comes back with every error beside its field (422)."""
    scope.require_admin(actor, "add rules")
    posted = RuleForm.posted(form)
    fields, unreadable = posted.fields()
    fields["subject"] = posted.subject
    try:
        if unreadable:
            # collect the rest too
            rule_tester.check_draft(uow=uow, draft_fields=fields, actor=actor)
            raise ValidationFailed(unreadable)
        rule = rules.create_rule(uow=uow, fields=fields, actor=actor, now=fenpei.now())
    except ValidationFailed as exc:
        errors = [*unreadable, *(e for e in exc.errors if e not in unreadable)]
        return _editor(
            request, uow, user, actor, rule=None, form=posted, errors=errors, status_code=422
        )
    uow.commit()
    return RedirectResponse(f"/rules/{rule.id}?saved=1", status_code=303)


def _draft(form: FormData, uow: UnitOfWork) -> tuple[dict[str, Any], list[FieldError], int | None]:
    posted = RuleForm.posted(form)
    fields, unreadable = posted.fields()
    rule_id = form_id(form.get("rule_id"))
    if rule_id is None:
        fields["subject"] = posted.subject
    if "name" not in form:  # a read-only editor posts nothing of the rule: try it as saved
        fields, unreadable = {}, []
    if rule_id is not None and rules.get_rule(uow=uow, rule_id=rule_id).is_default:
        fields = {k: v for k, v in fields.items() if k not in ("conditions", "priority", "enabled")}
        unreadable = [e for e in unreadable if e.field not in ("conditions", "priority")]
    return fields, unreadable, rule_id


@router.post("/rules/check")
def check_rule(request: Request, form: FormDep, uow: UowDep, actor: CurrentActor) -> JSONResponse:
    """Validate the editor's draft as saving would, saving nothing: ``{"errors": […]}``
    with JSON paths (``conditions.all[1].value``) and the conditions in words."""
    scope.require_rule_reader(actor, "check assignment rules")
    fields, errors, rule_id = _draft(form, uow)
    try:
        rule_tester.check_draft(uow=uow, draft_fields=fields, actor=actor, rule_id=rule_id)
    except ValidationFailed as exc:
        errors += [e for e in exc.errors if e not in errors]
    words = None
    if not any(e.field.startswith("conditions") for e in errors):
        subject = _subject(form, uow, rule_id)
        catalog = subject_catalog(subject, uow.custom_fields.all())
        conditions = fields.get("conditions", {})
        parsed = parse_conditions(conditions, catalog) if conditions else None
        words = conditions_words(_t(request), parsed) if parsed is not None else None
    t = _t(request)
    shown = [{"field": e.field, "message": said(t, e.message)} for e in errors]
    body = {"errors": shown, "words": words}
    return JSONResponse(body)


def _trial_words(request: Request, trial: rule_tester.Trial, names: Names) -> dict[str, Any]:
    """The tester's verdict on this rule and each candidate's score in words."""
    language = page_language(request)
    t, n = translator(language), number_formatter(language)
    return {
        "trial": trial,
        "alone_rep_name": names.rep(trial.alone.rep_id) if trial.alone.rep_id else None,
        "reasons": {rep: factors_text(t, n, f) for rep, f in trial.reasons.items()},
        "alone_reasons": {rep: factors_text(t, n, f) for rep, f in trial.alone_reasons.items()},
    }


@router.post("/rules/try")
def try_rule(
    request: Request, form: FormDep, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> Response:
    """The tester: where the customer typed beside the editor would go with the draft
    saved, and why. Writes nothing; always a fragment (errors included)."""
    scope.require_rule_reader(actor, "try assignment rules")
    fields, errors, rule_id = _draft(form, uow)
    if _subject(form, uow, rule_id) == "task":
        return _try_task_rule(request, form, uow, actor, fenpei, (fields, errors, rule_id))
    customer, customer_errors = customer_fields(form)
    if not str(customer.get("name") or "").strip():  # a rule may test it: in the page's words
        customer["name"] = _t(request)("rules.tester.unnamed")
    errors += customer_errors
    trial = None
    if not errors:
        try:
            trial = rule_tester.try_rule_explained(
                uow=uow,
                rulebook=fenpei.rulebook,
                draft_fields=fields,
                customer_fields=customer,
                actor=actor,
                now=fenpei.now(),
                rng=fenpei.rng(),
                rule_id=rule_id,
            )
        except ValidationFailed as exc:
            errors += exc.errors
    decision = trial.decision if trial else None
    draft_id = rule_id if rule_id is not None else rule_tester.DRAFT_ID
    names = Names(uow)
    context = {
        "decision": decision,
        "errors": errors,
        "is_draft": decision is not None and decision.rule_id == draft_id,
        "rep_name": names.rep(decision.rep_id) if decision else None,
        "explanation": reason_words(_t(request), decision_json(decision)) if decision else "",
        "draft_id": draft_id,
        **(_trial_words(request, trial, names) if trial else {}),
    }
    return render(request, "rules/_tester_result.html", context)


def _subject(form: FormData, uow: UnitOfWork, rule_id: int | None) -> str:
    """What the draft routes: a saved rule's own subject, else the one the form chose."""
    if rule_id is not None:
        return rules.get_rule(uow=uow, rule_id=rule_id).subject
    return subject_of(form.get("subject")).value


def _try_task_rule(
    request: Request,
    form: FormData,
    uow: UnitOfWork,
    actor: Actor,
    fenpei: Any,
    draft: tuple[dict[str, Any], list[FieldError], int | None],
) -> Response:
    """The tester for a task rule: the task typed beside the editor, routed with the draft
    in its place among the task rules. Writes nothing."""
    fields, errors, rule_id = draft
    task, task_errors = task_fields(form)
    errors += task_errors
    decision = None
    if not errors:
        try:
            decision = rule_tester.try_task_rule(
                uow=uow, draft_fields=fields, task_fields=task, actor=actor,
                now=fenpei.now(), rng=fenpei.rng(), rule_id=rule_id,
            )  # fmt: skip
        except ValidationFailed as exc:
            errors += exc.errors
    draft_id = rule_id if rule_id is not None else rule_tester.DRAFT_ID
    context: dict[str, Any] = {
        "subject": "task",
        "decision": decision,
        "errors": errors,
        "is_draft": decision is not None and decision.rule_id == draft_id,
        "rep_name": Names(uow).rep(decision.rep_id) if decision and decision.rep_id else None,
        "explanation": reason_words(_t(request), decision_json(decision)) if decision else "",
        "draft_id": draft_id,
        "trial": None,  # a task rule's tester tells the decision, not this rule alone
        "reasons": {},
    }
    return render(request, "rules/_tester_result.html", context)


@router.get("/rules/{rule_id}")
def rule_page(
    request: Request, rule_id: RuleId, uow: UowDep, user: CurrentUser, actor: CurrentActor
) -> Response:
    """One rule in the editor (read-only unless an admin), with the tester beside it."""
    rule = rules.read_rule(uow=uow, rule_id=rule_id, actor=actor)
    return _editor(request, uow, user, actor, rule=rule, form=RuleForm.of(rule))


@router.post("/rules/{rule_id}")
def update_rule(
    request: Request,
    rule_id: RuleId,
    form: FormDep,
    uow: UowDep,
    user: CurrentUser,
    actor: CurrentActor,
    fenpei: FenpeiDep,
) -> Response:
    """Save the editor's content as the rule's next version; refused: nothing saved, 422."""
    scope.require_admin(actor, "change rules")
    rule = rules.get_rule(uow=uow, rule_id=rule_id)
    posted = RuleForm.posted(form)
    fields, unreadable = posted.fields()
    if rule.is_default:  # only what the editor lets you change on the catch-all
        fields = {k: v for k, v in fields.items() if k not in ("conditions", "priority", "enabled")}
        unreadable = [e for e in unreadable if e.field not in ("conditions", "priority")]
    try:
        if unreadable:
            rule_tester.check_draft(uow=uow, draft_fields=fields, actor=actor, rule_id=rule_id)
            raise ValidationFailed(unreadable)
        rules.update_rule(uow=uow, rule_id=rule_id, fields=fields, actor=actor, now=fenpei.now())
    except ValidationFailed as exc:
        errors = [*unreadable, *(e for e in exc.errors if e not in unreadable)]
        return _editor(
            request, uow, user, actor, rule=rule, form=posted, errors=errors, status_code=422
        )
    uow.commit()
    return RedirectResponse(f"/rules/{rule_id}?saved=1", status_code=303)


# --- versions -------------------------------------------------------------------------------


@router.get("/rules/{rule_id}/versions")
def versions_page(
    request: Request, rule_id: RuleId, uow: UowDep, user: CurrentUser, actor: CurrentActor
) -> Response:
    """Every saved version of a rule, newest first, each restorable (as a new version)."""
    rule = rules.read_rule(uow=uow, rule_id=rule_id, actor=actor)
    t = _t(request)
    catalog = subject_catalog(rule.subject, uow.custom_fields.all())
    names = Names(uow)
    versions = []
    for saved in reversed(rules.rule_versions(uow=uow, rule_id=rule_id, actor=actor)):
        snapshot = saved.snapshot
        as_rule = Rule(name=str(snapshot.get("name", "")), priority=0,
                       conditions=snapshot.get("conditions") or {})  # fmt: skip
        versions.append(
            {
                "version": saved,
                "snapshot": snapshot,
                "conditions": conditions_text(as_rule, catalog, t),
                "target": target_text(snapshot.get("target") or {}, names, t),
            }
        )
    restored = request.query_params.get("restored")
    context = {
        "user": user,
        "active": "rules",
        "rule": rule,
        "versions": versions,
        "can_edit": actor.is_admin,
        "restored": restored if restored and restored.isdigit() else None,
    }
    return render(request, "rules/versions.html", context)


@router.post("/rules/{rule_id}/versions/{version}/restore")
def restore_version(
    rule_id: RuleId, version: Version, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> RedirectResponse:
    """Make an old version current again, saved as a new version."""
    scope.require_admin(actor, "restore rules")
    rules.restore_version(uow=uow, rule_id=rule_id, version=version, actor=actor, now=fenpei.now())
    uow.commit()
    return RedirectResponse(f"/rules/{rule_id}/versions?restored={version}", status_code=303)
