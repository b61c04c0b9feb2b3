"""Next-contact SLAs (下次联系时限): once the owner has made contact, each contact starts a
clock due the policy's next-contact minutes later in the owner's business time (weekends,
lunch, holidays skipped); the owner's next contact meets it and starts the one after; a
missed one is reminded, breached, escalated and reassigned once each, saying "next
contact"; a transfer, a pool, a won or lost customer stops it."""

from __future__ import annotations

from datetime import datetime

from fenpei.domain.errors import ValidationFailed
from fenpei.domain.events import EventType
from fenpei.domain.sla import MAX_MINUTES, ClockKind, ClockState, SlaClock
from fenpei.domain.tasks import TaskFilter, TaskOrigin
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services.assignments import assign
from fenpei.services.follow_ups.records import record_follow_up
from fenpei.services.follow_ups.stages import change_stage
from fenpei.services.notifications.messages import line
from fenpei.services.pool.claims import return_to_pool
from fenpei.services.sla import clocks, policies
from fenpei.services.tasks.origins import set_origin_settings
from tests.fakes import in_transaction
from tests.services._build import bad_fields, refused
from tests.services.test_sla import (
    ADMIN,
    World,
    a_policy,
    give,
    reminders,
    routed,
    run_job,
    sh,
    the_clock,
    world,
)

__all__ = ["world"]  # the fixture, used by name


def contact(w: World, customer_id: int, at: datetime, **fields: object) -> None:
    """The owner logs a call at ``at`` (the clock is set there too)."""
    w.clock.at = at
    with w.uow:
        customer = w.uow.customers.get(customer_id)
        assert customer is not None and customer.owner_id is not None
        owner = customer.owner_id
    actor = Actor("rep", Role.rep, rep_id=owner)
    in_transaction(
        w.uow,
        lambda: record_follow_up(
            uow=w.uow, customer_id=customer_id, actor=actor, kind="phone", at=at,
            content="谈了报价", now=at, **fields,  # type: ignore[arg-type]
        ),
    )  # fmt: skip


def job_at(w: World, at: datetime) -> None:
    w.clock.at = at
    run_job(w)


def all_clocks(w: World, customer_id: int) -> list[SlaClock]:
    """Oldest first."""
    with w.uow:
        return list(reversed(w.uow.sla.clocks_for(customer_id)))


def test_a_friday_1730_contact_with_a_60_minute_target_is_due_monday_0930(world: World) -> None:
    a_policy(world, first_contact_minutes=480, next_contact_minutes=60)
    world.clock.at = sh(2026, 12, 4, 9, 0)  # Friday, first contact due at 18:00
    customer_id = give(world, world.wang)
    contact(world, customer_id, sh(2026, 12, 4, 17, 30))
    job_at(world, sh(2026, 12, 4, 17, 35))
    first, after = all_clocks(world, customer_id)
    assert (first.kind, first.state, first.followed_at) == (
        ClockKind.first, ClockState.met, sh(2026, 12, 4, 17, 35),
    )  # fmt: skip
    assert (after.kind, after.state, after.rep_id) == (ClockKind.next, ClockState.open, world.wang)
    assert (after.started_at, after.due_at) == (sh(2026, 12, 4, 17, 30), sh(2026, 12, 7, 9, 30))
    job_at(world, sh(2026, 12, 4, 17, 40))  # a second run starts nothing more
    assert len(all_clocks(world, customer_id)) == 2


def test_lunch_and_a_holiday_are_not_counted(world: World) -> None:
    a_policy(world, next_contact_minutes=60)
    lunch = give(world, world.wang, "Lunch")
    contact(world, lunch, sh(2026, 12, 1, 11, 30))
    world.clock.at = sh(2026, 9, 30, 9, 0)
    holiday = give(world, world.zhao, "Holiday")
    contact(world, holiday, sh(2026, 9, 30, 17, 30))  # the eve of National Day (Oct 1-7 off)
    job_at(world, sh(2026, 12, 1, 11, 45))
    assert the_clock(world, lunch).due_at == sh(2026, 12, 1, 13, 30)
    assert the_clock(world, holiday).due_at == sh(2026, 10, 8, 9, 30)
    assert the_clock(world, holiday).kind is ClockKind.next


