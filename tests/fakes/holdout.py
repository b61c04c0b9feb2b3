"""The holdout report's tallies, worked out from the store's assignments and customers."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from decimal import Decimal

from fenpei.domain.assignments import Assignment
from fenpei.services.holdout.ports import ArmTally
from tests.fakes.store import Store


class FakeHoldout:
    def __init__(self, store: Store) -> None:
        self._store = store

    def arm_tallies(
        self,
        *,
        since: datetime | None,
        until: datetime | None,
        rep_ids: Collection[int] | None,
        team_ids: Collection[int] | None,
    ) -> list[ArmTally]:
        first: dict[tuple[int, int], Assignment] = {}
        for record in self._store.assignments:
            if record.arm is None or record.rule_id is None or record.id is None:
                continue
            key = (record.customer_id, record.rule_id)
            if key not in first or record.id < (first[key].id or 0):
                first[key] = record
        latest = {
            key: record
            for key, record in first.items()
            if (since is None or record.at >= since) and (until is None or record.at < until)
        }
        tallies: dict[tuple[int, str, str], tuple[int, Decimal]] = {}
        for (customer_id, rule_id), record in latest.items():
            customer = self._store.customers.rows.get(customer_id)
            if customer is None or customer.deleted_at is not None:
                continue
            if (rep_ids is not None or team_ids is not None) and not (
                customer.owner_id in (rep_ids or ()) or customer.team_id in (team_ids or ())
            ):
                continue
            key3 = (rule_id, str(record.arm), str(customer.stage))
            count, value = tallies.get(key3, (0, Decimal(0)))
            tallies[key3] = (count + 1, value + (customer.expected_value or Decimal(0)))
        return [
            ArmTally(rule_id=r, arm=arm, stage=stage, customers=n, value=v)
            for (r, arm, stage), (n, v) in sorted(tallies.items())
        ]
