"""Fake rule repository and routing read model, mirroring ``repositories/rules.py`` and
``repositories/routing.py``: the same filters, orders and rolling windows, over the store."""

from __future__ import annotations

import copy
import hashlib
import re
from collections import Counter
from collections.abc import Collection, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from fenpei.adapters.db.repositories.routing import CONFIG_TABLES
from fenpei.domain.customers import OPEN_STAGES
from fenpei.domain.org import Leave
from fenpei.domain.rules import RoutingState, Rule, RuleVersion
from fenpei.engine.capacity import Usage, intake
from fenpei.services.ports import RepLoad
from tests.fakes.store import Store


class FakeRules:
    def __init__(self, store: Store) -> None:
        self._store = store

    def add(self, rule: Rule) -> None:
        self._store.add(self._store.rules, rule)

    def get(self, rule_id: int, *, lock: bool = False) -> Rule | None:
        if lock:
            self._store.lock("rule", [rule_id])
        rule = self._store.rules.rows.get(rule_id)
        return rule if rule is not None and rule.deleted_at is None else None

    def active(self) -> list[Rule]:
        """Not deleted, in the order they are tried: the default rule last, then priority, id."""
        rules = [r for r in self._store.rules if r.deleted_at is None]
        return sorted(rules, key=lambda r: (r.is_default, r.priority, r.id or 0))

    def add_version(self, version: RuleVersion) -> None:
        self._store.add(self._store.rule_versions, version)

    def versions(self, rule_id: int) -> list[RuleVersion]:
        found = [v for v in self._store.rule_versions if v.rule_id == rule_id]
        return sorted(found, key=lambda v: v.version)

    def add_state(self, state: RoutingState) -> None:
        self._store.add(self._store.routing_state, state)

    def states(self) -> dict[int, dict[str, Any]]:
        # Read from JSON columns, the SQL gives fresh objects: editing them changes nothing.
        return {s.rule_id: copy.deepcopy(dict(s.state)) for s in self._store.routing_state}

    def lock_state(self, rule_id: int) -> RoutingState | None:
        self._store.lock("routing_state", [rule_id])
        return self._store.routing_state.rows.get(rule_id)

    def lock_states(self, rule_ids: Collection[int]) -> dict[int, RoutingState]:
        wanted = sorted(set(rule_ids))
        self._store.lock("routing_state", wanted)
        rows = self._store.routing_state.rows
        return {rule_id: rows[rule_id] for rule_id in wanted if rule_id in rows}


