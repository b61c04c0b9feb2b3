"""The rule editor's form ↔ a rule's fields, and what the condition builder needs to know.

The form posts plain fields (``name``, ``target_kind``, ``target_rep_ids`` …) and the
conditions as JSON in a hidden field that ``static/rule-builder.js`` keeps in sync. The
same parsing serves saving, checking as you type and the tester, so all three agree.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from fenpei.domain.categories import CUSTOMER_FIELD_OF_CATEGORY
from fenpei.domain.errors import FieldError, ValidationFailed
from fenpei.domain.limits import load_json
from fenpei.domain.phrases import Phrase, whole_number
from fenpei.domain.rules import Rule
from fenpei.engine.conditions import OPS_BY_TYPE
from fenpei.engine.fields import FieldSpec
from fenpei.engine.model import Fallback, TargetKind
from fenpei.engine.strategies import STRATEGIES
from fenpei.services.categories import CategoryIndex
from fenpei.web._rule_experiment_form import (
    holdout_field,
    reroute_field,
    shown_holdout,
    shown_reroute,
)
from fenpei.web._said import said
from fenpei.web.i18n import Translate

MATCH_KEYS = ("company", "email_domain", "phone")
# The customer attributes the tester panel asks for, in this order.
TESTER_FIELDS = (
    *("name", "company_name", "region", "province", "city", "industry", "level", "source"),
    *("customer_type", "employees", "revenue", "score", "win_probability", "grade", "email"),
    "tags",
)
_NUMBER_FIELDS = ("employees", "revenue", "expected_value", "score", "win_probability")
_CHOICE_WORDS = {
    "task.priority": "task_rules.priority.",
    "task.origin": "task_rules.origin.",
    "grade": "scoring.grade.",
}
_ID = re.compile(r"[0-9]{1,10}")  # ASCII digits, short enough to be an id (or too big for one)


def form_id(value: object) -> int | None:
    """A posted id (``"12"``), or None for anything else: blank, words, a 5,000-digit number
    (which ``int`` refuses to read) or non-ASCII digits (``"²"``). The services then name a
    missing or out-of-range id."""
    return int(value) if isinstance(value, str) and _ID.fullmatch(value.strip()) else None


def _json_field(raw: str, field: str) -> tuple[Any, list[FieldError]]:
    """A form field holding JSON, read within the bounds every input meets (depth, text,
    list size): the value, or the errors naming ``field`` (never a RecursionError)."""
    try:
        return load_json(raw, field=field), []
    except ValidationFailed as exc:
        return None, exc.errors


@dataclass
class RuleForm:
    """What the form shows: the values as typed, so a refused form comes back as it was."""

    name: str = ""
    priority: str = "100"
    target_kind: str = TargetKind.team.value
    rep_ids: list[int] = field(default_factory=list)
    team_id: str = ""
    include_subteams: bool = True
    skill: str = ""
    pool: str = "public"
    match_on: list[str] = field(default_factory=lambda: list(MATCH_KEYS))
    strategy: str = "round_robin"
    strategy_options: str = "{}"
    fallback: str = Fallback.next_rule.value
    fallback_pool: str = ""
    required_skills: str = ""
    enabled: bool = True
    conditions: str = "{}"
    subject: str = "customer"  # chosen on a new rule; a saved one keeps its own
    holdout_share: str = ""  # a percentage; blank: no holdout
    holdout_strategy: str = "round_robin"
    holdout_options: str = "{}"
    reroute_when: str = ""  # JSON conditions; blank: no re-routing trigger
    reroute_min_days: str = "7"

    @classmethod
    def of(cls, rule: Rule) -> RuleForm:
        target = rule.target
        share, baseline, options = shown_holdout(rule.holdout)
        when, min_days = shown_reroute(rule.reroute)
        return cls(
            name=rule.name,
            priority=str(rule.priority),
            target_kind=str(target.get("kind", "")),
            rep_ids=[i for i in target.get("rep_ids", []) if isinstance(i, int)],
            team_id=str(target.get("team_id") or ""),
            include_subteams=bool(target.get("include_subteams", True)),
            skill=str(target.get("skill") or ""),
            pool=str(target.get("pool") or ""),
            match_on=list(target.get("match_on", MATCH_KEYS)),
            strategy=rule.strategy,
            strategy_options=json.dumps(rule.strategy_options, ensure_ascii=False),
            fallback=rule.fallback,
            fallback_pool=rule.fallback_pool or "",
            required_skills=", ".join(rule.required_skills),
            enabled=rule.enabled,
            conditions=json.dumps(rule.conditions, ensure_ascii=False),
            subject=rule.subject,
            holdout_share=share,
            holdout_strategy=baseline,
            holdout_options=options,
            reroute_when=when,
            reroute_min_days=min_days,
        )

    @classmethod
    def posted(cls, form: FormData) -> RuleForm:
        def text(key: str) -> str:
            value = form.get(key)
            return value if isinstance(value, str) else ""

        return cls(
            name=text("name"),
            priority=text("priority").strip(),
            target_kind=text("target_kind"),
            rep_ids=[i for v in form.getlist("target_rep_ids") if (i := form_id(v)) is not None],
            team_id=text("target_team_id"),
            include_subteams=text("target_include_subteams") == "on",
            skill=text("target_skill"),
            pool=text("target_pool"),
            match_on=[v for v in form.getlist("target_match_on") if isinstance(v, str)],
            strategy=text("strategy"),
            strategy_options=text("strategy_options") or "{}",
            fallback=text("fallback"),
            fallback_pool=text("fallback_pool"),
            required_skills=text("required_skills"),
            enabled=text("enabled") == "on",
            conditions=text("conditions") or "{}",
            subject="task" if text("subject") == "task" else "customer",
            holdout_share=text("holdout_share"),
            holdout_strategy=text("holdout_strategy") or "round_robin",
            holdout_options=text("holdout_options") or "{}",
            reroute_when=text("reroute_when"),
            reroute_min_days=text("reroute_min_days"),
        )

    def fields(self) -> tuple[dict[str, Any], list[FieldError]]:
        """The rule's fields, and what could not even be read (bad JSON, a priority in words).
        Whatever is unreadable is left out, so the service still checks everything else."""
        errors: list[FieldError] = []
        fields: dict[str, Any] = {
            "name": self.name,
            "target": self._target(),
            "strategy": self.strategy,
            "fallback": self.fallback,
            "fallback_pool": self.fallback_pool.strip() or None,
            "required_skills": [s.strip() for s in self.required_skills.split(",") if s.strip()],
            "enabled": self.enabled,
            "holdout": holdout_field(
                self.holdout_share, self.holdout_strategy, self.holdout_options, errors
            ),
        }
        if self.subject == "customer":
            fields["reroute"] = reroute_field(self.reroute_when, self.reroute_min_days, errors)
        priority = self.priority.strip()
        if re.fullmatch(r"-?[0-9]{1,10}", priority):
            fields["priority"] = int(priority)
        else:
            errors.append(FieldError("priority", whole_number(0, 1_000_000)))
        for key, raw in (
            ("conditions", self.conditions),
            ("strategy_options", self.strategy_options),
        ):
            value, unreadable = _json_field(raw, key)
            if unreadable:
                errors += unreadable
            else:
                fields[key] = value
        return fields, errors

    def _target(self) -> dict[str, Any]:
        kind = self.target_kind
        if kind == TargetKind.reps:
            return {"kind": kind, "rep_ids": self.rep_ids}
        if kind == TargetKind.team:
            team = form_id(self.team_id)
            return {"kind": kind, "team_id": team, "include_subteams": self.include_subteams}
        if kind == TargetKind.skill:
            return {"kind": kind, "skill": self.skill.strip()}
        if kind == TargetKind.account_owner:
            return {"kind": kind, "match_on": self.match_on}
        if kind == TargetKind.pool:
            return {"kind": kind, "pool": self.pool.strip() or "public"}
        return {"kind": kind}


def customer_fields(form: FormData) -> tuple[dict[str, object], list[FieldError]]:
    """The tester's customer: the pasted JSON object (if any) under the typed fields."""
    errors: list[FieldError] = []
    fields: dict[str, object] = {}
    pasted = form.get("customer_json")
    if isinstance(pasted, str) and pasted.strip():
        loaded, errors = _json_field(pasted, "customer_json")
        if isinstance(loaded, dict):
            fields.update(loaded)
        elif not errors:
            errors.append(
                FieldError("customer_json", Phrase("json.object", "must be a JSON object {…}"))
            )
    for name in TESTER_FIELDS:
        value = form.get(f"customer_{name}")
        if not isinstance(value, str) or not value.strip():
            continue
        if name in _NUMBER_FIELDS:
            try:
                fields[name] = int(value) if value.strip().lstrip("-").isdigit() else float(value)
            except ValueError:
                errors.append(FieldError(f"customer.{name}", Phrase("number", "must be a number")))
        elif name == "tags":
            fields[name] = [tag.strip() for tag in value.split(",") if tag.strip()]
        else:
            fields[name] = value.strip()
    return fields, errors


