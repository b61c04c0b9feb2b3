"""An index of rules on their equality conditions, so a customer meets only the rules that
could match it: with hundreds of territory rules (province = X and …) a first match is
deep in the list, and walking every rule for every customer is the slow part."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence

from fenpei.engine.conditions import equality_keys, normalise_key, parse_conditions
from fenpei.engine.fields import FieldSpec
from fenpei.engine.items import WorkItem
from fenpei.engine.router import CompiledRule


class RuleIndex:
    """Implements ``router.RuleSelector``. Each rule with an equality condition on a text
    field is filed under the values it accepts (its most selective such field); the rest
    are always tried. Rules come back in priority order; none that could match is dropped."""

    def __init__(self, rules: Sequence[CompiledRule], catalog: Mapping[str, FieldSpec]) -> None:
        self._rules = list(rules)
        self._always: list[int] = []
        self._by_field: dict[str, dict[str, list[int]]] = {}
        keyed = [
            (position, equality_keys(parse_conditions(compiled.rule.conditions, catalog)))
            for position, compiled in enumerate(self._rules)
        ]
        # How many rules accept each (field, value): a rule is filed under the field whose
        # busiest value is shared by the fewest rules ("province" beats "level").
        sharing: Counter[tuple[str, str]] = Counter(
            (field, value)
            for _, keys in keyed
            if keys
            for field, values in keys.items()
            for value in values
        )
        for position, keys in keyed:
            if not keys:
                self._always.append(position)
                continue
            field, values = min(
                keys.items(),
                key=lambda item: (
                    max((sharing[item[0], v] for v in item[1]), default=0),
                    len(item[1]),
                    item[0],
                ),
            )
            table = self._by_field.setdefault(field, {})
            for value in values:
                table.setdefault(value, []).append(position)
        self._getters: dict[str, Callable[[WorkItem], object]] = {
            field: catalog[field].get for field in self._by_field
        }

    @property
    def size(self) -> int:
        return len(self._rules)

    def for_customer(self, customer: WorkItem) -> list[CompiledRule]:
        positions = list(self._always)
        for field, table in self._by_field.items():
            value = self._getters[field](customer)
            if value is not None:
                positions.extend(table.get(normalise_key(value), ()))
        positions.sort()
        return [self._rules[p] for p in positions]