def test_each_contact_meets_the_next_clock_and_starts_the_one_after(world: World) -> None:
    a_policy(world, next_contact_minutes=120)
    customer_id = give(world, world.wang)  # Tue 09:00
    contact(world, customer_id, sh(2026, 12, 1, 9, 30))
    job_at(world, sh(2026, 12, 1, 9, 35))
    job_at(world, sh(2026, 12, 1, 9, 40))  # the contact that started it does not meet it
    assert the_clock(world, customer_id).state is ClockState.open
    contact(world, customer_id, sh(2026, 12, 1, 10, 0))
    contact(world, customer_id, sh(2026, 12, 1, 10, 15))  # two before the job: the last counts
    job_at(world, sh(2026, 12, 1, 10, 20))
    first, second, third = all_clocks(world, customer_id)
    assert [k.kind for k in (first, second, third)] == [ClockKind.first, ClockKind.next,
                                                         ClockKind.next]  # fmt: skip
    assert (second.state, second.met_at) == (ClockState.met, sh(2026, 12, 1, 10, 0))
    assert (third.state, third.started_at, third.due_at) == (
        ClockState.open, sh(2026, 12, 1, 10, 15), sh(2026, 12, 1, 13, 15),
    )  # fmt: skip
    assert reminders(world) == []


def test_a_missed_next_contact_is_reminded_breached_escalated_and_reassigned_once_each(
    world: World,
) -> None:
    a_policy(world, next_contact_minutes=60, remind_before_minutes=15, notify_manager=True,
             reassign_after_minutes=30)  # fmt: skip
    customer_id = routed(world)  # to Wang
    contact(world, customer_id, sh(2026, 12, 1, 9, 30))
    job_at(world, sh(2026, 12, 1, 9, 31))
    assert the_clock(world, customer_id).due_at == sh(2026, 12, 1, 10, 30)
    for _ in range(2):
        job_at(world, sh(2026, 12, 1, 10, 15))
    assert reminders(world) == [("sla_next_due_soon", [world.wang], [])]
    for _ in range(2):
        job_at(world, sh(2026, 12, 1, 10, 30))
    assert reminders(world)[1:] == [
        ("sla_next_breached", [world.wang], []),
        ("sla_next_escalated", [], [world.manager_user]),
    ]
    missed = the_clock(world, customer_id)
    assert (missed.kind, missed.state) == (ClockKind.next, ClockState.breached)
    for _ in range(2):
        job_at(world, sh(2026, 12, 1, 11, 0))
    with world.uow:
        customer = world.uow.customers.get(customer_id)
        assert customer is not None and customer.owner_id == world.zhao
    *_, old, new = all_clocks(world, customer_id)
    assert old.reassigned_at == sh(2026, 12, 1, 11, 0)
    assert (new.kind, new.rep_id, new.state) == (ClockKind.first, world.zhao, ClockState.open)
    assert len(reminders(world)) == 3


def test_a_late_first_contact_still_starts_the_next_clock(world: World) -> None:
    a_policy(world, first_contact_minutes=60, next_contact_minutes=240)
    customer_id = give(world, world.wang)  # Tue 09:00, due 10:00
    job_at(world, sh(2026, 12, 1, 10, 0))
    assert the_clock(world, customer_id).state is ClockState.breached
    contact(world, customer_id, sh(2026, 12, 1, 14, 0))
    job_at(world, sh(2026, 12, 1, 14, 5))
    first, after = all_clocks(world, customer_id)
    assert (first.state, first.met_at) == (ClockState.breached, sh(2026, 12, 1, 14, 0))
    assert (after.kind, after.due_at) == (ClockKind.next, sh(2026, 12, 1, 18, 0))


