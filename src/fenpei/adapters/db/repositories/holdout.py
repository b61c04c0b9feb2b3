"""The holdout report's tallies: one grouped query over assignments and customers."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.adapters.db.repositories._base import Repository
from fenpei.domain.customers import Stage
from fenpei.services.holdout.ports import ArmTally


class SqlHoldout(Repository):
    def arm_tallies(
        self,
        *,
        since: datetime | None,
        until: datetime | None,
        rep_ids: Collection[int] | None,
        team_ids: Collection[int] | None,
    ) -> list[ArmTally]:
        a, c = t.assignments.c, t.customers.c
        # The first draw of each (customer, rule): a later re-routing by the same rule (after
        # a reclaim, an SLA breach) does not move the customer to another arm.
        chosen = (
            sa.select(sa.func.min(a.id).label("id"))
            .where(a.arm.is_not(None), a.rule_id.is_not(None))
            .group_by(a.customer_id, a.rule_id)
            .subquery()
        )
        query = (
            sa.select(
                a.rule_id,
                a.arm,
                c.stage,
                sa.func.count(),
                sa.func.coalesce(sa.func.sum(c.expected_value), 0),
            )
            .select_from(t.assignments)
            .join(chosen, chosen.c.id == a.id)
            .join(t.customers, c.id == a.customer_id)
            .where(c.deleted_at.is_(None))
            .group_by(a.rule_id, a.arm, c.stage)
        )
        if since is not None:
            query = query.where(a.at >= since)
        if until is not None:
            query = query.where(a.at < until)
        if rep_ids is not None or team_ids is not None:
            query = query.where(
                sa.or_(c.owner_id.in_(list(rep_ids or ())), c.team_id.in_(list(team_ids or ())))
            )
        return [
            ArmTally(
                rule_id=int(rule_id),
                arm=str(arm),
                stage=Stage(stage).value,
                customers=int(count),
                value=Decimal(str(value)),
            )
            for rule_id, arm, stage, count, value in self.session.execute(query)
        ]
