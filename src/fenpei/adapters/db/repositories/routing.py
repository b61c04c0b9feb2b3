"""Set-based reads for routing: reps' loads in two queries, leaves, account owners."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.adapters.db.repositories._base import Repository
from fenpei.adapters.db.types import UtcDateTime
from fenpei.domain.customers import OPEN_STAGES
from fenpei.domain.org import Leave
from fenpei.engine.capacity import Usage, intake_window_starts
from fenpei.services.ports import RepLoad


class SqlRoutingReads(Repository):
    def loads(self, *, now: datetime, rep_ids: Collection[int] | None = None) -> dict[int, RepLoad]:
        c, a = t.customers.c, t.assignments.c
        only = sorted(set(rep_ids)) if rep_ids is not None else None
        held = {
            rep_id: (count, value)
            for rep_id, count, value in self.session.execute(
                sa.select(
                    c.owner_id, sa.func.count(), sa.func.coalesce(sa.func.sum(c.expected_value), 0)
                )
                .where(
                    c.owner_id.is_not(None) if only is None else c.owner_id.in_(only),
                    c.stage.in_(OPEN_STAGES),
                    c.deleted_at.is_(None),
                )
                .group_by(c.owner_id)
            )
        }
        day, week, month = intake_window_starts(now)
        received = {
            rep_id: (d, w, m, last)
            for rep_id, d, w, m, last in self.session.execute(
                sa.select(
                    a.to_rep_id,
                    sa.func.count().filter(a.at >= day),
                    sa.func.count().filter(a.at >= week),
                    sa.func.count().filter(a.at >= month),
                    sa.func.max(a.at, type_=UtcDateTime()),
                )
                .where(
                    a.to_rep_id.is_not(None) if only is None else a.to_rep_id.in_(only),
                    a.at >= month,
                    sa.or_(a.from_rep_id.is_(None), a.from_rep_id != a.to_rep_id),
                )
                .group_by(a.to_rep_id)
            )
        }
        loads = {}
        for rep_id in only if only is not None else self.session.scalars(sa.select(t.reps.c.id)):
            count, value = held.get(rep_id, (0, 0))
            d, w, m, last = received.get(rep_id, (0, 0, 0, None))
            loads[rep_id] = RepLoad(Usage(count, d, w, m), Decimal(value), last)
        return loads

    def leaves_around(self, *, now: datetime) -> list[Leave]:
        return list(self.session.scalars(sa.select(Leave).where(t.leaves.c.ends_at > now)))

    def account_owners(
        self, *, company: str | None, email_domain: str | None, phone_digits: str | None
    ) -> dict[str, int]:
        """Owner of the most recently assigned open customer matching each key."""
        c = t.customers.c
        found: dict[str, int] = {}
        # Compare like with like: lower() on both sides, and phones without separators.
        bare_phone = sa.func.replace(
            sa.func.replace(
                sa.func.replace(
                    sa.func.replace(sa.func.replace(c.phone, "-", ""), " ", ""), "(", ""
                ),
                ")",
                "",
            ),
            ".",
            "",
        )
        probes = {
            "company": sa.func.lower(sa.func.trim(c.company_name)) == sa.func.lower(company)
            if company
            else None,
            "email_domain": sa.func.lower(c.email).like(f"%@{email_domain.lower()}")
            if email_domain
            else None,
            "phone": bare_phone.like(f"%{phone_digits[-8:]}") if phone_digits else None,
        }
        for key, condition in probes.items():
            if condition is None:
                continue
            owner = self.session.scalar(
                sa.select(c.owner_id)
                .where(condition, c.owner_id.is_not(None), c.deleted_at.is_(None))
                .order_by(c.assigned_at.desc().nulls_last(), c.id.desc())
                .limit(1)
            )
            if owner is not None:
                found[key] = owner
        return found

    def queued_customer_ids(self, *, limit: int) -> list[int]:
        c = t.customers.c
        return list(
            self.session.scalars(
                sa.select(c.id)
                .where(c.queued_at.is_not(None), c.owner_id.is_(None), c.deleted_at.is_(None))
                .order_by(c.queued_at, c.id)
                .limit(limit)
            )
        )

    def assignment_counts(self) -> list[tuple[str, int | None, int]]:
        """How many assignments were ever made, by method and rule."""
        a = t.assignments.c
        rows = self.session.execute(
            sa.select(a.method, a.rule_id, sa.func.count())
            .group_by(a.method, a.rule_id)
            .order_by(a.method, a.rule_id)
        )
        return [
            (str(getattr(method, "value", method)), rule_id, count)
            for method, rule_id, count in rows
        ]

    def queue_depth(self) -> int:
        """Customers waiting in the queue for a rep."""
        c = t.customers.c
        return (
            self.session.scalar(
                sa.select(sa.func.count()).where(
                    c.queued_at.is_not(None), c.owner_id.is_(None), c.deleted_at.is_(None)
                )
            )
            or 0
        )