def test_a_transfer_or_a_pool_cancels_the_next_clock(world: World) -> None:
    a_policy(world, next_contact_minutes=60)
    moved, pooled = give(world, world.wang, "Moved"), give(world, world.wang, "Pooled")
    contact(world, moved, sh(2026, 12, 1, 9, 30))
    contact(world, pooled, sh(2026, 12, 1, 9, 30))
    job_at(world, sh(2026, 12, 1, 9, 35))
    in_transaction(world.uow, lambda: assign(
        uow=world.uow, customer_id=moved, rep_id=world.zhao, actor=SYSTEM,
        now=world.clock.now(), reason="Wang is ill",
    ))  # fmt: skip
    in_transaction(world.uow, lambda: return_to_pool(
        uow=world.uow, customer_id=pooled, reason="unreachable",
        actor=Actor("wang", Role.rep, rep_id=world.wang), now=world.clock.now(),
    ))  # fmt: skip
    _, next_moved, zhaos = all_clocks(world, moved)
    assert (next_moved.kind, next_moved.state) == (ClockKind.next, ClockState.cancelled)
    assert (zhaos.kind, zhaos.rep_id, zhaos.state) == (ClockKind.first, world.zhao,
                                                       ClockState.open)  # fmt: skip
    assert all_clocks(world, pooled)[-1].state is ClockState.cancelled


def test_a_won_or_lost_customer_gets_no_next_clock_and_its_running_one_stops(
    world: World,
) -> None:
    a_policy(world, next_contact_minutes=60)
    won, lost = give(world, world.wang, "Won"), give(world, world.wang, "Lost")
    contact(world, won, sh(2026, 12, 1, 9, 30))
    contact(world, lost, sh(2026, 12, 1, 9, 30))
    job_at(world, sh(2026, 12, 1, 9, 35))
    contact(world, won, sh(2026, 12, 1, 10, 0), stage="won")  # met, and nothing follows it
    wang = Actor("wang", Role.rep, rep_id=world.wang)
    in_transaction(world.uow, lambda: change_stage(uow=world.uow, customer_id=lost, to="lost",
                                                   reason="太贵", actor=wang,
                                                   now=world.clock.now()))  # fmt: skip
    stopped = all_clocks(world, lost)[-1]  # with the stage move, not at the job's next run
    assert (stopped.kind, stopped.state, stopped.cancelled_at) == (
        ClockKind.next, ClockState.cancelled, sh(2026, 12, 1, 10, 0),
    )  # fmt: skip
    assert [k.state for k in all_clocks(world, won)] == [ClockState.met, ClockState.met]
    job_at(world, sh(2026, 12, 1, 17, 0))  # both were due at 10:30
    assert [k.state for k in all_clocks(world, won)] == [ClockState.met, ClockState.met]
    assert all_clocks(world, lost)[-1].cancelled_at == sh(2026, 12, 1, 10, 0)
    assert reminders(world) == []


def test_no_next_target_no_next_clock_and_turning_one_on_does_not_reach_back(
    world: World,
) -> None:
    policy = a_policy(world)
    customer_id = give(world, world.wang)
    contact(world, customer_id, sh(2026, 12, 1, 9, 30))
    job_at(world, sh(2026, 12, 1, 9, 35))
    in_transaction(world.uow, lambda: policies.update_policy(
        uow=world.uow, policy_id=policy.id or 0, fields={"next_contact_minutes": 60},
        actor=ADMIN, now=world.clock.now(),
    ))  # fmt: skip
    job_at(world, sh(2026, 12, 1, 17, 0))
    [only] = all_clocks(world, customer_id)
    assert (only.state, only.followed_at) == (ClockState.met, sh(2026, 12, 1, 9, 35))
    later = give(world, world.zhao, "Later")  # met from now on: the next clock follows
    contact(world, later, sh(2026, 12, 1, 17, 10))
    job_at(world, sh(2026, 12, 1, 17, 15))
    assert the_clock(world, later).kind is ClockKind.next


