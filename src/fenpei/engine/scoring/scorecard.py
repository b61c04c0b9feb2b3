"""Rule-based points (打分卡): lines "conditions → points", summed over the lines a customer
meets, on top of a base.

Params: ``{"algorithm": "scorecard", "base": 0, "lines": [{"conditions": <tree>,
"points": 10, "label": "big retail"}, ...]}``. Conditions are the rule language's
(``engine.conditions``), validated and compiled once; a line's errors name it
(``lines[2].conditions.all[0].op: …``). A scorecard cannot test what it writes or what
follows from it (score, win_probability, grade): points would depend on themselves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fenpei.domain.customers import Customer
from fenpei.domain.errors import FieldError, ValidationFailed
from fenpei.engine.conditions import Predicate, compile_conditions, describe, parse_conditions
from fenpei.engine.fields import FieldSpec, field_catalog
from fenpei.engine.scoring.contract import Contribution

ALGORITHM = "scorecard"
MAX_LINES = 200
MAX_POINTS = 1e6
MAX_LABEL = 200
SCORED_FIELDS = frozenset({"score", "win_probability", "grade"})
_KEYS = frozenset({"algorithm", "base", "lines"})
_LINE_KEYS = frozenset({"conditions", "points", "label"})
# When no time is given (a time-relative line asks "created within 7 days of when?"),
# lines are read at the customer's last change: the same customer, the same points.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Line:
    """One line of a scorecard: who meets it (``predicate``) and what it adds."""

    label: str
    points: float
    predicate: Predicate
    conditions: Mapping[str, Any]

    @property
    def text(self) -> str:
        """The conditions in words (``industry = 'retail' and employees >= 100``)."""
        return describe(self.predicate.node) or "always"


@dataclass(frozen=True)
class CompiledScorecard:
    """A scorecard ready to run: ``points`` sums the lines met; ``factors`` lists them."""

    base: float
    lines: tuple[Line, ...]
    algorithm: str = ALGORITHM

    def matched(self, customer: Customer, now: datetime | None = None) -> list[Line]:
        """The lines ``customer`` meets, in the scorecard's order."""
        at = now or customer.updated_at or customer.created_at or _EPOCH
        return [line for line in self.lines if line.predicate(customer, at)]

    def points(self, customer: Customer, now: datetime | None = None) -> float:
        return self.base + sum(line.points for line in self.matched(customer, now))

    def factors(
        self, customer: Customer, top: int = 3, now: datetime | None = None
    ) -> Sequence[Contribution]:
        """The lines met, largest effect first (``top`` of them; 0 or less: all)."""
        found = [
            Contribution(line.label or line.text, line.text, line.points, {"line": index})
            for index, line in enumerate(self.lines)
            if line in self.matched(customer, now)
        ]
        found.sort(key=lambda c: -abs(c.effect))
        return found[:top] if top > 0 else found


def _number(raw: object, where: str, errors: list[FieldError]) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or raw != raw:
        errors.append(FieldError(where, f"must be a number, got {raw!r}"[:200]))
        return 0.0
    if not -MAX_POINTS <= raw <= MAX_POINTS:
        errors.append(FieldError(where, f"must be between {-MAX_POINTS:g} and {MAX_POINTS:g}"))
        return 0.0
    return float(raw)


def _line(
    raw: object, where: str, catalog: Mapping[str, FieldSpec], errors: list[FieldError]
) -> Line | None:
    if not isinstance(raw, Mapping):
        errors.append(FieldError(where, "needs an object with conditions, points and label"))
        return None
    for key in raw:
        if key not in _LINE_KEYS:
            errors.append(
                FieldError(where, f"unknown key {key!r} (known: conditions, points, label)"[:200])
            )
    label = raw.get("label", "")
    if not isinstance(label, str) or len(label) > MAX_LABEL or "\x00" in label:
        errors.append(
            FieldError(f"{where}.label", f"must be text of at most {MAX_LABEL} characters")
        )
        label = ""
    if "points" not in raw:
        errors.append(FieldError(f"{where}.points", "is required"))
    points = _number(raw.get("points", 0), f"{where}.points", errors)
    conditions = raw.get("conditions", {})
    try:
        node = parse_conditions(conditions, catalog, root=f"{where}.conditions")
    except ValidationFailed as exc:
        errors += exc.errors
        return None
    return Line(label.strip(), points, compile_conditions(node), dict(conditions))


def scorecard_catalog(catalog: Mapping[str, FieldSpec] | None = None) -> dict[str, FieldSpec]:
    """The fields a scorecard line may test: the rules' fields but the scores themselves."""
    return {k: v for k, v in (catalog or field_catalog()).items() if k not in SCORED_FIELDS}


def build_scorecard(
    params: object, catalog: Mapping[str, FieldSpec] | None = None
) -> CompiledScorecard:
    """Validate and compile scorecard params; ValidationFailed naming every bad line."""
    errors: list[FieldError] = []
    if not isinstance(params, Mapping):
        raise ValidationFailed.one("params", "needs an object with base and lines")
    for key in params:
        if key not in _KEYS:
            errors.append(FieldError("params", f"unknown key {key!r} (known: base, lines)"[:200]))
    base = _number(params.get("base", 0), "base", errors)
    raw_lines = params.get("lines")
    if not isinstance(raw_lines, list):
        raise ValidationFailed([*errors, FieldError("lines", "needs a list of lines")])
    if len(raw_lines) > MAX_LINES:
        raise ValidationFailed.one("lines", f"has {len(raw_lines)} lines; at most {MAX_LINES}")
    fields = scorecard_catalog(catalog)
    lines = [_line(raw, f"lines[{i}]", fields, errors) for i, raw in enumerate(raw_lines)]
    for i, raw in enumerate(raw_lines):
        if isinstance(raw, Mapping) and isinstance(raw.get("conditions"), dict):
            named = _named_fields(raw["conditions"])
            for name in sorted(named & SCORED_FIELDS):
                errors.append(
                    FieldError(f"lines[{i}].conditions", f"a scorecard cannot test {name!r}")
                )
    if errors:
        raise ValidationFailed(errors)
    return CompiledScorecard(base, tuple(line for line in lines if line is not None))


def _named_fields(tree: object) -> set[str]:
    if isinstance(tree, dict):
        found = {tree["field"]} if isinstance(tree.get("field"), str) else set()
        for child in tree.values():
            found |= _named_fields(child)
        return found
    if isinstance(tree, list):
        return set().union(*(_named_fields(child) for child in tree)) if tree else set()
    return set()


def load_scorecard(params: Mapping[str, Any]) -> CompiledScorecard:
    """``load_model``'s loader, over the built-in fields (services pass the custom field
    definitions to ``build_scorecard``); ValueError naming the bad lines."""
    try:
        return build_scorecard(params)
    except ValidationFailed as exc:
        raise ValueError(f"scorecard: {exc}") from None
