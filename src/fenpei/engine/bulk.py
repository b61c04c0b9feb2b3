"""The batch path: many customers routed at once, with the decisions routing them one by
one would give.

``first_matching_rules`` evaluates the rules column-wise (see ``_bulk_scan``):
each rule once over the customers still unplaced that its equality conditions admit.
``first_matching_rules_in`` does the same over the columns of an Arrow table (or a
Polars frame), with no ``Customer`` objects at all (see ``_bulk_frame``); a
``TableColumns`` of the same customers lets ``route_many`` evaluate the rules from it.
``route_many`` then walks the customers in order through the same target, eligibility,
strategy and fallback steps as ``router.route``, keeping each rep's usage and each rule's
strategy state current between customers, so capacity and round robin behave exactly as
they would one customer at a time.

Decisions differ from ``router.route``'s in one way only: the trace lists the rules that
matched (``matched`` / ``no_eligible_rep``), not every rule tried on the way. The rules
passed over above the deciding one (all of them when none decides) are counted in
``rules_skipped``: the column evaluation proved they do not apply.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from random import Random
from typing import Any

import numpy as np

from fenpei.domain.customers import Customer
from fenpei.engine._bulk_frame import TableColumns
from fenpei.engine._bulk_scan import NO_RULE, Scanner
from fenpei.engine.capacity import Usage
from fenpei.engine.conditions import All, Leaf, Node, Not, compile_conditions
from fenpei.engine.eligibility import exclusion_reason
from fenpei.engine.fields import FieldSpec
from fenpei.engine.model import Decision, Exclusion, RepState, RuleTrace, TargetKind
from fenpei.engine.router import CompiledRule, Match, RoutingContext, decide, match

BLOCK = 1 << 16  # customers scanned together in route_many; bounds the per-block caches
_ALWAYS = compile_conditions(All(()))
_FINAL_KINDS = (TargetKind.pool, TargetKind.queue)


def _fields(node: Node) -> set[str]:
    if isinstance(node, Leaf):
        return {node.field}
    if isinstance(node, Not):
        return _fields(node.child)
    return set().union(*(_fields(child) for child in node.children))


def first_matching_rules(
    customers: Sequence[Customer],
    rules: Sequence[CompiledRule],
    catalog: Mapping[str, FieldSpec],
    *,
    now: datetime,
) -> list[int | None]:
    """For each customer, the position in ``rules`` (priority order) of the first enabled
    rule, in its window at ``now``, whose conditions hold; None when there is none.

    ``catalog`` is the one the rules were parsed with; a rule testing a field outside it
    is a ValueError (the rules and the customers' fields have drifted apart).
    """
    _check_fields(rules, catalog.keys())
    return _positions(Scanner(customers, rules, now=now))


def first_matching_rules_in(
    frame: object | TableColumns,
    rules: Sequence[CompiledRule],
    catalog: Mapping[str, FieldSpec],
    *,
    now: datetime,
) -> list[int | None]:
    """``first_matching_rules`` for customers given as the rows of a table: an Arrow
    table, or a data frame Arrow reads (Polars), whose columns are named as ``catalog``
    names fields and hold what their getters give (see ``_bulk_frame``).

    A column that is not a field, or whose type cannot hold its field's values, is a
    ValueError naming it; so is a rule testing a field the table has no column for.
    """
    return _positions(frame_scanner(frame, rules, catalog, now=now))


def frame_scanner(
    frame: object | TableColumns,
    rules: Sequence[CompiledRule],
    catalog: Mapping[str, FieldSpec],
    *,
    now: datetime,
) -> Scanner:
    """The column scanner over a table's rows, its columns and the rules' fields checked."""
    columns = frame if isinstance(frame, TableColumns) else TableColumns(frame, catalog)
    _check_fields(rules, catalog.keys())
    _check_fields(rules, columns.names, missing="the table has no column for")
    return Scanner(columns, rules, now=now)


def _check_fields(
    rules: Sequence[CompiledRule],
    known: Collection[str],
    *,
    missing: str = "tests unknown fields:",
) -> None:
    for position, compiled in enumerate(rules):
        unknown = _fields(compiled.matches.node) - set(known)
        if unknown:
            raise ValueError(f"rules[{position}] {missing} {', '.join(sorted(unknown))}")


def _positions(scanner: Scanner) -> list[int | None]:
    found = scanner.first_match(np.arange(scanner.columns.size, dtype=np.intp))
    positions = found.astype(object)  # as Python ints, then None where nothing matched
    positions[found == NO_RULE] = None
    listed: list[int | None] = positions.tolist()
    return listed


def received(state: RepState, customer: Customer, *, now: datetime) -> RepState:
    """A rep's state after being given ``customer`` at ``now``: one more received in every
    intake window, and one more open customer (with its expected value) if it is open —
    what the store's loads would say after the assignment."""
    usage, held = state.usage, customer.is_open
    value = customer.expected_value if held and customer.expected_value is not None else 0
    return replace(
        state,
        usage=Usage(
            usage.open_count + held,
            usage.received_day + 1,
            usage.received_week + 1,
            usage.received_month + 1,
        ),
        open_value=state.open_value + Decimal(value),
        last_assigned_at=now,
    )


def route_many(
    customers: Sequence[Customer],
    ctx: RoutingContext,
    *,
    now: datetime,
    rng: Random,
    columns: TableColumns | None = None,
) -> list[Decision]:
    """Route ``customers`` in order, as ``router.route`` would one after another with each
    decision's rep usage and strategy state applied before the next (``ctx.selector`` is
    not needed: the batch has its own index). Given ``columns`` (the same customers as a
    table, row for row), the rules are evaluated on those instead of on the objects."""
    return list(iter_route_many(customers, ctx, now=now, rng=rng, columns=columns))


def iter_route_many(
    customers: Sequence[Customer],
    ctx: RoutingContext,
    *,
    now: datetime,
    rng: Random,
    columns: TableColumns | None = None,
) -> Iterator[Decision]:
    """``route_many`` one decision at a time, so a million need not be held at once."""
    return _BatchRouter(customers, ctx, now=now, rng=rng, columns=columns).decisions()


class _Eligible:
    """One target's eligible reps and exclusions (as ``router`` screens them), kept
    current as its reps receive customers. Rules with the same target and required
    skills share one. A rep only ever gains load here, so once empty it stays empty."""

    def __init__(self, found: Match, skills: tuple[str, ...]) -> None:
        excluded = found.exclusions if found.final is None else found.final.exclusions
        self.skills = skills
        self.eligible, self.excluded = list(found.eligible), list(excluded)
        self._eligible_ids = [s.id for s in self.eligible]
        self._excluded_ids = [e.rep_id for e in self.excluded]
        self.members = set(self._eligible_ids) | set(self._excluded_ids)
        self._frozen: tuple[tuple[RepState, ...], tuple[Exclusion, ...]] | None = None

    def frozen(self) -> tuple[tuple[RepState, ...], tuple[Exclusion, ...]]:
        if self._frozen is None:
            self._frozen = tuple(self.eligible), tuple(self.excluded)
        return self._frozen

    def refresh(self, state: RepState, now: datetime) -> None:
        """Screen again the one rep whose state changed (a rep listed twice stays twice)."""
        rep_id = state.id
        copies = _drop(self._eligible_ids, self.eligible, rep_id)
        copies += _drop(self._excluded_ids, self.excluded, rep_id)
        why = exclusion_reason(state, now=now, required_skills=self.skills)
        if why is None:
            _insert(self._eligible_ids, self.eligible, rep_id, state, copies)
        else:
            _insert(
                self._excluded_ids,
                self.excluded,
                rep_id,
                Exclusion(rep_id, state.rep.name, why),
                copies,
            )
        self._frozen = None


def _drop(ids: list[int], items: list[Any], rep_id: int) -> int:
    at = bisect_left(ids, rep_id)
    end = at
    while end < len(ids) and ids[end] == rep_id:
        end += 1
    del ids[at:end], items[at:end]
    return end - at


def _insert(ids: list[int], items: list[Any], rep_id: int, item: object, copies: int) -> None:
    at = bisect_left(ids, rep_id)
    ids[at:at] = [rep_id] * copies
    items[at:at] = [item] * copies


class _BatchRouter:
    def __init__(
        self,
        customers: Sequence[Customer],
        ctx: RoutingContext,
        *,
        now: datetime,
        rng: Random,
        columns: TableColumns | None = None,
    ) -> None:
        self.customers, self.ctx, self.now, self.rng = customers, ctx, now, rng
        self.rules = ctx.rules
        self.reps: dict[int, RepState] = dict(ctx.reps)
        self.states: dict[int, Mapping[str, Any]] = dict(ctx.states)
        if columns is not None and columns.size != len(customers):
            raise ValueError(f"{columns.size} table rows for {len(customers)} customers")
        self.scanner = Scanner(customers if columns is None else columns, ctx.rules, now=now)
        self._solo_ctx: dict[int, RoutingContext] = {}
        self._fixed: dict[int, Match] = {}  # pool / queue targets: the same every time
        self._dead: dict[int, Match] = {}  # rules whose target has nobody eligible left
        self._targets: dict[tuple[object, ...], _Eligible] = {}
        self._by_rep: dict[int, list[_Eligible]] = {}
        self._after: dict[int, dict[int, int]] = {}  # per block: rule -> row -> next match
        self._block_end = 0

    def decisions(self) -> Iterator[Decision]:
        size = len(self.customers)
        for start in range(0, size, BLOCK):
            self._block_end = min(size, start + BLOCK)
            rows = np.arange(start, self._block_end, dtype=np.intp)
            first = self.scanner.first_match(rows).tolist()
            self._after = {}
            for row, position in enumerate(first, start=start):
                yield self._route(row, position)

    def _route(self, row: int, position: int) -> Decision:
        customer = self.customers[row]
        trace: list[RuleTrace] = []
        exclusions: list[Exclusion] = []
        while position != NO_RULE:
            found = self._found(position, customer)
            trace += found.trace
            skipped = position + 1 - len(trace)
            if found.final is None:
                assert found.rule is not None
                exclusions += found.exclusions
                ready = Match(
                    tuple(trace),
                    rules_skipped=skipped,
                    rule=found.rule,
                    eligible=found.eligible,
                    exclusions=tuple(exclusions),
                )
                state = self.states.get(found.rule.id, {})
                decision = decide(
                    ready, customer=customer, state=state, rng=self.rng, affinity=self.ctx.affinity
                )
                self._assigned(decision, customer)
                return decision
            exclusions += found.final.exclusions
            if found.final.rule_id is not None:  # the rule's own outcome: pool, queue
                return replace(
                    found.final,
                    trace=tuple(trace),
                    exclusions=tuple(exclusions),
                    rules_skipped=skipped,
                )
            position = self._next_match(row, position)  # fallback: the next rule
        nowhere = match(customer, RoutingContext(rules=(), reps={}), now=self.now).final
        assert nowhere is not None
        skipped = len(self.rules) - len(trace)
        return replace(
            nowhere, trace=tuple(trace), exclusions=tuple(exclusions), rules_skipped=skipped
        )

    def _next_match(self, row: int, position: int) -> int:
        """The first rule after ``position`` matching ``row``; worked out at once for every
        later customer of the block that the rule at ``position`` matches."""
        table = self._after.get(position)
        if table is None:
            rows = np.arange(row, self._block_end, dtype=np.intp)
            admits = self.scanner.admits(position)
            if admits is not None:
                rows = admits.among(rows)
            rows = rows[self.scanner.rule_matches(position, rows)]
            after = self.scanner.first_match(rows, position + 1)
            table = self._after[position] = dict(zip(rows.tolist(), after.tolist(), strict=True))
        return table[row]

    def _solo(self, position: int, customer: Customer) -> Match:
        """``router.match`` on this rule alone, conditions taken as met: its target,
        eligibility and fallback exactly as ``route`` judges them with the current reps."""
        ctx = self._solo_ctx.get(position)
        if ctx is None:
            rule = self.rules[position].rule
            ctx = self._solo_ctx[position] = RoutingContext(
                rules=(CompiledRule(rule, _ALWAYS),),
                reps=self.reps,  # the live mapping: updated as reps receive customers
                sub_teams=self.ctx.sub_teams,
                accounts=self.ctx.accounts,
            )
        return match(customer, ctx, now=self.now)

    def _found(self, position: int, customer: Customer) -> Match:
        rule = self.rules[position].rule
        kind = rule.target.kind
        if kind in _FINAL_KINDS:
            if position not in self._fixed:
                self._fixed[position] = self._solo(position, customer)
            return self._fixed[position]
        if kind is TargetKind.account_owner:  # the target depends on the customer
            return self._solo(position, customer)
        target = self._target(position, customer)
        if target.eligible:
            eligible, excluded = target.frozen()
            matched = (RuleTrace(rule.id, rule.name, "matched"),)
            return Match(matched, rule=rule, eligible=eligible, exclusions=excluded)
        found = self._dead.get(position) or self._solo(position, customer)
        if found.final is not None:
            self._dead[position] = found
        return found

    def _target(self, position: int, customer: Customer) -> _Eligible:
        rule = self.rules[position].rule
        key = (rule.target, rule.required_skills)
        target = self._targets.get(key)
        if target is None:
            target = self._targets[key] = _Eligible(self._solo(position, customer), key[1])
            for rep_id in target.members:
                self._by_rep.setdefault(rep_id, []).append(target)
        return target

    def _assigned(self, decision: Decision, customer: Customer) -> None:
        assert decision.rep_id is not None and decision.rule_id is not None
        state = self.reps[decision.rep_id] = received(
            self.reps[decision.rep_id], customer, now=self.now
        )
        self.states[decision.rule_id] = decision.state_after
        for target in self._by_rep.get(decision.rep_id, ()):
            target.refresh(state, self.now)
