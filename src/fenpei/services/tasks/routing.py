"""Who gets a new task: the task rules, through the same engine as customers.

Task rules are tried in priority order (``route``); their targets, strategies,
constraints, fallbacks and explanations are the customers' own, plus "the customer's
owner". When no task rule places the task, it goes to its customer's owner if that rep
may take it now, else it waits unassigned (the decision on ``task.decision`` says why).
A rule sending it to a pool or a team's fallback pool leaves it unassigned in that team's
queue. Capacity is checked again under the chosen rep's lock (``give_task``); a rep found
full is left out and the decision made again.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection
from dataclasses import replace
from datetime import datetime
from random import Random

from fenpei.domain.errors import CapacityExceeded
from fenpei.domain.rules import RoutingState
from fenpei.domain.tasks import Task
from fenpei.domain.users import Actor
from fenpei.engine.eligibility import exclusion_reason
from fenpei.engine.explain import explained_json
from fenpei.engine.items import TaskItem
from fenpei.engine.model import Candidate, Decision, Exclusion, Outcome
from fenpei.engine.router import AccountIndex, RoutingContext, decide, match
from fenpei.engine.strategies import get_strategy
from fenpei.services.ports import UnitOfWork
from fenpei.services.rulebook import RoutingConfig, RuleBook, accounts_for
from fenpei.services.tasks.capacity import task_states
from fenpei.services.tasks.records import give_task
from fenpei.services.tasks.task_rulebook import task_rulebook

MAX_ATTEMPTS = 5
TEAM_POOL = "team:"  # a team's fallback pool: the task waits in that team's queue


def route_task(
    *,
    uow: UnitOfWork,
    task: Task,
    actor: Actor,
    now: datetime,
    exclude_rep_ids: Collection[int] = (),
    rulebook: RuleBook | None = None,
    rng: Random | None = None,
) -> Task:
    """Give ``task`` to whoever the task rules (or, failing them, its customer's owner)
    say, never to one of ``exclude_rep_ids`` (an escalation reassigns away from the
    assignee), with the decision recorded; or leave it unassigned saying why."""
    book = rulebook or task_rulebook()
    chance = rng or Random(secrets.randbits(64))
    customer = uow.customers.get(task.customer_id) if task.customer_id is not None else None
    item = TaskItem(task, customer)
    left_out = set(exclude_rep_ids)
    decision: Decision | None = None
    for _ in range(MAX_ATTEMPTS):
        config = book.config(uow, now=now)
        decision, cursor = _decide(uow, config, item, left_out, now, chance, lock=True)
        if decision.outcome is not Outcome.assigned:
            _leave_unassigned(task, decision, now)
            return task
        assert decision.rep_id is not None
        attempt = uow.savepoint()
        try:
            give_task(uow=uow, task=task, rep_id=decision.rep_id, actor=actor, now=now,
                      method="rule", reason=_reason(decision),
                      decision=explained_json(decision))  # fmt: skip
        except CapacityExceeded:
            # Filled up since their load was read: undo (releasing their lock), leave
            # them out and decide again on fresh loads.
            attempt.rollback()
            left_out.add(decision.rep_id)
            continue
        attempt.release()
        if cursor is not None and decision.state_after:
            cursor.state, cursor.updated_at = decision.state_after, now
        return task
    assert decision is not None
    gave_up = Decision(
        outcome=Outcome.queued,
        reason="reps kept filling up while routing; left unassigned",
        reason_code="task_reps_filling",
        trace=decision.trace,
    )
    _leave_unassigned(task, gave_up, now)
    return task


def _decide(
    uow: UnitOfWork,
    config: RoutingConfig,
    item: TaskItem,
    left_out: Collection[int],
    now: datetime,
    rng: Random,
    *,
    lock: bool,
) -> tuple[Decision, RoutingState | None]:
    """The engine's decision for the task on fresh task loads, the customer's owner as
    the fallback when no task rule placed it; and the deciding rule's strategy state,
    locked (as routing a customer locks it: concurrent routers of one rule take turns)."""
    reps = {rep_id: s for rep_id, s in config.reps.items() if rep_id not in left_out}
    states = task_states(uow, reps, item.task)
    customer = item.customer
    ctx = RoutingContext(
        rules=config.rules,
        reps=states,
        sub_teams=config.sub_teams,
        accounts=accounts_for(uow, customer)
        if config.looks_up_accounts and customer is not None
        else AccountIndex(),
        # Every task rule is tried (no index): task rule books are short, and the decision
        # then explains each rule passed over by the field that failed.
        selector=None,
    )
    found = match(item, ctx, now=now)
    if found.rule is None:
        decision = decide(found, customer=item, state={}, rng=rng)
        if decision.reason_code == "no_rule":
            return _to_owner(item, ctx, decision, now), None
        return decision, None
    rule = found.rule
    if not lock:  # a dry run: the cursor is read, never locked nor moved
        state = uow.rules.states().get(rule.id, {})
        return decide(found, customer=item, state=state, rng=rng), None
    cursor = uow.rules.lock_state(rule.id)
    if get_strategy(rule.strategy).weighs_load:
        # Loads read before the rule's lock may be stale: read them again under it, so
        # concurrent routers balance as one-at-a-time ones would.
        again = match(item, replace(ctx, reps=task_states(uow, reps, item.task)), now=now)
        if again.rule is not None and again.rule.id == rule.id:
            found = again
    state = cursor.state if cursor is not None else {}
    return decide(found, customer=item, state=state, rng=rng), cursor


def preview_task_route(
    *,
    uow: UnitOfWork,
    task: Task,
    now: datetime,
    rng: Random,
    config: RoutingConfig | None = None,
) -> Decision:
    """Where ``task`` (saved or made up) would go, and why: the same decision
    ``route_task`` makes, writing nothing and moving no cursor. ``config``: the task rule
    book's, or one the rule tester made with a draft rule in it."""
    config = config or task_rulebook().config(uow, now=now)
    customer = uow.customers.get(task.customer_id) if task.customer_id is not None else None
    decision, _ = _decide(uow, config, TaskItem(task, customer), (), now, rng, lock=False)
    return decision


def _to_owner(item: TaskItem, ctx: RoutingContext, fell: Decision, now: datetime) -> Decision:
    """No task rule placed the task: its customer's owner takes it if they may now."""
    owner_id = item.owner_id
    if owner_id is None:
        return replace(
            fell,
            reason="no task rule placed it and it has no customer with an owner",
            reason_code="task_no_owner",
        )
    state = ctx.reps.get(owner_id)
    why = "left out (being reassigned away)" if state is None else exclusion_reason(state, now=now)
    if why is not None:
        name = state.rep.name if state is not None else str(owner_id)
        return replace(
            fell,
            reason=f"no task rule placed it; the customer's owner {name} cannot take it: {why}",
            reason_code="task_owner_excluded",
            reason_params={"rep": name, "why": why},
            exclusions=(*fell.exclusions, Exclusion(owner_id, name, why)),
        )
    assert state is not None
    return replace(
        fell,
        outcome=Outcome.assigned,
        rep_id=owner_id,
        reason="no task rule placed it; the customer's owner takes it",
        reason_code="customer_owner",
        candidates=(Candidate(owner_id, state.rep.name, 1.0),),
    )


def _reason(decision: Decision) -> str:
    return str(explained_json(decision)["text"])[:1000]


def _leave_unassigned(task: Task, decision: Decision, now: datetime) -> None:
    """Keep the task unassigned with the decision saying why; a team's pool puts it in
    that team's queue."""
    pool = decision.pool or ""
    if decision.outcome is Outcome.pool and pool.startswith(TEAM_POOL):
        team = pool.removeprefix(TEAM_POOL)
        if team.isdigit():
            task.team_id = int(team)
    task.decision = explained_json(decision)
    task.updated_at = now
