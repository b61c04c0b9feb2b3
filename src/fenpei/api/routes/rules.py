"""Assignment rules (分配规则): admins change them; admins, managers and auditors read and
preview them; a rep sees nothing of the rule book (403), as on the pages
(``scope.require_rule_reader``, asked by the services)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, status

from fenpei.api.schemas import (
    DecisionRead,
    ErrorRead,
    RuleCreate,
    RulePreview,
    RuleRead,
    RuleReorder,
    RuleUpdate,
    RuleVersionRead,
    TaskRulePreview,
)
from fenpei.bootstrap import Fenpei
from fenpei.domain.errors import ValidationFailed
from fenpei.domain.rules import Rule, RuleSubject
from fenpei.domain.users import Actor
from fenpei.engine.conditions import describe, parse_conditions
from fenpei.engine.explain import explained_json
from fenpei.engine.fields import FieldSpec
from fenpei.engine.model import Decision
from fenpei.engine.task_fields import subject_catalog
from fenpei.http.deps import AdminActor, CurrentActor, FenpeiDep, UowDep
from fenpei.http.fields import MAX_ID
from fenpei.services import rule_tester, rules, scope
from fenpei.services.ports import UnitOfWork

FORBIDDEN: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorRead, "description": "Logged in, but not an admin."}
}
READERS_ONLY: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorRead, "description": "A rep: the rule book is not theirs to see."}
}
router = APIRouter(prefix="/rules", tags=["rules"])
RuleId = Annotated[int, Path(ge=1, le=MAX_ID, description="The rule's id.")]
Version = Annotated[int, Path(ge=1, le=MAX_ID, description="A saved version of the rule.")]


def _conditions_text(rule: Rule, catalog: Mapping[str, FieldSpec]) -> str | None:
    """The conditions in words, or None if they no longer parse (e.g. a custom field went)."""
    try:
        return describe(parse_conditions(rule.conditions, catalog))
    except ValidationFailed:
        return None


def rule_reads(uow: UnitOfWork, found: list[Rule]) -> list[RuleRead]:
    custom_fields = uow.custom_fields.all()
    catalogs = {s.value: subject_catalog(s, custom_fields) for s in RuleSubject}
    reads = []
    for rule in found:
        read = RuleRead.model_validate(rule)
        read.conditions_text = _conditions_text(
            rule, catalogs.get(rule.subject, catalogs["customer"])
        )
        reads.append(read)
    return reads


def decision_read(decision: Decision) -> DecisionRead:
    return DecisionRead.model_validate(explained_json(decision))


def _given(body: RuleCreate | RuleUpdate) -> dict[str, Any]:
    return body.model_dump(exclude_unset=True)


async def _rule_reader(actor: CurrentActor) -> Actor:
    """Refuse a rep before the body is read; the services ask the same question again."""
    scope.require_rule_reader(actor)
    return actor


RuleReader = Annotated[Actor, Depends(_rule_reader)]


@router.get("", responses=READERS_ONLY)
def list_rules(
    uow: UowDep,
    actor: RuleReader,
    subject: Annotated[
        RuleSubject | None, Query(description="Only the rules routing customers, or tasks.")
    ] = None,
) -> list[RuleRead]:
    """Every rule in the order routing tries them (the default rule last)."""
    return rule_reads(uow, rules.list_rules(uow=uow, actor=actor, subject=subject))


@router.post("", status_code=status.HTTP_201_CREATED, responses=FORBIDDEN)
def create_rule(body: RuleCreate, uow: UowDep, actor: AdminActor, fenpei: FenpeiDep) -> RuleRead:
    """Add a rule; every bad part is named by its JSON path (``conditions.all[0].field``)."""
    rule = rules.create_rule(uow=uow, fields=_given(body), actor=actor, now=fenpei.now())
    uow.commit()
    return rule_reads(uow, [rule])[0]


@router.post("/reorder", responses=FORBIDDEN)
def reorder_rules(
    body: RuleReorder, uow: UowDep, actor: AdminActor, fenpei: FenpeiDep
) -> list[RuleRead]:
    """Try the listed rules in this order (priorities 10, 20, 30 …); returns every rule."""
    rules.reorder_rules(uow=uow, rule_ids=body.rule_ids, actor=actor, now=fenpei.now())
    uow.commit()
    return rule_reads(uow, uow.rules.active())


@router.post("/preview", responses=READERS_ONLY)
def preview_route(
    body: RulePreview, uow: UowDep, actor: RuleReader, fenpei: FenpeiDep
) -> DecisionRead:
    """Where a customer with these fields would go, and why; stores nothing, moves no cursor.
    Admins, managers and auditors: the answer names every rep passed over and why."""
    decision = rule_tester.preview(
        uow=uow,
        rulebook=fenpei.rulebook,
        fields=body.model_extra or {},
        actor=actor,
        now=fenpei.now(),
        rng=fenpei.rng(),
    )
    return decision_read(decision)


@router.post("/preview-task", responses=READERS_ONLY)
def preview_task_route(
    body: TaskRulePreview, uow: UowDep, actor: RuleReader, fenpei: FenpeiDep
) -> DecisionRead:
    """Where a task with these fields would go with the task rules (or, none placing it,
    to its customer's owner), and why; stores nothing, moves no cursor."""
    decision = rule_tester.preview_task(
        uow=uow,
        fields=body.model_dump(exclude_none=True),
        actor=actor,
        now=fenpei.now(),
        rng=fenpei.rng(),
    )
    return decision_read(decision)


@router.get("/{rule_id}", responses=READERS_ONLY)
def get_rule(rule_id: RuleId, uow: UowDep, actor: RuleReader) -> RuleRead:
    """One rule, with its conditions in words."""
    return rule_reads(uow, [rules.read_rule(uow=uow, rule_id=rule_id, actor=actor)])[0]


@router.patch("/{rule_id}", responses=FORBIDDEN)
def update_rule(
    rule_id: RuleId, body: RuleUpdate, uow: UowDep, actor: AdminActor, fenpei: FenpeiDep
) -> RuleRead:
    """Change the keys given; the result is saved as the rule's next version."""
    rule = rules.update_rule(
        uow=uow, rule_id=rule_id, fields=_given(body), actor=actor, now=fenpei.now()
    )
    uow.commit()
    return rule_reads(uow, [rule])[0]


@router.delete("/{rule_id}", status_code=status.HTTP_204_NO_CONTENT, responses=FORBIDDEN)
def delete_rule(rule_id: RuleId, uow: UowDep, actor: AdminActor, fenpei: FenpeiDep) -> None:
    """Take a rule out of routing (its versions stay); the default rule cannot go."""
    rules.delete_rule(uow=uow, rule_id=rule_id, actor=actor, now=fenpei.now())
    uow.commit()


def _set_enabled(
    uow: UnitOfWork, rule_id: int, enabled: bool, actor: Actor, fenpei: Fenpei
) -> RuleRead:
    fields = {"enabled": enabled}
    rule = rules.update_rule(uow=uow, rule_id=rule_id, fields=fields, actor=actor, now=fenpei.now())
    uow.commit()
    return rule_reads(uow, [rule])[0]


@router.post("/{rule_id}/enable", responses=FORBIDDEN)
def enable_rule(rule_id: RuleId, uow: UowDep, actor: AdminActor, fenpei: FenpeiDep) -> RuleRead:
    """Let routing try the rule again (a new version)."""
    return _set_enabled(uow, rule_id, True, actor, fenpei)


@router.post("/{rule_id}/disable", responses=FORBIDDEN)
def disable_rule(rule_id: RuleId, uow: UowDep, actor: AdminActor, fenpei: FenpeiDep) -> RuleRead:
    """Keep the rule but have routing skip it (a new version)."""
    return _set_enabled(uow, rule_id, False, actor, fenpei)


@router.get("/{rule_id}/versions", responses=READERS_ONLY)
def rule_versions(rule_id: RuleId, uow: UowDep, actor: RuleReader) -> list[RuleVersionRead]:
    """Every saved version of the rule, oldest first."""
    found = rules.rule_versions(uow=uow, rule_id=rule_id, actor=actor)
    return [RuleVersionRead.model_validate(v) for v in found]


@router.post("/{rule_id}/versions/{version}/restore", responses=FORBIDDEN)
def restore_version(
    rule_id: RuleId, version: Version, uow: UowDep, actor: AdminActor, fenpei: FenpeiDep
) -> RuleRead:
    """Make an old version current again, saved as a new version (nothing is lost)."""
    rule = rules.restore_version(
        uow=uow, rule_id=rule_id, version=version, actor=actor, now=fenpei.now()
    )
    uow.commit()
    return rule_reads(uow, [rule])[0]
