"""Who may change reps, teams and leave: an admin everything; a manager the availability and
capacity of reps in their team tree; a rep their own away switch; an auditor nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import partial

import pytest

from fenpei.domain.errors import NotFound, PermissionDenied
from fenpei.domain.org import Leave, Rep
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services import org
from fenpei.services.users import create_user
from tests.fakes import FakeHasher, FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import a_rep, refused


@dataclass(frozen=True)
class Org:
    """East (managed by Mia) holds Shanghai; West (managed by Wes) stands apart.
    Ann is in East, Sam in Shanghai, Will in West; Ann also logs in as a rep."""

    east: int
    shanghai: int
    west: int
    ann: int
    sam: int
    will: int
    mia: Actor
    wes: Actor
    ann_user: Actor
    auditor: Actor


def _actor(uow: FakeUnitOfWork, clock: FixedClock, name: str, role: Role, **extra: int) -> Actor:
    user = in_transaction(
        uow,
        lambda: create_user(
            uow=uow,
            hasher=FakeHasher(),
            username=name,
            password="long enough password",
            role=role,
            actor=SYSTEM,
            now=clock.now(),
            **extra,  # type: ignore[arg-type]
        ),
    )
    return Actor(name, role, user_id=user.id, rep_id=user.rep_id)


@pytest.fixture
def world(uow: FakeUnitOfWork, clock: FixedClock) -> Org:
    mia = _actor(uow, clock, "mia", Role.manager)
    wes = _actor(uow, clock, "wes", Role.manager)

    def team(name: str, manager: Actor, parent_id: int | None = None) -> int:
        made = in_transaction(
            uow,
            lambda: org.create_team(
                uow=uow,
                name=name,
                manager_user_id=manager.user_id,
                parent_id=parent_id,
                actor=SYSTEM,
                now=clock.now(),
            ),
        )
        assert made.id is not None
        return made.id

    east = team("East", mia)
    shanghai = team("Shanghai", wes, parent_id=east)  # Wes manages it too, Mia from above
    west = team("West", wes)
    ann = a_rep(uow, clock, "Ann", team_id=east, max_open=10).id or 0
    sam = a_rep(uow, clock, "Sam", team_id=shanghai, max_open=10).id or 0
    will = a_rep(uow, clock, "Will", team_id=west, max_open=10).id or 0
    ann_user = _actor(uow, clock, "ann", Role.rep, rep_id=ann)
    auditor = _actor(uow, clock, "audrey", Role.auditor)
    return Org(east, shanghai, west, ann, sam, will, mia, wes, ann_user, auditor)


def _update(
    uow: FakeUnitOfWork, clock: FixedClock, actor: Actor, rep_id: int, **fields: object
) -> Rep:
    return org.update_rep(uow=uow, rep_id=rep_id, fields=fields, actor=actor, now=clock.now())


def _rep(uow: FakeUnitOfWork, rep_id: int) -> Rep:
    rep = uow.reps.get(rep_id)
    assert rep is not None
    return rep


def test_a_manager_changes_capacity_and_away_of_a_rep_in_a_sub_team(
    uow: FakeUnitOfWork, clock: FixedClock, world: Org
) -> None:
    in_transaction(
        uow, lambda: _update(uow, clock, world.mia, world.sam, max_open=25, away=True, weight=3)
    )

    sam = _rep(uow, world.sam)
    assert (sam.max_open, sam.away, sam.weight) == (25, True, 3)
    entry = uow.audit.find(object_type="rep", object_id=str(world.sam))[0]
    assert (entry.actor, entry.after["max_open"]) == ("mia", 25)


def test_a_manager_editing_a_rep_outside_their_tree_is_told_not_found(
    uow: FakeUnitOfWork, clock: FixedClock, world: Org
) -> None:
    error = refused(uow, NotFound, lambda: _update(uow, clock, world.mia, world.will, away=True))
    assert (error.kind, error.key) == ("rep", world.will)
    # Wes manages Shanghai but not East, its parent: Ann is outside his tree.
    refused(uow, NotFound, lambda: _update(uow, clock, world.wes, world.ann, max_open=1))
    assert _rep(uow, world.will).away is False


@pytest.mark.parametrize(
    "fields", [{"team_id": None}, {"name": "Samuel"}, {"email": "sam@example.com", "away": True}]
)
def test_a_manager_may_not_move_rename_or_redescribe_a_rep_in_their_tree(
    uow: FakeUnitOfWork, clock: FixedClock, world: Org, fields: dict[str, object]
) -> None:
    error = refused(
        uow, PermissionDenied, lambda: _update(uow, clock, world.mia, world.sam, **fields)
    )
    assert next(k for k in fields if k != "away") in str(error)


def test_a_rep_switches_their_own_away_and_nothing_else(
    uow: FakeUnitOfWork, clock: FixedClock, world: Org
) -> None:
    in_transaction(uow, lambda: _update(uow, clock, world.ann_user, world.ann, away=True))
    assert _rep(uow, world.ann).away is True

    refused(uow, PermissionDenied, lambda: _update(uow, clock, world.ann_user, world.ann, weight=9))
    refused(
        uow, PermissionDenied, lambda: _update(uow, clock, world.ann_user, world.ann, active=False)
    )


def test_a_rep_toggling_someone_elses_away_is_told_not_found(
    uow: FakeUnitOfWork, clock: FixedClock, world: Org
) -> None:
    refused(uow, NotFound, lambda: _update(uow, clock, world.ann_user, world.sam, away=True))
    unlinked = Actor("nobody", Role.rep, user_id=99)
    refused(uow, NotFound, lambda: _update(uow, clock, unlinked, world.ann, away=True))
    assert _rep(uow, world.sam).away is False


def test_an_auditor_changes_no_rep(uow: FakeUnitOfWork, clock: FixedClock, world: Org) -> None:
    refused(uow, PermissionDenied, lambda: _update(uow, clock, world.auditor, world.ann, away=True))


def test_an_admin_moves_and_renames_any_rep(
    uow: FakeUnitOfWork, clock: FixedClock, world: Org
) -> None:
    admin = Actor("root", Role.admin)
    in_transaction(
        uow, lambda: _update(uow, clock, admin, world.will, name="William", team_id=world.east)
    )
    assert (_rep(uow, world.will).name, _rep(uow, world.will).team_id) == ("William", world.east)


@pytest.mark.parametrize("who", ["mia", "ann_user", "auditor"])
def test_only_an_admin_adds_reps_and_creates_changes_or_deletes_teams(
    uow: FakeUnitOfWork, clock: FixedClock, world: Org, who: str
) -> None:
    actor: Actor = getattr(world, who)
    now = clock.now()
    attempts = [
        lambda: org.create_rep(uow=uow, fields={"name": "New"}, actor=actor, now=now),
        lambda: org.create_team(uow=uow, name="North", actor=actor, now=now),
        lambda: org.update_team(
            uow=uow, team_id=world.east, fields={"name": "E"}, actor=actor, now=now
        ),
        lambda: org.delete_team(uow=uow, team_id=world.west, actor=actor, now=now),
    ]
    for attempt in attempts:
        refused(uow, PermissionDenied, attempt)


def _leave(uow: FakeUnitOfWork, clock: FixedClock, actor: Actor, rep_id: int) -> Leave:
    start = clock.now() + timedelta(days=1)
    return org.add_leave(
        uow=uow,
        rep_id=rep_id,
        starts_at=start,
        ends_at=start + timedelta(days=2),
        actor=actor,
        now=clock.now(),
    )


def test_a_manager_keeps_leave_for_reps_in_their_tree_only(
    uow: FakeUnitOfWork, clock: FixedClock, world: Org
) -> None:
    leave = in_transaction(uow, lambda: _leave(uow, clock, world.mia, world.sam))
    refused(uow, NotFound, lambda: _leave(uow, clock, world.mia, world.will))
    refused(uow, NotFound, lambda: org.list_leaves(uow=uow, rep_id=world.ann, actor=world.wes))

    in_transaction(
        uow,
        lambda: org.delete_leave(
            uow=uow, rep_id=world.sam, leave_id=leave.id or 0, actor=world.mia, now=clock.now()
        ),
    )
    assert uow.reps.leaves(world.sam) == []
    assert [e.action for e in uow.audit.find(object_type="leave")] == ["delete", "create"]


def test_a_rep_or_an_auditor_reads_leave_but_does_not_record_it(
    uow: FakeUnitOfWork, clock: FixedClock, world: Org
) -> None:
    in_transaction(uow, lambda: _leave(uow, clock, SYSTEM, world.ann))
    for reader in (world.ann_user, world.auditor):
        with uow:
            assert len(org.list_leaves(uow=uow, rep_id=world.ann, actor=reader)) == 1
        refused(uow, PermissionDenied, partial(_leave, uow, clock, reader, world.ann))
    refused(uow, NotFound, lambda: org.list_leaves(uow=uow, rep_id=world.sam, actor=world.ann_user))


def test_a_leave_is_deleted_only_through_its_own_rep(
    uow: FakeUnitOfWork, clock: FixedClock, world: Org
) -> None:
    leave = in_transaction(uow, lambda: _leave(uow, clock, SYSTEM, world.sam))
    error = refused(
        uow,
        NotFound,
        lambda: org.delete_leave(
            uow=uow, rep_id=world.ann, leave_id=leave.id or 0, actor=SYSTEM, now=clock.now()
        ),
    )
    assert (error.kind, error.key) == ("leave", leave.id)


def test_a_reps_load_is_shown_only_within_the_viewers_scope(
    uow: FakeUnitOfWork, clock: FixedClock, world: Org
) -> None:
    def load_seen(actor: Actor, rep_id: int) -> bool:
        with uow:
            return (
                org.view_rep(uow=uow, rep_id=rep_id, actor=actor, now=clock.now()).usage is not None
            )

    assert load_seen(world.mia, world.sam) and load_seen(world.ann_user, world.ann)
    assert load_seen(world.auditor, world.will)
    assert not load_seen(world.mia, world.will)
    assert not load_seen(world.ann_user, world.sam)