class FakeRoutingReads:
    def __init__(self, store: Store) -> None:
        self._store = store

    def loads(self, *, now: datetime, rep_ids: Collection[int] | None = None) -> dict[int, RepLoad]:
        """For ``rep_ids`` (every rep, inactive ones too, when None): open customers held and
        their expected value, customers received in the rep's local day, week and month
        (not counting transfers to oneself) and the latest received ever — counted from the
        records each time, the reference the SQL counters are tested against."""
        only = sorted(set(rep_ids)) if rep_ids is not None else None
        held: dict[int, tuple[int, Decimal]] = {}
        for c in self._store.customers:
            if c.owner_id is not None and c.stage in OPEN_STAGES and c.deleted_at is None:
                count, value = held.get(c.owner_id, (0, Decimal(0)))
                held[c.owner_id] = (count + 1, value + (c.expected_value or 0))
        received: dict[int, list[datetime]] = {}
        for a in self._store.assignments:
            if a.to_rep_id is not None and a.from_rep_id != a.to_rep_id:
                received.setdefault(a.to_rep_id, []).append(a.at)
        loads = {}
        for rep_id in only if only is not None else list(self._store.reps.rows):
            count, value = held.get(rep_id, (0, Decimal(0)))
            times = received.get(rep_id, [])
            rep = self._store.reps.rows.get(rep_id)
            usage = Usage(count, *intake(times, now, rep.time_zone if rep else "UTC"))
            loads[rep_id] = RepLoad(usage, Decimal(value), max(times, default=None))
        return loads

    def recount_loads(
        self, *, now: datetime, rep_ids: Collection[int] | None = None, lock: bool = False
    ) -> dict[int, RepLoad]:
        return self.loads(now=now, rep_ids=rep_ids)

    def store_loads(self, *, now: datetime, loads: Mapping[int, RepLoad]) -> None:
        """Nothing is kept here: every read counts afresh, so there is never drift."""

    def leaves_around(self, *, now: datetime) -> list[Leave]:
        return [leave for leave in self._store.leaves if leave.ends_at > now]

    def config_stamp(self, *, now: datetime) -> str:
        """Every column of every row of the same tables as the SQL stamp, hashed (leaves
        only while not ended): equal stamps, equal configuration."""
        digest = hashlib.blake2b(digest_size=16)
        for table in CONFIG_TABLES:
            if table.name == "scoring_settings":  # one row, kept as the object itself
                digest.update(f"{table.name}:{self._store.scoring_settings!r}\n".encode())
                continue
            rows = self._store.table_named(table.name).rows
            for row_id in sorted(rows):
                row = rows[row_id]
                if isinstance(row, Leave) and row.ends_at <= now:
                    continue
                values = [getattr(row, column.name, None) for column in table.columns]
                digest.update(f"{table.name}:{values!r}\n".encode())
        return digest.hexdigest()

    def account_owners(
        self, *, company: str | None, email_domain: str | None, phone_digits: str | None
    ) -> dict[str, int]:
        """Owner of the most recently assigned customer matching each key, compared as the
        SQL compares: ``lower(trim(company_name)) = lower(company)``, ``lower(email) LIKE
        '%@<domain>'`` and the phone without separators ending in the last 8 digits.
        ``lower`` is Python's, as PostgreSQL's is; SQLite's lowers ASCII letters only."""

        def bare(phone: str | None) -> str:
            return "".join(ch for ch in phone or "" if ch not in "-() .")

        probes = {
            "company": (lambda c: (c.company_name or "").strip().lower() == (company or "").lower())
            if company
            else None,
            "email_domain": (lambda c: _like(c.email, f"%@{email_domain}", ignore_case=True))
            if email_domain
            else None,
            "phone": (lambda c: bare(c.phone).endswith(phone_digits[-8:]))
            if phone_digits
            else None,
        }
        owned = [c for c in self._store.customers if c.owner_id is not None and not c.deleted_at]
        # ORDER BY assigned_at DESC NULLS LAST, id DESC
        owned.sort(key=lambda c: (c.assigned_at is not None, c.assigned_at, c.id), reverse=True)
        found: dict[str, int] = {}
        for key, probe in probes.items():
            owner = next((c.owner_id for c in owned if probe and probe(c)), None)
            if owner is not None:
                found[key] = owner
        return found

    def queued_customer_ids(self, *, limit: int) -> list[int]:
        queued = [
            c
            for c in self._store.customers
            if c.queued_at is not None and c.owner_id is None and c.deleted_at is None
        ]
        queued.sort(key=lambda c: (c.queued_at, c.id))
        return [c.id for c in queued[:limit] if c.id is not None]

    def assignment_counts(self) -> list[tuple[str, int | None, int]]:
        counts = Counter(
            (record.method.value, record.rule_id) for record in self._store.assignments
        )
        return sorted(
            ((method, rule, n) for (method, rule), n in counts.items()),
            key=lambda row: (row[0], row[1] is None, row[1] or 0),
        )

    def queue_depth(self) -> int:
        return len(self.queued_customer_ids(limit=10**9))


def _like(value: str | None, pattern: str, *, ignore_case: bool = False) -> bool:
    """SQL ``LIKE`` without an escape character: ``%`` any run, ``_`` any one character."""
    if value is None:
        return False
    regex = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.fullmatch(regex, value, flags) is not None
