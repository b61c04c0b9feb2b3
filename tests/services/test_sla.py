"""First-contact SLAs: a clock for every new owner, due in the owner's business time
(weekends, holidays, 调休 Saturdays, lunch, time zones), reminded, breached, escalated
and reassigned by the job once each; met by a follow-up; paused and resumed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from random import Random
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from fenpei.domain.errors import Conflict, PermissionDenied, ValidationFailed
from fenpei.domain.sla import ClockState, SlaClock, SlaPolicy, pick_policy
from fenpei.domain.tasks import TaskFilter, TaskOrigin
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services import org, rules, users
from fenpei.services.assignments import assign
from fenpei.services.categories import ensure_default_categories
from fenpei.services.customers import update_customer
from fenpei.services.follow_ups.records import record_follow_up
from fenpei.services.follow_ups.stages import change_stage
from fenpei.services.intake import create_and_route
from fenpei.services.pool.claims import return_to_pool
from fenpei.services.rulebook import RuleBook
from fenpei.services.sla import calendars, clocks, policies
from fenpei.services.sla.check import check
from fenpei.services.tasks.origins import set_origin_settings
from tests.fakes import FakeHasher, FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import a_customer, bad_fields, refused

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
ADMIN = Actor("root", Role.admin)
MANAGER = Actor("boss", Role.manager)
NY_HOURS = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def sh(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SHANGHAI)  # type: ignore[misc]


@dataclass
class World:
    uow: FakeUnitOfWork
    clock: FixedClock
    wang: int
    zhao: int
    ivy: int
    manager_user: int
    rule: int


@pytest.fixture
def world() -> World:
    uow = FakeUnitOfWork()
    clock = FixedClock(sh(2026, 12, 1, 9, 0))  # a Tuesday in Shanghai
    now = clock.now()
    with uow:
        ensure_default_categories(uow=uow, actor=SYSTEM, now=now)
        boss = users.create_user(
            uow=uow,
            hasher=FakeHasher(),
            username="boss",
            password="long enough password",
            role=Role.manager,
            actor=SYSTEM,
            now=now,
        )
        team = org.create_team(uow=uow, name="East", actor=SYSTEM, now=now)
        team.manager_user_id = boss.id

        def rep(name: str, **fields: object) -> int:
            made = org.create_rep(
                uow=uow, fields={"name": name, "team_id": team.id, **fields}, actor=SYSTEM, now=now
            )
            return made.id or 0

        wang, zhao = rep("Wang"), rep("Zhao")
        ivy = rep("Ivy", time_zone="America/New_York", working_hours=NY_HOURS)
        rule = rules.create_rule(
            uow=uow,
            fields={"name": "East reps", "target": {"kind": "reps", "rep_ids": [wang, zhao]}},
            actor=SYSTEM,
            now=now,
        )
        uow.commit()
    return World(uow, clock, wang, zhao, ivy, boss.id or 0, rule.id or 0)


def a_policy(w: World, **fields: Any) -> SlaPolicy:
    wanted = {"name": "First call", "first_contact_minutes": 120, **fields}
    return in_transaction(
        w.uow,
        lambda: policies.create_policy(uow=w.uow, fields=wanted, actor=ADMIN, now=w.clock.now()),
    )


def give(w: World, rep_id: int, name: str = "Li Lei", **fields: object) -> int:
    customer = a_customer(w.uow, w.clock, name, **fields)
    customer_id = customer.id or 0
    in_transaction(
        w.uow,
        lambda: assign(
            uow=w.uow, customer_id=customer_id, rep_id=rep_id, actor=SYSTEM, now=w.clock.now()
        ),
    )
    return customer_id


def routed(w: World, name: str = "Routed") -> int:
    customer, _ = in_transaction(
        w.uow,
        lambda: create_and_route(
            uow=w.uow,
            rulebook=RuleBook(),
            fields={"name": name},
            actor=SYSTEM,
            now=w.clock.now(),
            rng=Random(1),
        ),
    )
    return customer.id or 0


def the_clock(w: World, customer_id: int) -> SlaClock:
    with w.uow:
        return w.uow.sla.clocks_for(customer_id)[0]


def run_job(w: World) -> None:
    check(uow_factory=lambda: w.uow, rulebook=RuleBook(), now=w.clock.now(), rng=Random(1))


def reminders(w: World) -> list[tuple[str, list[int], list[int]]]:
    events = w.uow.dump()["outbox_events"].values()
    return [
        (e["payload"]["kind"], e["payload"]["rep_ids"], e["payload"]["user_ids"])
        for e in events
        if e["type"] == "customer.reminder"
    ]


def test_no_policy_no_clock(world: World) -> None:
    customer_id = give(world, world.wang)
    with world.uow:
        assert world.uow.sla.clocks_for(customer_id) == []


def test_friday_evening_assignment_is_due_on_monday_morning_after_the_weekend(
    world: World,
) -> None:
    a_policy(world)
    world.clock.at = sh(2026, 12, 4, 17, 0)
    clock = the_clock(world, give(world, world.wang))
    assert clock.due_at == sh(2026, 12, 7, 10, 0)
    assert (clock.state, clock.started_at) == (ClockState.open, world.clock.now())


def test_lunch_break_is_not_counted(world: World) -> None:
    a_policy(world, first_contact_minutes=60)
    world.clock.at = sh(2026, 12, 1, 11, 30)
    assert the_clock(world, give(world, world.wang)).due_at == sh(2026, 12, 1, 13, 30)


def test_national_day_holidays_are_skipped_and_the_make_up_saturday_is_worked(
    world: World,
) -> None:
    a_policy(world)
    world.clock.at = sh(2026, 9, 30, 17, 0)  # the eve of National Day 2026 (Oct 1-7 off)
    assert the_clock(world, give(world, world.wang, "Holiday")).due_at == sh(2026, 10, 8, 10, 0)
    world.clock.at = sh(2026, 10, 9, 17, 0)  # Friday; Saturday Oct 10 is a 调休 workday
    assert the_clock(world, give(world, world.zhao, "Makeup")).due_at == sh(2026, 10, 10, 10, 0)


def test_a_policy_on_calendar_none_counts_working_hours_only(world: World) -> None:
    a_policy(world, calendar="none")
    world.clock.at = sh(2026, 9, 30, 17, 0)
    assert the_clock(world, give(world, world.wang)).due_at == sh(2026, 10, 1, 10, 0)


def test_each_owner_counts_in_their_own_time_zone(world: World) -> None:
    a_policy(world, first_contact_minutes=60)
    world.clock.at = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)  # 22:00 Shanghai, 09:00 NY
    shanghai = the_clock(world, give(world, world.wang, "To Wang"))
    new_york = the_clock(world, give(world, world.ivy, "To Ivy"))
    assert shanghai.due_at == sh(2026, 12, 2, 10, 0)
    assert new_york.due_at == datetime(2026, 12, 1, 10, 0, tzinfo=NEW_YORK)


def test_the_admins_list_overrides_the_package_for_its_year(world: World) -> None:
    a_policy(world)
    in_transaction(
        world.uow,
        lambda: calendars.import_year(
            uow=world.uow,
            actor=ADMIN,
            year=2026,
            text="date,kind,name\n2026-12-02,holiday,Company day\n2026-12-05,workday,Stocktake\n",
        ),
    )
    world.clock.at = sh(2026, 12, 1, 17, 0)
    assert the_clock(world, give(world, world.wang, "A")).due_at == sh(2026, 12, 3, 10, 0)
    world.clock.at = sh(2026, 12, 4, 17, 0)
    assert the_clock(world, give(world, world.wang, "B")).due_at == sh(2026, 12, 5, 10, 0)
    with world.uow:
        days = calendars.year_days(uow=world.uow, year=2026)
    national = [d for d in days if d.name == "National Day"]
    assert {d.source for d in national} == {"official"} and len(national) == 9
    assert [(d.day.day, d.source) for d in days if d.day.month == 12] == [
        (2, "imported"),
        (5, "imported"),
    ]


def test_an_import_with_a_bad_row_changes_nothing_and_names_each_row(world: World) -> None:
    text = "2027-01-01,holiday,New Year\n2026-02-01,holiday,Wrong year\nnot a date,holiday,x\n"
    error = refused(
        world.uow,
        ValidationFailed,
        lambda: calendars.import_year(uow=world.uow, actor=ADMIN, year=2027, text=text),
    )
    assert bad_fields(error) == {"row 2", "row 3"}
    assert refused(
        world.uow,
        PermissionDenied,
        lambda: calendars.import_year(uow=world.uow, actor=MANAGER, year=2027, text=text),
    )


def test_remind_breach_escalate_reassign_happen_once_each(world: World) -> None:
    a_policy(world, remind_before_minutes=30, notify_manager=True, reassign_after_minutes=60)
    customer_id = routed(world)  # the rule gives it to Wang (the first of its reps)
    first = the_clock(world, customer_id)
    assert (first.rep_id, first.due_at) == (world.wang, sh(2026, 12, 1, 11, 0))

    world.clock.at = sh(2026, 12, 1, 10, 29)
    run_job(world)
    assert reminders(world) == []
    world.clock.at = sh(2026, 12, 1, 10, 30)
    run_job(world)
    run_job(world)
    assert reminders(world) == [("sla_due_soon", [world.wang], [])]

    world.clock.at = sh(2026, 12, 1, 11, 0)
    run_job(world)
    run_job(world)
    assert reminders(world)[1:] == [
        ("sla_breached", [world.wang], []),
        ("sla_escalated", [], [world.manager_user]),
    ]
    breached = the_clock(world, customer_id)
    assert breached.state is ClockState.breached and breached.breached_at == world.clock.now()

    # reassigned 60 business minutes after the breach: 11:00-12:00, lunch does not count
    world.clock.at = sh(2026, 12, 1, 11, 59)
    run_job(world)
    with world.uow:
        assert world.uow.customers.get(customer_id).owner_id == world.wang  # type: ignore[union-attr]
    world.clock.at = sh(2026, 12, 1, 13, 0)
    run_job(world)
    run_job(world)
    with world.uow:
        customer = world.uow.customers.get(customer_id)
        assert customer is not None and customer.owner_id == world.zhao
        old, new = (
            world.uow.sla.clocks_for(customer_id)[1],
            world.uow.sla.clocks_for(customer_id)[0],
        )
        assert old.reassigned_at == world.clock.now() and old.state is ClockState.breached
        assert (new.rep_id, new.state, new.due_at) == (
            world.zhao,
            ClockState.open,
            sh(2026, 12, 1, 15, 0),
        )
        assert len(world.uow.assignments.for_customer(customer_id)) == 2
    assert len(reminders(world)) == 3


def test_a_won_or_lost_customer_s_clock_stops_and_a_breached_one_is_not_taken_from_its_rep(
    world: World,
) -> None:
    """Closing is not contact: a clock still running stops (cancelled, not met); one the
    rep missed stays missed, but the customer they won is not re-routed away from them;
    and a closed customer handed on starts no clock."""
    a_policy(world, notify_manager=True, reassign_after_minutes=60)
    wang = Actor("wang", Role.rep, rep_id=world.wang)
    missed = routed(world, "Missed then won")  # Wang's, due 11:00
    dropped = give(world, world.wang, "Dropped")
    world.clock.at = sh(2026, 12, 1, 9, 30)
    in_transaction(world.uow, lambda: update_customer(
        uow=world.uow, customer_id=dropped, fields={"stage": "lost"}, actor=ADMIN,
        now=world.clock.now(),
    ))  # fmt: skip
    stopped = the_clock(world, dropped)
    assert (stopped.state, stopped.cancelled_at) == (ClockState.cancelled, world.clock.now())

    world.clock.at = sh(2026, 12, 1, 11, 0)
    run_job(world)
    assert [kind for kind, _, _ in reminders(world)] == ["sla_breached", "sla_escalated"]
    world.clock.at = sh(2026, 12, 1, 11, 30)
    in_transaction(world.uow, lambda: change_stage(
        uow=world.uow, customer_id=missed, to="won", reason=None, actor=wang,
        now=world.clock.now(),
    ))  # fmt: skip
    world.clock.at = sh(2026, 12, 1, 14, 0)  # long past the reassignment time (13:00)
    run_job(world)
    with world.uow:
        assert world.uow.customers.get(missed).owner_id == world.wang  # type: ignore[union-attr]
        assert len(world.uow.assignments.for_customer(missed)) == 1
    assert the_clock(world, missed).state is ClockState.breached

    in_transaction(world.uow, lambda: assign(
        uow=world.uow, customer_id=missed, rep_id=world.zhao, actor=SYSTEM, now=world.clock.now(),
        reason="Wang moves to key accounts",
    ))  # fmt: skip
    with world.uow:
        assert world.uow.sla.open_clock(missed) is None
        assert len(world.uow.sla.clocks_for(missed)) == 1
    assert len(reminders(world)) == 2


def test_closing_a_customer_after_its_clock_ran_out_still_records_the_miss(
    world: World,
) -> None:
    """Due at 11:00, lost at 11:00 sharp, before the job's next run: the job breaches it
    and tells the manager, but asks for no contact task and moves nobody."""
    in_transaction(world.uow, lambda: set_origin_settings(
        uow=world.uow, actor=ADMIN, settings={TaskOrigin.sla: True}, now=world.clock.now(),
    ))  # fmt: skip
    a_policy(world, notify_manager=True, reassign_after_minutes=60)
    customer_id = give(world, world.wang, "Lost late")  # Tue 09:00, due 11:00
    kept_open = give(world, world.wang, "Qualified")
    world.clock.at = sh(2026, 12, 1, 10, 0)
    in_transaction(world.uow, lambda: change_stage(
        uow=world.uow, customer_id=kept_open, to="qualified", reason=None,
        actor=Actor("wang", Role.rep, rep_id=world.wang), now=world.clock.now(),
    ))  # fmt: skip
    assert the_clock(world, kept_open).state is ClockState.open  # still open: still due
    world.clock.at = sh(2026, 12, 1, 11, 0)
    in_transaction(world.uow, lambda: change_stage(
        uow=world.uow, customer_id=customer_id, to="lost", reason="预算取消",
        actor=Actor("wang", Role.rep, rep_id=world.wang), now=world.clock.now(),
    ))  # fmt: skip
    assert the_clock(world, customer_id).state is ClockState.open  # the miss is the job's

    world.clock.at = sh(2026, 12, 1, 11, 5)
    run_job(world)
    world.clock.at = sh(2026, 12, 1, 14, 0)
    run_job(world)

    assert the_clock(world, customer_id).state is ClockState.breached
    assert [kind for kind, _, _ in reminders(world)] == ["sla_breached", "sla_escalated"] * 2
    with world.uow:  # the contact task is the open customer's only
        assert [t.customer_id for t in world.uow.tasks.find(TaskFilter())] == [kept_open]
        assert world.uow.customers.get(customer_id).owner_id == world.wang  # type: ignore[union-attr]


def log_call(world: World, customer_id: int, *, at: datetime, recorded: datetime) -> None:
    """The owner records, at ``recorded``, a call made at ``at``."""
    with world.uow:
        customer = world.uow.customers.get(customer_id)
        assert customer is not None and customer.owner_id is not None
        owner = Actor("rep", Role.rep, rep_id=customer.owner_id)
    world.clock.at = recorded
    in_transaction(
        world.uow,
        lambda: record_follow_up(
            uow=world.uow, customer_id=customer_id, actor=owner, kind="phone", at=at,
            content="通话", now=recorded,
        ),
    )  # fmt: skip


def test_contact_in_time_meets_the_clock_and_nothing_fires(world: World) -> None:
    """Met when the contact came (09:45), though the job only ran the next evening."""
    a_policy(world, remind_before_minutes=30, notify_manager=True, reassign_after_minutes=60)
    customer_id = give(world, world.wang)  # Tue 09:00, due 11:00
    log_call(world, customer_id, at=sh(2026, 12, 1, 9, 45), recorded=sh(2026, 12, 1, 9, 50))
    world.clock.at = sh(2026, 12, 2, 18, 0)
    run_job(world)
    clock = the_clock(world, customer_id)
    assert (clock.state, clock.met_at) == (ClockState.met, sh(2026, 12, 1, 9, 45))
    assert reminders(world) == []


def test_a_contact_after_the_due_time_is_late_though_the_job_had_not_run(world: World) -> None:
    a_policy(world)
    customer_id = give(world, world.wang)  # Tue 09:00, due 11:00
    log_call(world, customer_id, at=sh(2026, 12, 1, 11, 20), recorded=sh(2026, 12, 1, 11, 20))
    world.clock.at = sh(2026, 12, 1, 11, 30)
    run_job(world)
    run_job(world)
    clock = the_clock(world, customer_id)
    assert (clock.state, clock.met_at) == (ClockState.breached, sh(2026, 12, 1, 11, 20))


def test_a_call_typed_in_after_the_due_time_with_an_earlier_time_is_late(world: World) -> None:
    a_policy(world)
    customer_id = give(world, world.wang)  # Tue 09:00, due 11:00
    log_call(world, customer_id, at=sh(2026, 12, 1, 10, 30), recorded=sh(2026, 12, 1, 11, 40))
    world.clock.at = sh(2026, 12, 1, 11, 45)
    run_job(world)
    assert the_clock(world, customer_id).state is ClockState.breached


def test_a_paused_clock_does_not_count_the_paused_business_time(world: World) -> None:
    manager = Actor("boss", Role.manager, user_id=world.manager_user)
    a_policy(world)
    customer_id = give(world, world.wang)  # Tue 09:00, due 11:00
    world.clock.at = sh(2026, 12, 1, 10, 0)
    in_transaction(
        world.uow,
        lambda: clocks.pause(
            uow=world.uow, customer_id=customer_id, actor=manager, now=world.clock.now()
        ),
    )
    world.clock.at = sh(2026, 12, 2, 12, 0)  # long past the due time: paused, no breach
    run_job(world)
    assert the_clock(world, customer_id).state is ClockState.open
    world.clock.at = sh(2026, 12, 3, 10, 0)
    clock = in_transaction(
        world.uow,
        lambda: clocks.resume(
            uow=world.uow, customer_id=customer_id, actor=manager, now=world.clock.now()
        ),
    )
    assert clock.due_at == sh(2026, 12, 3, 11, 0)  # the hour left when paused
    assert clock.paused_minutes == 8 * 60 + 8 * 60  # Tue 10:00-18:00 and Wed 09:00-18:00 less lunch
    assert clock.paused_at is None
    assert refused(
        world.uow,
        PermissionDenied,
        lambda: clocks.pause(
            uow=world.uow,
            customer_id=customer_id,
            actor=Actor("wang", Role.rep, rep_id=world.wang),
            now=world.clock.now(),
        ),
    )
    assert refused(
        world.uow,
        Conflict,
        lambda: clocks.resume(
            uow=world.uow, customer_id=customer_id, actor=manager, now=world.clock.now()
        ),
    )


def test_a_transfer_cancels_the_old_clock_and_starts_the_new_owners(world: World) -> None:
    a_policy(world)
    customer_id = give(world, world.wang)
    world.clock.advance(minutes=30)
    in_transaction(
        world.uow,
        lambda: assign(
            uow=world.uow,
            customer_id=customer_id,
            rep_id=world.zhao,
            actor=SYSTEM,
            now=world.clock.now(),
            reason="Wang is ill",
        ),
    )
    with world.uow:
        new, old = world.uow.sla.clocks_for(customer_id)
    assert (old.state, old.cancelled_at) == (ClockState.cancelled, world.clock.now())
    assert (new.rep_id, new.state) == (world.zhao, ClockState.open)


def test_a_return_to_the_pool_cancels_the_clock(world: World) -> None:
    a_policy(world)
    customer_id = give(world, world.wang)
    in_transaction(
        world.uow,
        lambda: return_to_pool(
            uow=world.uow,
            customer_id=customer_id,
            reason="unreachable",
            actor=Actor("wang", Role.rep, rep_id=world.wang),
            now=world.clock.now(),
        ),
    )
    assert the_clock(world, customer_id).state is ClockState.cancelled


def test_the_policy_is_chosen_by_rule_then_level_then_catch_all(world: World) -> None:
    catch_all = a_policy(world, name="Anyone", first_contact_minutes=240)
    by_level = a_policy(world, name="A level", level="A", first_contact_minutes=60)
    by_rule = a_policy(world, name="By rule", rule_id=world.rule, first_contact_minutes=30)
    found = [catch_all, by_level, by_rule]
    assert pick_policy(found, rule_id=world.rule, level="A") is by_rule
    assert pick_policy(found, rule_id=None, level="A") is by_level
    assert pick_policy(found, rule_id=None, level="B") is catch_all
    by_level.active = False
    assert pick_policy(found, rule_id=None, level="A") is catch_all
    assert the_clock(world, routed(world)).due_at == sh(2026, 12, 1, 9, 30)


def test_bad_policy_fields_are_each_named_and_nothing_is_written(world: World) -> None:
    error = refused(
        world.uow,
        ValidationFailed,
        lambda: policies.create_policy(
            uow=world.uow,
            fields={
                "name": " ",
                "first_contact_minutes": 0,
                "remind_before_minutes": -1,
                "rule_id": 999,
                "calendar": "moon",
                "active": "yes",
                "colour": 1,
            },
            actor=ADMIN,
            now=world.clock.now(),
        ),
    )
    assert bad_fields(error) == {
        "name",
        "first_contact_minutes",
        "remind_before_minutes",
        "rule_id",
        "calendar",
        "active",
        "colour",
    }
    policy = a_policy(world, remind_before_minutes=30)
    error = refused(
        world.uow,
        ValidationFailed,
        lambda: policies.update_policy(
            uow=world.uow,
            policy_id=policy.id or 0,
            fields={"first_contact_minutes": 30},
            actor=ADMIN,
            now=world.clock.now(),
        ),
    )
    assert bad_fields(error) == {"remind_before_minutes"}
    refused(
        world.uow,
        PermissionDenied,
        lambda: policies.create_policy(
            uow=world.uow,
            fields={"name": "x", "first_contact_minutes": 5},
            actor=MANAGER,
            now=world.clock.now(),
        ),
    )


def test_the_view_shows_business_minutes_left_and_overdue(world: World) -> None:
    a_policy(world)
    customer_id = give(world, world.wang)
    world.clock.at = sh(2026, 12, 1, 10, 15)
    with world.uow:
        shown = clocks.view(
            uow=world.uow, customer_id=customer_id, actor=ADMIN, now=world.clock.now()
        )
    assert shown is not None and shown.remaining_minutes == 45
    assert (shown.policy_name, shown.rep_name) == ("First call", "Wang")
    world.clock.at = sh(2026, 12, 1, 13, 30)
    with world.uow:
        shown = clocks.view(
            uow=world.uow, customer_id=customer_id, actor=ADMIN, now=world.clock.now()
        )
    assert shown is not None and shown.remaining_minutes == -90


def test_a_breach_nobody_else_can_take_stays_with_its_owner_and_is_not_tried_again(
    world: World,
) -> None:
    a_policy(world, reassign_after_minutes=0)
    with world.uow:
        rule = world.uow.rules.get(world.rule)
        assert rule is not None
        rule.target = {"kind": "reps", "rep_ids": [world.wang]}
        world.uow.commit()
    customer_id = routed(world)
    world.clock.at = sh(2026, 12, 1, 11, 0)
    report = check(uow_factory=lambda: world.uow, rulebook=RuleBook(), now=world.clock.now(),
                   rng=Random(1))  # fmt: skip
    again = check(uow_factory=lambda: world.uow, rulebook=RuleBook(), now=world.clock.now(),
                  rng=Random(1))  # fmt: skip
    assert (report.breached, report.reassigned, report.kept) == (1, 0, 1)
    assert (again.breached, again.kept) == (0, 0)
    with world.uow:
        customer = world.uow.customers.get(customer_id)
        assert customer is not None and customer.owner_id == world.wang
