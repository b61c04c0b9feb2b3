"""A simulated month with a 20% holdout: customers arrive and are routed through the
services (fakes), outcomes are drawn from a known truth in which the smart arm converts
better, and the holdout report's difference and interval cover the true difference.

The truth: Alice wins half of what she gets, Bob and Carol a tenth. The rule's own
strategy is weighted round robin giving Alice 8 of every 10 customers (smart arm:
(8·0.5 + 0.1 + 0.1) / 10 = 0.42); its baseline is round robin (holdout arm: 0.7 / 3).
Over many seeds the engine alone (same rule, same strategies, same RNG use) checks the
interval's coverage; one month runs through the services and the report end to end.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from random import Random
from typing import Any

import pytest

from fenpei.domain.customers import Customer, Stage
from fenpei.domain.errors import PermissionDenied
from fenpei.domain.scoring import Arm
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.engine.model import Holdout
from fenpei.engine.router import route
from fenpei.services.customers import update_customer
from fenpei.services.holdout.report import holdout_report
from fenpei.services.holdout.stats import newcombe
from fenpei.services.intake import create_and_route
from fenpei.services.rulebook import RuleBook
from fenpei.services.rules import create_rule
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import a_rep
from tests.unit.test_router import NOW, context, rep, reps_target, rule

WIN = {1: 0.5, 2: 0.1, 3: 0.1}  # rep id -> the chance they win a customer (hidden truth)
WEIGHTS = {1: 8, 2: 1, 3: 1}
TRUE_SMART = sum(WEIGHTS[r] * WIN[r] for r in WIN) / sum(WEIGHTS.values())
TRUE_HOLDOUT = sum(WIN.values()) / len(WIN)
TRUE_DIFFERENCE = TRUE_SMART - TRUE_HOLDOUT  # 0.42 - 0.2333 = 0.1867
# Through the services the fakes copy the store at every savepoint: a small month there.
DAYS, PER_DAY = 30, 3
STILL_OPEN = 0.1  # the share of the month's customers not closed yet


def _closes(rng: Random, rep_id: int) -> Stage | None:
    if rng.random() < STILL_OPEN:
        return None
    return Stage.won if rng.random() < WIN[rep_id] else Stage.lost


def test_the_interval_covers_the_true_difference_about_95_percent_of_months() -> None:
    reps = [rep(i, name, weight=WEIGHTS[i]) for i, name in ((1, "Alice"), (2, "Bob"), (3, "Carol"))]
    smart = rule(1, "Smart", target=reps_target(1, 2, 3), strategy="weighted_round_robin",
                 holdout=Holdout(share=0.2, strategy="round_robin"))  # fmt: skip
    lead = Customer(name="Lead")
    months, covered, significant = 200, 0, 0
    for seed in range(months):
        rng, state = Random(seed), {}
        counts = {arm: [0, 0] for arm in Arm}  # won, closed
        for _ in range(300):
            decision = route(lead, context([smart], reps, states={1: state}), now=NOW, rng=rng)
            state = decision.state_after
            assert decision.rep_id is not None and decision.arm is not None
            outcome = _closes(rng, decision.rep_id)
            if outcome is not None:
                counts[Arm(decision.arm)][0] += outcome is Stage.won
                counts[Arm(decision.arm)][1] += 1
        found = newcombe(*counts[Arm.smart], *counts[Arm.holdout])
        assert found is not None
        covered += found.interval.covers(TRUE_DIFFERENCE)
        significant += found.significant

    # 200 months: coverage's standard error is 1.5 points.
    assert 0.91 <= covered / months <= 0.99
    assert significant / months > 0.6  # ~60 held out a month: the lift shows most months


@pytest.fixture
def month(uow: FakeUnitOfWork, clock: FixedClock) -> dict[str, Any]:
    """A month of arrivals routed through the services, closed from the truth."""
    return _simulate(uow, clock, DAYS, PER_DAY)


@pytest.fixture
def week(uow: FakeUnitOfWork, clock: FixedClock) -> dict[str, Any]:
    return _simulate(uow, clock, 7, 2)


def _simulate(uow: FakeUnitOfWork, clock: FixedClock, days: int, per_day: int) -> dict[str, Any]:
    ids = {}
    for name, weight in (("Alice", 8), ("Bob", 1), ("Carol", 1)):
        ids[a_rep(uow, clock, name, weight=weight).id] = name
    alice, bob, carol = ids
    truth = {alice: WIN[1], bob: WIN[2], carol: WIN[3]}
    body = {
        "name": "Smart",
        "target": {"kind": "reps", "rep_ids": [alice, bob, carol]},
        "strategy": "weighted_round_robin",
        "holdout": {"share": 0.2, "strategy": "round_robin"},
    }
    rule_id = in_transaction(
        uow, lambda: create_rule(uow=uow, fields=body, actor=SYSTEM, now=clock.now())
    ).id
    rulebook, rng, start = RuleBook(), Random(11), clock.now()
    made: dict[str, list[int]] = {"smart": [0, 0, 0], "holdout": [0, 0, 0]}  # in, won, lost
    closing: list[tuple[int, Stage]] = []

    def a_day(day: int) -> None:  # one transaction a day keeps the fakes quick
        for arrival in range(per_day):
            now = start + timedelta(days=day, minutes=arrival)
            fields = {"name": f"Lead {day}-{arrival}", "expected_value": "1000"}
            customer, _ = create_and_route(
                uow=uow, rulebook=rulebook, fields=fields, actor=SYSTEM, now=now, rng=rng
            )
            record = uow.assignments.for_customer(customer.id or 0)[-1]
            arm = str(record.arm)
            made[arm][0] += 1
            stage = _closes(rng, 1 if truth[record.to_rep_id or 0] == WIN[1] else 2)
            if stage is not None:
                made[arm][1 if stage is Stage.won else 2] += 1
                closing.append((customer.id or 0, stage))

    def close_all() -> None:
        for customer_id, stage in closing:
            update_customer(
                uow=uow, customer_id=customer_id, fields={"stage": stage.value}, actor=SYSTEM,
                now=start + timedelta(days=days + 1),
            )  # fmt: skip

    for day in range(days):
        in_transaction(uow, lambda day=day: a_day(day))
    in_transaction(uow, close_all)
    return {"rule_id": rule_id, "made": made, "start": start}


def test_a_month_through_the_services_reports_each_arm_as_it_happened(
    uow: FakeUnitOfWork, month: dict[str, Any]
) -> None:
    report = in_transaction(uow, lambda: holdout_report(uow=uow, actor=SYSTEM))

    (experiment,) = report.experiments
    made = month["made"]
    assert experiment.rule_id == month["rule_id"]
    assert (experiment.share, experiment.baseline) == (0.2, "round_robin")
    for arm, result in (("smart", experiment.smart), ("holdout", experiment.holdout)):
        customers, won, lost = made[arm]
        assert (result.customers, result.won, result.lost) == (customers, won, lost)
        assert result.open == customers - won - lost
        assert result.won_value == Decimal(1000) * won
    assert 0.1 < experiment.holdout.customers / (DAYS * PER_DAY) < 0.3
    found = experiment.difference
    assert found is not None
    assert found.interval.covers(TRUE_DIFFERENCE)
    assert found.estimate == pytest.approx(
        made["smart"][1] / sum(made["smart"][1:]) - made["holdout"][1] / sum(made["holdout"][1:])
    )


def test_a_period_keeps_only_the_customers_routed_in_it(
    uow: FakeUnitOfWork, week: dict[str, Any]
) -> None:
    first_days = (week["start"], week["start"] + timedelta(days=3))
    report = in_transaction(
        uow, lambda: holdout_report(uow=uow, actor=SYSTEM, since=first_days[0], until=first_days[1])
    )

    (experiment,) = report.experiments
    assert experiment.smart.customers + experiment.holdout.customers == 3 * 2


def test_a_rep_may_not_read_the_report_and_a_manager_sees_only_their_teams(
    uow: FakeUnitOfWork, week: dict[str, Any]
) -> None:
    with pytest.raises(PermissionDenied):
        in_transaction(uow, lambda: holdout_report(uow=uow, actor=Actor("r", role=Role.rep)))
    stranger = Actor("m", role=Role.manager, user_id=999)

    report = in_transaction(uow, lambda: holdout_report(uow=uow, actor=stranger))

    (experiment,) = report.experiments  # the rule runs a holdout: shown, with nothing in it
    assert experiment.smart.customers == experiment.holdout.customers == 0
    assert experiment.difference is None and not report.whole_company
