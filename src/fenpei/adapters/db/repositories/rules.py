"""Rules, their versions and their strategies' persistent state."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.adapters.db.repositories._base import ROW_LOCK, Repository
from fenpei.domain.rules import RoutingState, Rule, RuleVersion


class SqlRules(Repository):
    def add(self, rule: Rule) -> None:
        self._add(rule)

    def get(self, rule_id: int, *, lock: bool = False) -> Rule | None:
        rule = self.session.get(Rule, rule_id, with_for_update=ROW_LOCK if lock else None)
        return rule if rule is not None and rule.deleted_at is None else None

    def active(self) -> list[Rule]:
        """Every rule not deleted, in the order they are tried (default rule last)."""
        r = t.rules.c
        return list(
            self.session.scalars(
                sa.select(Rule)
                .where(r.deleted_at.is_(None))
                .order_by(r.is_default, r.priority, r.id)
            )
        )

    def add_version(self, version: RuleVersion) -> None:
        self._add(version)

    def versions(self, rule_id: int) -> list[RuleVersion]:
        v = t.rule_versions.c
        return list(
            self.session.scalars(
                sa.select(RuleVersion).where(v.rule_id == rule_id).order_by(v.version)
            )
        )

    def add_state(self, state: RoutingState) -> None:
        self._add(state)

    def states(self) -> dict[int, dict[str, Any]]:
        rows = self.session.execute(sa.select(t.routing_state.c.rule_id, t.routing_state.c.state))
        return {rule_id: dict(state) for rule_id, state in rows}

    def lock_states(self, rule_ids: Collection[int]) -> dict[int, RoutingState]:
        stmt = (
            sa.select(RoutingState)
            .where(t.routing_state.c.rule_id.in_(sorted(set(rule_ids))))
            .order_by(t.routing_state.c.rule_id)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
        return {state.rule_id: state for state in self.session.scalars(stmt)}

    def lock_state(self, rule_id: int) -> RoutingState | None:
        # populate_existing: another transaction may have moved the cursor since we read it.
        return self.session.get(
            RoutingState, rule_id, with_for_update=ROW_LOCK, populate_existing=True
        )