def test_the_view_shows_the_next_clock_and_a_manager_can_pause_it(world: World) -> None:
    manager = Actor("boss", Role.manager, user_id=world.manager_user)
    a_policy(world, next_contact_minutes=60)
    customer_id = give(world, world.wang)
    contact(world, customer_id, sh(2026, 12, 1, 9, 30))
    job_at(world, sh(2026, 12, 1, 10, 0))
    with world.uow:
        shown = clocks.view(uow=world.uow, customer_id=customer_id, actor=ADMIN,
                            now=world.clock.now())  # fmt: skip
    assert shown is not None and shown.clock.kind is ClockKind.next
    assert shown.remaining_minutes == 30
    paused = in_transaction(world.uow, lambda: clocks.pause(
        uow=world.uow, customer_id=customer_id, actor=manager, now=world.clock.now()))  # fmt: skip
    assert paused.kind is ClockKind.next


def test_bad_next_contact_targets_are_named(world: World) -> None:
    for value in (0, -1, MAX_MINUTES + 1, "60", 1.5, True):
        error = refused(world.uow, ValidationFailed, lambda v=value: policies.create_policy(  # type: ignore[misc]
            uow=world.uow, fields={"name": "x", "first_contact_minutes": 60,
                                   "next_contact_minutes": v},
            actor=ADMIN, now=world.clock.now(),
        ))  # fmt: skip
        assert bad_fields(error) == {"next_contact_minutes"}, value
    error = refused(world.uow, ValidationFailed, lambda: policies.create_policy(
        uow=world.uow, fields={"name": "x", "first_contact_minutes": 60,
                               "remind_before_minutes": 30, "next_contact_minutes": 30},
        actor=ADMIN, now=world.clock.now(),
    ))  # fmt: skip
    assert bad_fields(error) == {"next_contact_minutes"}
    assert a_policy(world, next_contact_minutes=MAX_MINUTES).next_contact_minutes == MAX_MINUTES


def test_the_messages_say_next_contact_in_both_languages() -> None:
    payload = {"customer_name": "李雷", "due_text": "2026-12-07 09:30 Asia/Shanghai",
               "to_rep_name": "Wang"}  # fmt: skip
    said = {
        (kind, language): line(
            EventType.reminder, {**payload, "kind": kind}, language=language, role="other"
        )
        for kind in ("sla_next_due_soon", "sla_next_breached", "sla_next_escalated")
        for language in ("zh-CN", "en")
    }
    assert said["sla_next_due_soon", "zh-CN"] == (
        "客户「李雷」须在 2026-12-07 09:30 Asia/Shanghai 前再次联系"
    )
    assert said["sla_next_escalated", "zh-CN"].startswith("Wang 的客户「李雷」下次联系已超时")
    assert all("首次" not in text for text in said.values())
    assert all("Next contact" in said[kind, "en"] or "next contact" in said[kind, "en"]
               for kind in ("sla_next_due_soon", "sla_next_breached",
                            "sla_next_escalated"))  # fmt: skip


def test_a_missed_next_contact_makes_a_task_that_says_so_when_tasks_from_breaches_are_on(
    world: World,
) -> None:
    in_transaction(world.uow, lambda: set_origin_settings(
        uow=world.uow, actor=ADMIN, settings={TaskOrigin.sla: True}, now=world.clock.now(),
    ))  # fmt: skip
    a_policy(world, next_contact_minutes=60)
    customer_id = give(world, world.wang, "李雷")
    contact(world, customer_id, sh(2026, 12, 1, 9, 30))
    job_at(world, sh(2026, 12, 1, 9, 35))
    job_at(world, sh(2026, 12, 1, 10, 30))
    job_at(world, sh(2026, 12, 1, 10, 35))
    with world.uow:
        tasks = world.uow.tasks.find(TaskFilter(), limit=20)
    assert [(t.title, t.origin) for t in tasks] == [
        ("再次联系客户「李雷」（下次联系已超时）", TaskOrigin.sla)
    ]
