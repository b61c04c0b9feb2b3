"""Tasks from warnings: with the admin's setting on, a reclaim warning (and an SLA breach)
also makes a task for the customer's owner, in their language, once per warning; off (the
default) it makes none."""

from __future__ import annotations

from random import Random

import pytest

from fenpei.domain.errors import PermissionDenied
from fenpei.domain.tasks import TaskFilter, TaskOrigin
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services import rules
from fenpei.services.pool.reclaim import reclaim
from fenpei.services.pool.terms import set_terms
from fenpei.services.rulebook import RuleBook
from fenpei.services.sla import policies
from fenpei.services.sla.check import check
from fenpei.services.tasks.origins import origin_settings, set_origin_settings
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import a_customer, a_rep, assigned

ADMIN = Actor("root", Role.admin)


def _switch(uow: FakeUnitOfWork, clock: FixedClock, origin: TaskOrigin, on: bool) -> None:
    in_transaction(uow, lambda: set_origin_settings(
        uow=uow, actor=ADMIN, settings={origin: on}, now=clock.now()))  # fmt: skip


def _tasks(uow: FakeUnitOfWork) -> list:  # type: ignore[type-arg]
    with uow:
        return uow.tasks.find(TaskFilter(), limit=20)


def _warn_soon(uow: FakeUnitOfWork, clock: FixedClock) -> tuple[int, int]:
    rep = a_rep(uow, clock, "Wang")
    customer = a_customer(uow, clock, "Acme")
    assigned(uow, clock, customer, rep)
    terms = {"reclaim_enabled": True, "no_follow_up_days": 10, "warn_days": 2}
    in_transaction(uow, lambda: set_terms(uow=uow, key="public", fields=terms, actor=ADMIN,
                                          now=clock.now()))  # fmt: skip
    clock.advance(days=8)
    return rep.id or 0, customer.id or 0


def test_tasks_from_warnings_are_off_by_default(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    with uow:
        assert origin_settings(uow) == {TaskOrigin.sla: False, TaskOrigin.reclaim: False}
    _warn_soon(uow, clock)
    assert reclaim(uow_factory=lambda: uow, now=clock.now()).warned == 1
    assert _tasks(uow) == []


def test_a_reclaim_warning_makes_one_task_for_the_owner(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    _switch(uow, clock, TaskOrigin.reclaim, True)
    rep_id, customer_id = _warn_soon(uow, clock)
    assert reclaim(uow_factory=lambda: uow, now=clock.now()).warned == 1
    clock.advance(hours=1)
    reclaim(uow_factory=lambda: uow, now=clock.now())
    (task,) = _tasks(uow)
    assert (task.origin, task.assignee_id, task.customer_id) == (
        TaskOrigin.reclaim, rep_id, customer_id)  # fmt: skip
    assert task.title == "跟进客户「Acme」，以免被收回公海" and task.due_at is not None


def test_an_sla_breach_makes_a_task_for_the_owner_when_switched_on(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    _switch(uow, clock, TaskOrigin.sla, True)
    rep = a_rep(uow, clock, "Wang")
    in_transaction(uow, lambda: rules.create_rule(uow=uow, fields={
        "name": "All to Wang", "target": {"kind": "reps", "rep_ids": [rep.id]}},
        actor=SYSTEM, now=clock.now()))  # fmt: skip
    first_call = {"name": "First call", "first_contact_minutes": 60}
    in_transaction(uow, lambda: policies.create_policy(
        uow=uow, fields=first_call, actor=SYSTEM, now=clock.now()))  # fmt: skip
    customer = a_customer(uow, clock, "Acme")
    assigned(uow, clock, customer, rep)
    clock.advance(days=3)
    report = check(uow_factory=lambda: uow, rulebook=RuleBook(), now=clock.now(), rng=Random(1))
    assert report.breached == 1
    (task,) = _tasks(uow)
    assert (task.origin, task.assignee_id) == (TaskOrigin.sla, rep.id)
    assert task.origin_ref is not None and task.origin_ref.startswith("sla_clock:")


def test_only_an_admin_switches_tasks_from_warnings(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    with uow, pytest.raises(PermissionDenied):
        set_origin_settings(uow=uow, actor=Actor("boss", Role.manager),
                            settings={TaskOrigin.sla: True}, now=clock.now())  # fmt: skip
