"""The sales org: teams, reps with capacity and skills, leave."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import pytest

from fenpei.domain.errors import Conflict, NotFound, ValidationFailed
from fenpei.domain.limits import DATE_MESSAGE
from fenpei.domain.org import Leave, Rep, Team
from fenpei.domain.users import SYSTEM, Role
from fenpei.services.org import (
    add_leave,
    create_rep,
    create_team,
    delete_team,
    find_rep,
    get_rep,
    update_rep,
    update_team,
    view_team,
)
from fenpei.services.rules import create_rule
from fenpei.services.users import create_user
from tests.fakes import FakeHasher, FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import a_customer, a_rep, assigned, bad_fields, message_for, refused


def _team(uow: FakeUnitOfWork, clock: FixedClock, name: str, **options: object) -> Team:
    return in_transaction(
        uow,
        lambda: create_team(uow=uow, name=name, actor=SYSTEM, now=clock.now(), **options),  # type: ignore[arg-type]
    )


def _create_rep(uow: FakeUnitOfWork, clock: FixedClock, fields: dict[str, object]) -> Rep:
    return create_rep(uow=uow, fields=fields, actor=SYSTEM, now=clock.now())


def test_teams_nest_under_a_parent_and_are_audited(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    east = _team(uow, clock, " East China ", region="华东")
    shanghai = _team(uow, clock, "Shanghai", parent_id=east.id, manager_name="Zhou Jie")
    assert (east.name, east.region) == ("East China", "华东")
    assert shanghai.parent_id == east.id
    assert [e.object_id for e in uow.audit.find(object_type="team")] == [
        str(shanghai.id),
        str(east.id),
    ]


@pytest.mark.parametrize(
    ("name", "options", "field"),
    [
        ("  ", {}, "name"),
        ("East China", {}, "name"),
        ("Hangzhou", {"parent_id": 404}, "parent_id"),
    ],
)
def test_a_team_needs_a_new_name_and_an_existing_parent(
    uow: FakeUnitOfWork, clock: FixedClock, name: str, options: dict[str, object], field: str
) -> None:
    _team(uow, clock, "East China")
    error = refused(
        uow,
        ValidationFailed,
        lambda: create_team(uow=uow, name=name, actor=SYSTEM, now=clock.now(), **options),  # type: ignore[arg-type]
    )
    assert bad_fields(error) == {field}


@pytest.mark.parametrize(("field", "limit"), [("manager_name", 200), ("region", 100)])
def test_a_teams_manager_name_and_region_are_bounded(
    uow: FakeUnitOfWork, clock: FixedClock, field: str, limit: int
) -> None:
    too_long = {field: "x" * (limit + 1)}
    error = refused(
        uow,
        ValidationFailed,
        lambda: create_team(uow=uow, name="East", actor=SYSTEM, now=clock.now(), **too_long),  # type: ignore[arg-type]
    )
    assert message_for(error, field) == f"is longer than {limit} characters"
    team = _team(uow, clock, "East", **{field: f" {'x' * limit} "})
    assert getattr(team, field) == "x" * limit


def test_a_blank_manager_name_or_region_is_stored_as_none(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    team = _team(uow, clock, "East", manager_name="  ", region="")
    assert (team.manager_name, team.region) == (None, None)


def test_create_rep_stores_profile_capacity_and_skills(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    team = _team(uow, clock, "East China")
    fields: dict[str, object] = {
        "name": " Wang Fang ",
        "email": "wang.fang@example.com",
        "team_id": team.id,
        "max_open": 30,
        "max_per_day": 5,
        "weight": 3,
        "seniority": 2,
        "time_zone": "Asia/Shanghai",
        "skills": {"industries": ["retail"], "languages": ["zh", "en"]},
        "tags": ["key accounts"],
        "working_hours": {"mon": [["09:00", "18:00"]]},
        "away": False,
    }
    rep = in_transaction(uow, lambda: _create_rep(uow, clock, fields))
    assert rep.name == "Wang Fang" and rep.team_id == team.id and rep.active
    assert (rep.max_open, rep.max_per_day, rep.max_per_week) == (30, 5, None)
    assert rep.skills == {"industries": ["retail"], "languages": ["zh", "en"]}
    assert rep.created_at == rep.updated_at == clock.now()
    assert uow.audit.find(object_type="rep")[0].action == "create"


def test_create_rep_validation_names_each_bad_field(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    bad: dict[str, object] = {
        "name": "Wang Fang",
        "email": "wang.fang",
        "team_id": 404,
        "active": "yes",
        "max_open": -1,
        "max_per_week": True,
        "weight": 0,
        "seniority": 101,
        "time_zone": "Mars/Olympus",
        "skills": {"cooking": ["wok"]},
        "tags": "vip",
        "working_hours": "9-5",
        "colour": "red",
    }
    error = refused(uow, ValidationFailed, lambda: _create_rep(uow, clock, bad))
    assert bad_fields(error) == set(bad) - {"name"}
    assert (
        message_for(error, "max_open")
        == "must be a whole number from 0 to 1000000, or empty for no limit"
    )
    assert (
        message_for(error, "time_zone") == "'Mars/Olympus' is not a time zone (e.g. Asia/Shanghai)"
    )
    assert message_for(error, "colour") == "is not a rep field"
    assert "industries, products, languages, regions" in message_for(error, "skills")


@pytest.mark.parametrize("name", ["", "   ", "x" * 201, 7])
def test_a_rep_name_must_be_1_to_200_characters(
    uow: FakeUnitOfWork, clock: FixedClock, name: object
) -> None:
    error = refused(uow, ValidationFailed, lambda: _create_rep(uow, clock, {"name": name}))
    assert message_for(error, "name") == "must be 1 to 200 characters"


def test_a_rep_needs_a_name_not_yet_taken(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    a_rep(uow, clock, "Wang Fang")
    missing = refused(uow, ValidationFailed, lambda: _create_rep(uow, clock, {"max_open": 3}))
    assert message_for(missing, "name") == "is required"
    taken = refused(uow, ValidationFailed, lambda: _create_rep(uow, clock, {"name": " Wang Fang"}))
    assert message_for(taken, "name") == "a rep named 'Wang Fang' exists"


def test_a_rep_without_name_and_with_bad_email_is_told_about_both(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    error = refused(uow, ValidationFailed, lambda: _create_rep(uow, clock, {"email": "x"}))
    assert bad_fields(error) == {"name", "email"}
    assert message_for(error, "name") == "is required"


@pytest.mark.parametrize("limit", ["max_open", "max_per_day", "max_per_week", "max_per_month"])
def test_a_capacity_limit_too_large_to_store_is_refused_by_naming_it(
    uow: FakeUnitOfWork, clock: FixedClock, limit: str
) -> None:
    for too_large in (1_000_001, 10**10):
        fields = {"name": "Wang Fang", limit: too_large}
        error = refused(uow, ValidationFailed, partial(_create_rep, uow, clock, fields))
        assert bad_fields(error) == {limit}
    largest: dict[str, object] = {limit: 1_000_000}
    assert getattr(a_rep(uow, clock, "Wang Fang", **largest), limit) == 1_000_000


def test_a_rep_email_with_a_trailing_newline_is_not_stored_with_it(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    with uow:
        try:
            rep = _create_rep(uow, clock, {"name": "Wang Fang", "email": "wang@example.com\n"})
        except ValidationFailed as exc:
            assert bad_fields(exc) == {"email"}
        else:
            assert rep.email == "wang@example.com"


def test_rep_tags_are_each_at_most_100_characters(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    error = refused(
        uow, ValidationFailed, lambda: _create_rep(uow, clock, {"name": "x", "tags": ["t" * 101]})
    )
    assert message_for(error, "tags") == "item 0: must be text of at most 100 characters"
    assert a_rep(uow, clock, tags=["t" * 100, "vip"]).tags == ["t" * 100, "vip"]


def test_update_rep_changes_capacity_and_availability_and_audits_the_change(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock, max_open=10)
    clock.advance(hours=2)
    in_transaction(
        uow,
        lambda: update_rep(
            uow=uow,
            rep_id=rep.id or 0,
            fields={"max_open": None, "away": True},
            actor=SYSTEM,
            now=clock.now(),
        ),
    )
    with uow:
        updated = get_rep(uow=uow, rep_id=rep.id or 0)
    assert (updated.max_open, updated.away, updated.updated_at) == (None, True, clock.now())
    entry = uow.audit.find(object_type="rep")[0]
    assert entry.action == "update"
    assert (entry.before["max_open"], entry.after["max_open"]) == (10, None)
    assert (entry.before["away"], entry.after["away"]) == (False, True)
    assert "name" not in entry.after


def test_update_rep_with_a_bad_field_changes_nothing(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock, max_open=10)
    error = refused(
        uow,
        ValidationFailed,
        lambda: update_rep(
            uow=uow,
            rep_id=rep.id or 0,
            fields={"max_open": 3, "weight": 0},
            actor=SYSTEM,
            now=clock.now(),
        ),
    )
    assert bad_fields(error) == {"weight"}
    with uow:
        assert get_rep(uow=uow, rep_id=rep.id or 0).max_open == 10


def test_updating_an_unknown_rep_is_not_found(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    refused(
        uow,
        NotFound,
        lambda: update_rep(
            uow=uow, rep_id=404, fields={"away": True}, actor=SYSTEM, now=clock.now()
        ),
    )


def test_renaming_a_rep_to_a_taken_name_is_refused_by_naming_the_field(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    a_rep(uow, clock, "Wang Fang")
    other = a_rep(uow, clock, "Zhao Min")

    def rename(name: str) -> Rep:
        return update_rep(
            uow=uow, rep_id=other.id or 0, fields={"name": name}, actor=SYSTEM, now=clock.now()
        )

    error = refused(uow, ValidationFailed, lambda: rename(" Wang Fang "))
    assert message_for(error, "name") == "a rep named 'Wang Fang' exists"
    assert in_transaction(uow, lambda: rename(" Zhao Min ")).name == "Zhao Min"
    assert in_transaction(uow, lambda: rename("Zhao Min (East)")).name == "Zhao Min (East)"


def test_add_leave_records_a_period_and_lists_leaves_in_order(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock)
    start = clock.now() + timedelta(days=7)

    def leave(days_later: int, hours: int) -> None:
        begins = start + timedelta(days=days_later)
        add_leave(
            uow=uow,
            rep_id=rep.id or 0,
            starts_at=begins,
            ends_at=begins + timedelta(hours=hours),
            actor=SYSTEM,
            now=clock.now(),
            note="年假",
        )

    in_transaction(uow, lambda: leave(3, 4))
    in_transaction(uow, lambda: leave(0, 24))
    leaves = uow.reps.leaves(rep.id or 0)
    assert [(v.starts_at - start).days for v in leaves] == [0, 3]
    assert leaves[1].covers(start + timedelta(days=3, hours=3))
    assert len(uow.audit.find(object_type="leave")) == 2


@pytest.mark.parametrize("length", [timedelta(hours=-1), timedelta(0)])
def test_add_leave_rejects_end_before_or_at_start(
    uow: FakeUnitOfWork, clock: FixedClock, length: timedelta
) -> None:
    rep = a_rep(uow, clock)
    error = refused(
        uow,
        ValidationFailed,
        lambda: add_leave(
            uow=uow,
            rep_id=rep.id or 0,
            starts_at=clock.now(),
            ends_at=clock.now() + length,
            actor=SYSTEM,
            now=clock.now(),
        ),
    )
    assert message_for(error, "ends_at") == "must be after starts_at"


def test_add_leave_needs_times_with_a_zone_and_a_known_rep(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock)
    naive = datetime(2026, 12, 1, 9, 0)

    def leave(rep_id: int, starts_at: datetime) -> None:
        add_leave(
            uow=uow,
            rep_id=rep_id,
            starts_at=starts_at,
            ends_at=clock.now() + timedelta(days=40),
            actor=SYSTEM,
            now=clock.now(),
        )

    error = refused(uow, ValidationFailed, lambda: leave(rep.id or 0, naive))
    assert message_for(error, "starts_at") == "needs a time zone"
    refused(uow, NotFound, lambda: leave(404, clock.now()))


def test_a_leave_note_is_bounded_and_a_blank_one_is_none(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock)

    def leave(note: str) -> Leave:
        return add_leave(
            uow=uow,
            rep_id=rep.id or 0,
            starts_at=clock.now(),
            ends_at=clock.now() + timedelta(days=1),
            actor=SYSTEM,
            now=clock.now(),
            note=note,
        )

    error = refused(uow, ValidationFailed, lambda: leave("n" * 501))
    assert message_for(error, "note") == "is longer than 500 characters"
    assert in_transaction(uow, lambda: leave(f" {'n' * 500} ")).note == "n" * 500
    assert in_transaction(uow, lambda: leave("   ")).note is None


def test_find_rep_by_id_or_exact_name(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    rep = a_rep(uow, clock, "Moses Frase")
    with uow:
        assert find_rep(uow=uow, ref=str(rep.id)).name == "Moses Frase"
        assert find_rep(uow=uow, ref=" Moses Frase ").id == rep.id
        with pytest.raises(NotFound):
            find_rep(uow=uow, ref="moses frase")


# --- changing and removing teams -----------------------------------------------------------------


def _update_team(uow: FakeUnitOfWork, clock: FixedClock, team: Team, **fields: object) -> Team:
    return update_team(uow=uow, team_id=team.id or 0, fields=fields, actor=SYSTEM, now=clock.now())


def _user(uow: FakeUnitOfWork, clock: FixedClock, name: str, role: Role) -> int:
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
            display_name=name.title(),
        ),
    )
    return user.id or 0


def test_a_team_moves_under_another_parent_and_the_change_is_audited(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    east, west = _team(uow, clock, "East"), _team(uow, clock, "West")
    shanghai = _team(uow, clock, "Shanghai", parent_id=east.id)

    moved = in_transaction(
        uow, lambda: _update_team(uow, clock, shanghai, parent_id=west.id, name=" Shanghai 上海 ")
    )

    assert (moved.parent_id, moved.name) == (west.id, "Shanghai 上海")
    entry = uow.audit.find(object_type="team")[0]
    assert (entry.action, entry.before["parent_id"], entry.after["parent_id"]) == (
        "update",
        east.id,
        west.id,
    )
    with uow:
        assert [t.name for t in view_team(uow=uow, team_id=west.id or 0).sub_teams] == [
            "Shanghai 上海"
        ]


def test_a_team_cannot_move_under_itself_or_anywhere_below_it(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    east = _team(uow, clock, "East")
    shanghai = _team(uow, clock, "Shanghai", parent_id=east.id)
    pudong = _team(uow, clock, "Pudong", parent_id=shanghai.id)

    for below in (east, shanghai, pudong):
        error = refused(
            uow, ValidationFailed, partial(_update_team, uow, clock, east, parent_id=below.id)
        )
        assert bad_fields(error) == {"parent_id"}
    assert "cycle" in message_for(
        refused(
            uow, ValidationFailed, partial(_update_team, uow, clock, east, parent_id=pudong.id)
        ),
        "parent_id",
    )
    top = in_transaction(uow, lambda: _update_team(uow, clock, shanghai, parent_id=None))
    assert top.parent_id is None


def test_a_team_manager_must_be_an_existing_manager_user_and_names_the_team_manager(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    mia = _user(uow, clock, "mia", Role.manager)
    rex = _user(uow, clock, "rex", Role.rep)
    east = _team(uow, clock, "East", manager_name="Old Boss")

    for bad in (rex, 404):
        error = refused(
            uow, ValidationFailed, partial(_update_team, uow, clock, east, manager_user_id=bad)
        )
        assert bad_fields(error) == {"manager_user_id"}
    assert "not a manager" in message_for(
        refused(
            uow, ValidationFailed, partial(_update_team, uow, clock, east, manager_user_id=rex)
        ),
        "manager_user_id",
    )
    managed = in_transaction(uow, lambda: _update_team(uow, clock, east, manager_user_id=mia))
    assert (managed.manager_user_id, managed.manager_name) == (mia, "Mia")
    created = _team(uow, clock, "West", manager_user_id=mia, manager_name="Mia Wu")
    assert (created.manager_user_id, created.manager_name) == (mia, "Mia Wu")


def test_updating_a_team_names_unknown_fields_and_unknown_teams(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    east = _team(uow, clock, "East")
    _team(uow, clock, "West")
    error = refused(
        uow, ValidationFailed, partial(_update_team, uow, clock, east, colour="red", name="West")
    )
    assert message_for(error, "colour") == "is not a team field"
    assert message_for(error, "name") == "a team named 'West' exists"
    refused(uow, NotFound, partial(_update_team, uow, clock, Team(name="x", id=404), name="y"))


def test_deleting_a_team_with_reps_sub_teams_or_rules_is_refused_saying_so(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    east = _team(uow, clock, "East")
    _team(uow, clock, "Shanghai", parent_id=east.id)
    a_rep(uow, clock, "Ann", team_id=east.id)
    in_transaction(
        uow,
        lambda: create_rule(
            uow=uow,
            fields={"name": "To East", "target": {"kind": "team", "team_id": east.id}},
            actor=SYSTEM,
            now=clock.now(),
        ),
    )

    error = refused(
        uow,
        Conflict,
        lambda: delete_team(uow=uow, team_id=east.id or 0, actor=SYSTEM, now=clock.now()),
    )

    assert "1 rep(s) (Ann)" in str(error) and "1 sub-team(s) (Shanghai)" in str(error)
    assert "'To East'" in str(error)


def test_deleting_an_empty_team_removes_it_and_its_customers_keep_their_owner(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    empty, other = _team(uow, clock, "Empty"), _team(uow, clock, "Other")
    ann = a_rep(uow, clock, "Ann", team_id=empty.id)
    held = assigned(uow, clock, a_customer(uow, clock), ann).customer_id
    in_transaction(uow, lambda: update_rep(
        uow=uow, rep_id=ann.id or 0, fields={"team_id": other.id}, actor=SYSTEM, now=clock.now()
    ))  # fmt: skip

    in_transaction(
        uow, lambda: delete_team(uow=uow, team_id=empty.id or 0, actor=SYSTEM, now=clock.now())
    )

    assert uow.teams.get(empty.id or 0) is None
    customer = uow.customers.get(held)
    assert customer is not None and (customer.owner_id, customer.team_id) == (ann.id, None)
    assert uow.audit.find(object_type="team")[0].action == "delete"
    refused(
        uow,
        NotFound,
        lambda: delete_team(uow=uow, team_id=empty.id or 0, actor=SYSTEM, now=clock.now()),
    )


def test_text_with_a_nul_character_is_refused_before_the_database(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    error = refused(
        uow,
        ValidationFailed,
        lambda: _create_rep(
            uow, clock, {"name": "A\x00B", "tags": ["x\x00"], "skills": {"languages": ["\x00"]}}
        ),
    )
    assert bad_fields(error) == {"name", "tags", "skills"}


def test_a_leave_beyond_the_storable_date_range_is_refused_by_naming_it(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock)
    early = datetime.min.replace(tzinfo=ZoneInfo("Asia/Shanghai"))
    error = refused(
        uow,
        ValidationFailed,
        lambda: add_leave(
            uow=uow,
            rep_id=rep.id or 0,
            starts_at=early,
            ends_at=clock.now(),
            actor=SYSTEM,
            now=clock.now(),
        ),
    )
    assert message_for(error, "starts_at") == DATE_MESSAGE
