"""Follow-ups (跟进记录) and stages: who may log them, what they check, what they move."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from fenpei.domain.customers import Customer, Stage
from fenpei.domain.errors import NotFound, PermissionDenied, ValidationFailed
from fenpei.domain.follow_ups import FIRST_FOLLOW_UP, FollowUp, StageChange
from fenpei.domain.org import Rep, Team
from fenpei.domain.users import SYSTEM, Actor, Role, User
from fenpei.services.customers import update_customer
from fenpei.services.follow_ups.records import list_follow_ups, record_follow_up
from fenpei.services.follow_ups.stages import change_stage
from fenpei.services.org import create_team
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import a_customer, a_rep, assigned, bad_fields, refused

ADMIN = Actor("root", Role.admin)
MANAGER_USER_ID = 70


def _rep_actor(rep: Rep) -> Actor:
    return Actor(rep.name, Role.rep, rep_id=rep.id, user_id=100 + (rep.id or 0))


def _owned(uow: FakeUnitOfWork, clock: FixedClock, rep_name: str = "Wang") -> tuple[Rep, Customer]:
    rep = a_rep(uow, clock, rep_name)
    customer = a_customer(uow, clock, f"Customer of {rep_name}")
    assigned(uow, clock, customer, rep)
    return rep, customer


def _logging(
    uow: FakeUnitOfWork, clock: FixedClock, customer: Customer, actor: Actor, **fields: object
) -> Callable[[], FollowUp]:
    values: dict[str, object] = {"kind": "phone", "at": clock.now(), "content": "谈了报价"}
    values.update(fields)
    return lambda: record_follow_up(
        uow=uow,
        customer_id=customer.id or 0,
        actor=actor,
        now=clock.now(),
        **values,  # type: ignore[arg-type]
    )


def _log(
    uow: FakeUnitOfWork, clock: FixedClock, customer: Customer, actor: Actor, **fields: object
) -> FollowUp:
    return in_transaction(uow, _logging(uow, clock, customer, actor, **fields))


def _stored(uow: FakeUnitOfWork, customer: Customer) -> Customer:
    with uow:
        found = uow.customers.get(customer.id or 0)
    assert found is not None
    return found


def _changes(uow: FakeUnitOfWork, customer: Customer) -> list[tuple[Stage, Stage, str | None]]:
    with uow:
        found = uow.stage_changes.for_customer(customer.id or 0, limit=50)
    return [(c.from_stage, c.to_stage, c.reason) for c in reversed(found)]


def test_the_owner_logs_a_follow_up_that_resets_the_reclaim_clock(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep, customer = _owned(uow, clock)
    in_transaction(
        uow, lambda: setattr(uow.customers.get(customer.id or 0), "reclaim_warned_at", clock.now())
    )
    at = clock.now() - timedelta(hours=2)
    next_at = clock.now() + timedelta(days=3)

    logged = _log(uow, clock, customer, _rep_actor(rep), at=at, outcome="要报价", next_at=next_at)

    stored = _stored(uow, customer)
    assert (logged.rep_id, logged.author, logged.kind, logged.outcome) == (
        rep.id, "Wang", "phone", "要报价",
    )  # fmt: skip
    assert stored.last_follow_up_at == at
    assert stored.reclaim_warned_at is None
    assert stored.next_follow_up_at == next_at
    with uow:
        assert [f.id for f in uow.follow_ups.for_customer(customer.id or 0, limit=5)] == [logged.id]
        assert uow.audit.find(object_type="followup", object_id=str(logged.id))


def test_the_first_follow_up_makes_a_new_customer_contacted_once(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep, customer = _owned(uow, clock)
    at = clock.now() - timedelta(minutes=5)

    _log(uow, clock, customer, _rep_actor(rep), at=at)
    _log(uow, clock, customer, _rep_actor(rep))

    stored = _stored(uow, customer)
    assert stored.stage is Stage.contacted and stored.stage_changed_at == at
    assert _changes(uow, customer) == [(Stage.new, Stage.contacted, FIRST_FOLLOW_UP)]


def test_an_older_follow_up_moves_neither_the_last_follow_up_nor_the_plan(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep, customer = _owned(uow, clock)
    plan = clock.now() + timedelta(days=2)
    _log(uow, clock, customer, _rep_actor(rep), next_at=plan)

    _log(uow, clock, customer, _rep_actor(rep), at=clock.now() - timedelta(days=1),
         next_at=clock.now() + timedelta(days=9))  # fmt: skip

    stored = _stored(uow, customer)
    assert (stored.last_follow_up_at, stored.next_follow_up_at) == (clock.now(), plan)


def test_a_follow_up_can_move_the_stage_on_in_the_same_call(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep, customer = _owned(uow, clock)

    _log(uow, clock, customer, _rep_actor(rep), stage="qualified", reason="有预算")

    assert _stored(uow, customer).stage is Stage.qualified
    assert _changes(uow, customer) == [
        (Stage.new, Stage.contacted, FIRST_FOLLOW_UP),
        (Stage.contacted, Stage.qualified, "有预算"),
    ]


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"content": "  "}, {"content"}),
        ({"content": "x" * 2001}, {"content"}),
        ({"kind": "telepathy"}, {"kind"}),
        ({"kind": ""}, {"kind"}),
        ({"at": datetime(2026, 11, 2, 9, 32, tzinfo=UTC)}, {"at"}),
        ({"next_at": datetime(2026, 11, 2, 9, 0, tzinfo=UTC)}, {"next_at"}),
        ({"at": datetime(2026, 11, 2, 9, 0)}, {"at"}),
        ({"outcome": "o" * 501}, {"outcome"}),
        ({"stage": "lost"}, {"reason"}),
        ({"stage": "done", "content": ""}, {"stage", "content"}),
    ],
)
def test_a_bad_follow_up_is_refused_naming_the_field_and_writes_nothing(
    uow: FakeUnitOfWork, clock: FixedClock, fields: dict[str, object], bad: set[str]
) -> None:
    rep, customer = _owned(uow, clock)

    error = refused(
        uow, ValidationFailed, _logging(uow, clock, customer, _rep_actor(rep), **fields)
    )

    assert bad_fields(error) == bad


def test_a_follow_up_a_minute_ahead_is_allowed(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    rep, customer = _owned(uow, clock)

    logged = _log(uow, clock, customer, _rep_actor(rep), at=clock.now() + timedelta(seconds=59))

    assert logged.id is not None


def test_a_retired_follow_up_type_is_refused(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    rep, customer = _owned(uow, clock)

    def retire() -> None:
        category = uow.categories.get("follow_up_type")
        assert category is not None and category.id is not None
        next(v for v in uow.categories.values(category.id) if v.code == "sms").retired = True

    in_transaction(uow, retire)

    error = refused(
        uow, ValidationFailed, _logging(uow, clock, customer, _rep_actor(rep), kind="sms")
    )
    assert bad_fields(error) == {"kind"}


def test_another_reps_customer_is_not_found_to_a_rep(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    _, customer = _owned(uow, clock, "Wang")
    other = a_rep(uow, clock, "Zhao")

    refused(uow, NotFound, _logging(uow, clock, customer, _rep_actor(other)))
    refused(uow, NotFound, lambda: change_stage(
        uow=uow, customer_id=customer.id or 0, to="won", reason=None, actor=_rep_actor(other),
        now=clock.now(),
    ))  # fmt: skip
    with pytest.raises(NotFound), uow:
        list_follow_ups(uow=uow, customer_id=customer.id or 0, actor=_rep_actor(other))


def test_an_auditor_reads_but_may_not_log(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    _, customer = _owned(uow, clock)

    refused(uow, PermissionDenied, _logging(uow, clock, customer, Actor("audrey", Role.auditor)))


def _team_managed(uow: FakeUnitOfWork, clock: FixedClock, name: str, user_id: int | None) -> Team:
    team = in_transaction(
        uow, lambda: create_team(uow=uow, name=name, actor=SYSTEM, now=clock.now())
    )

    def manage() -> None:
        if user_id is not None and uow.users.get(user_id) is None:
            uow.users.add(User("mia", "not-a-hash", Role.manager, id=user_id))
        stored = uow.teams.get(team.id or 0)
        assert stored is not None
        stored.manager_user_id = user_id

    in_transaction(uow, manage)
    return team


def test_a_manager_logs_within_their_teams_only(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    mine = _team_managed(uow, clock, "East", MANAGER_USER_ID)
    theirs = _team_managed(uow, clock, "West", None)
    inside = a_rep(uow, clock, "Wang", team_id=mine.id)
    outside = a_rep(uow, clock, "Zhao", team_id=theirs.id)
    near, far = a_customer(uow, clock, "Near"), a_customer(uow, clock, "Far")
    assigned(uow, clock, near, inside)
    assigned(uow, clock, far, outside)
    manager = Actor("mia", Role.manager, user_id=MANAGER_USER_ID)

    logged = _log(uow, clock, near, manager)

    assert (logged.rep_id, logged.author) == (None, "mia")
    refused(uow, NotFound, _logging(uow, clock, far, manager))


def test_lost_needs_a_reason_closes_the_customer_and_reopening_clears_it(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep, customer = _owned(uow, clock)
    actor = _rep_actor(rep)

    def moving(to: str, reason: str | None) -> Callable[[], StageChange]:
        return lambda: change_stage(
            uow=uow, customer_id=customer.id or 0, to=to, reason=reason, actor=actor,
            now=clock.now(),
        )  # fmt: skip

    assert bad_fields(refused(uow, ValidationFailed, moving("lost", " "))) == {"reason"}
    assert bad_fields(refused(uow, ValidationFailed, moving("finished", None))) == {"stage"}
    assert bad_fields(refused(uow, ValidationFailed, moving("new", None))) == {"stage"}

    lost_at = clock.now()
    in_transaction(uow, moving("lost", "选择了竞品"))
    stored = _stored(uow, customer)
    assert (stored.stage, stored.closed_at, stored.stage_changed_at) == (
        Stage.lost,
        lost_at,
        lost_at,
    )

    clock.advance(days=3)
    in_transaction(uow, moving("qualified", "又有需求"))
    stored = _stored(uow, customer)
    assert (stored.stage, stored.closed_at, stored.stage_changed_at) == (
        Stage.qualified, None, clock.now(),
    )  # fmt: skip
    assert _changes(uow, customer) == [
        (Stage.new, Stage.lost, "选择了竞品"),
        (Stage.lost, Stage.qualified, "又有需求"),
    ]
    with uow:
        assert [
            e.action for e in uow.audit.find(object_type="customer", object_id=str(customer.id))
        ][:2] == ["stage", "stage"]


def test_won_and_lost_change_the_owners_open_count(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    rep, customer = _owned(uow, clock)
    actor = _rep_actor(rep)

    def open_count() -> int:
        with uow:
            return uow.routing.loads(now=clock.now(), rep_ids=[rep.id or 0])[
                rep.id or 0
            ].usage.open_count

    before = open_count()
    in_transaction(uow, lambda: change_stage(
        uow=uow, customer_id=customer.id or 0, to="won", reason=None, actor=actor, now=clock.now()
    ))  # fmt: skip
    assert open_count() == before - 1
    in_transaction(uow, lambda: change_stage(
        uow=uow, customer_id=customer.id or 0, to="contacted", reason="续约", actor=actor,
        now=clock.now(),
    ))  # fmt: skip
    assert open_count() == before


def test_editing_the_stage_records_the_move_too(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    _, customer = _owned(uow, clock)

    in_transaction(uow, lambda: update_customer(
        uow=uow, customer_id=customer.id or 0, fields={"stage": "won"}, actor=ADMIN, now=clock.now()
    ))  # fmt: skip

    stored = _stored(uow, customer)
    assert (stored.stage, stored.closed_at, stored.stage_changed_at) == (
        Stage.won, clock.now(), clock.now(),
    )  # fmt: skip
    assert _changes(uow, customer) == [(Stage.new, Stage.won, None)]