def builder_config(
    catalog: Mapping[str, FieldSpec], categories: CategoryIndex, t: Translate
) -> dict[str, Any]:
    """The fields, their types and values, the ops per type and the builder's words."""
    category_of_field = {f: key for key, f in CUSTOMER_FIELD_OF_CATEGORY.items()}
    fields = []
    for spec in catalog.values():
        # Choices in words: a task's priority and origin have their own, the rest are stages.
        prefix = _CHOICE_WORDS.get(spec.name, "stage.")
        values: Sequence[tuple[str, str]] = [(c, t(f"{prefix}{c}")) for c in spec.choices]
        if key := category_of_field.get(spec.name):
            values = [(v.code, v.label) for v in categories.usable.get(key, [])]
        label = t(f"rules.field.{spec.name}")
        fields.append(
            {
                "name": spec.name,
                "label": spec.name if label == f"rules.field.{spec.name}" else label,
                "type": spec.type.value,
                "values": [{"code": code, "label": shown} for code, shown in values],
                "closed": bool(spec.choices) or bool(key and categories.strict.get(key)),
            }
        )
    ops = {kind.value: [op.value for op in found] for kind, found in OPS_BY_TYPE.items()}
    every_op = sorted({op for found in ops.values() for op in found})
    words = ("all", "any", "add_condition", "add_group", "remove", "field", "op", "value",
             "low", "high", "choose", "days", "json_only", "match_when", "always")  # fmt: skip
    return {
        "fields": fields,
        "ops": ops,
        "opLabels": {op: t(f"rules.op.{op}") for op in every_op},
        "words": {word: t(f"rules.builder.{word}") for word in words},
    }


def strategies() -> list[str]:
    return list(STRATEGIES)


def error_map(errors: Sequence[FieldError], t: Translate) -> dict[str, str]:
    """Errors by path, in the page's words; two for one path are joined."""
    found: dict[str, str] = {}
    for error in errors:
        message = said(t, error.message)
        found[error.field] = "; ".join(filter(None, (found.get(error.field), message)))
    return found
