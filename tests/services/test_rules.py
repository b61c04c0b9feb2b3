"""Rules through the service: validation naming every bad part, versions, order, the default."""

from __future__ import annotations

from datetime import timedelta
from random import Random
from typing import Any

import pytest

from fenpei.domain.errors import NotFound, PermissionDenied, ValidationFailed
from fenpei.domain.rules import DEFAULT_RULE_NAME, PUBLIC_POOL, Rule
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services import org, rule_tester
from fenpei.services.rulebook import RuleBook
from fenpei.services.rules import (
    create_rule,
    delete_rule,
    engine_rule,
    ensure_default_rule,
    get_rule,
    list_rules,
    read_rule,
    reorder_rules,
    restore_version,
    rule_versions,
    update_rule,
)
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import a_rep, bad_fields, message_for, refused

EAST = {"field": "region", "op": "eq", "value": "East"}
ALICE = Actor("alice")


def new_rule(uow: FakeUnitOfWork, clock: FixedClock, **fields: Any) -> Rule:
    body = {"name": "East", "conditions": EAST, "target": {"kind": "pool", "pool": "east"}}
    return in_transaction(
        uow,
        lambda: create_rule(uow=uow, fields={**body, **fields}, actor=SYSTEM, now=clock.now()),
    )


def default_rule(uow: FakeUnitOfWork, clock: FixedClock) -> Rule:
    return in_transaction(uow, lambda: ensure_default_rule(uow=uow, actor=SYSTEM, now=clock.now()))


def refused_rule(uow: FakeUnitOfWork, clock: FixedClock, **fields: Any) -> ValidationFailed:
    body = {"name": "Bad", "target": {"kind": "pool"}, **fields}
    return refused(
        uow,
        ValidationFailed,
        lambda: create_rule(uow=uow, fields=body, actor=SYSTEM, now=clock.now()),
    )


def changed(uow: FakeUnitOfWork, clock: FixedClock, rule: Rule, **fields: Any) -> Rule:
    assert rule.id is not None
    rule_id = rule.id
    return in_transaction(
        uow,
        lambda: update_rule(uow=uow, rule_id=rule_id, fields=fields, actor=ALICE, now=clock.now()),
    )


# Validation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "path", "says"),
    [
        ({"conditions": {"all": [{"field": "regoin", "op": "eq", "value": "E"}]}},
         "conditions.all[0].field", "unknown field 'regoin'"),
        ({"conditions": {"any": [EAST, {"field": "employees", "op": "contains", "value": 3}]}},
         "conditions.any[1].op", "'contains' does not apply to number field 'employees'"),
        ({"conditions": ["region"]}, "conditions", "needs a condition object"),
        ({"conditions": {"all": []}}, "conditions.all", "needs at least one condition"),
        ({"target": "pool"}, "target", "must be an object with a kind"),
        ({"target": {"pool": "x"}}, "target", "must be an object with a kind"),
        ({"target": {"kind": "robot"}}, "target.kind", "'robot' is not one of reps, team"),
        ({"target": {"kind": "reps", "rep_ids": []}}, "target.rep_ids", "list at least one rep"),
        ({"target": {"kind": "reps", "rep_ids": [True]}}, "target.rep_ids", "list at least one"),
        ({"target": {"kind": "reps", "rep_ids": [1, 999]}}, "target.rep_ids[1]",
         "rep 999 does not exist"),
        ({"target": {"kind": "team", "team_id": 999}}, "target.team_id", "team 999 does not exist"),
        ({"target": {"kind": "team"}}, "target.team_id", "team None does not exist"),
        ({"target": {"kind": "skill", "skill": " "}}, "target.skill", "name a skill"),
        ({"target": {"kind": "account_owner", "match_on": ["fax"]}}, "target.match_on",
         "use some of company, email_domain, phone"),
        ({"target": {"kind": "account_owner", "match_on": []}}, "target.match_on", "use some of"),
        ({"target": {"kind": "pool", "pool": ""}}, "target.pool", "1 to 100 characters"),
        ({"target": {"kind": "pool", "pool": "p" * 101}}, "target.pool", "1 to 100 characters"),
        ({"target": {"kind": "pool", "colour": "red"}}, "target", "unknown keys colour"),
        ({"strategy": "fastest"}, "strategy", "'fastest' is not one of batch_optimal, best_match"),
        ({"strategy": "least_loaded", "strategy_options": {"default_capacity": 0}},
         "strategy_options", "default_capacity: must be a whole number ≥ 1, got 0"),
        ({"strategy_options": {"speed": 2}}, "strategy_options",
         "speed: unknown option (this strategy takes: none)"),
        ({"strategy_options": ["weighted"]}, "strategy_options", "must be an object"),
        ({"fallback": "panic"}, "fallback", "'panic' is not one of next_rule, team_pool, queue"),
        ({"window": "weekdays"}, "window", "must be an object"),
        ({"window": {"time_zone": "Mars/Base"}}, "window.time_zone", "is not a time zone"),
        ({"window": {"starts_on": "tomorrow"}}, "window.starts_on", "must be a date YYYY-MM-DD"),
        ({"window": {"ends_on": "2026-02-30"}}, "window.ends_on", "must be a date YYYY-MM-DD"),
        ({"window": {"weekdays": [1, 7]}}, "window.weekdays", "list weekdays 0 (Monday)"),
        ({"window": {"weekdays": []}}, "window.weekdays", "list weekdays 0 (Monday)"),
        ({"window": {"hours": ["18:00", "09:00"]}}, "window.hours", "start first"),
        ({"window": {"hours": ["9:00", "18:00"]}}, "window.hours", '["HH:MM", "HH:MM"]'),
        ({"window": {"hours": ["09:00", "24:01"]}}, "window.hours", '["HH:MM", "HH:MM"]'),
        ({"required_skills": "industries:retail"}, "required_skills", "a list of skill names"),
        ({"required_skills": [""]}, "required_skills", "a list of skill names"),
        ({"name": "  "}, "name", "1 to 200 characters"),
        ({"priority": -1}, "priority", "from 0 to 1000000"),
        ({"priority": True}, "priority", "from 0 to 1000000"),
        ({"priority": 1_000_001}, "priority", "from 0 to 1000000"),
        ({"colour": "red"}, "colour", "is not a rule field"),
        ({"is_default": True}, "is_default", "is not a rule field"),
    ],
)  # fmt: skip
def test_a_bad_part_is_refused_by_its_json_path(
    uow: FakeUnitOfWork, clock: FixedClock, fields: dict[str, Any], path: str, says: str
) -> None:
    a_rep(uow, clock, "Alice")

    error = refused_rule(uow, clock, **fields)

    assert bad_fields(error) == {path}
    assert says in message_for(error, path)


def test_every_bad_part_is_named_at_once(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    error = refused_rule(
        uow,
        clock,
        name="",
        conditions={"field": "region", "op": "equals", "value": "East"},
        target={"kind": "reps", "rep_ids": [404]},
        strategy="fastest",
        fallback="panic",
        window={"weekdays": [9], "hours": ["late", "later"]},
        required_skills=[1],
    )

    assert bad_fields(error) == {
        "name",
        "conditions.op",
        "target.rep_ids[0]",
        "strategy",
        "fallback",
        "window.weekdays",
        "window.hours",
        "required_skills",
    }


def test_a_good_rule_of_each_target_kind_is_accepted(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    alice = a_rep(uow, clock, "Alice")
    team = in_transaction(
        uow, lambda: org.create_team(uow=uow, name="East team", actor=SYSTEM, now=clock.now())
    )
    targets: list[dict[str, Any]] = [
        {"kind": "reps", "rep_ids": [alice.id]},
        {"kind": "team", "team_id": team.id, "include_subteams": False},
        {"kind": "skill", "skill": "industries:retail"},
        {"kind": "account_owner", "match_on": ["phone", "company"]},
        {"kind": "pool", "pool": "vip"},
        {"kind": "queue"},
    ]

    for position, target in enumerate(targets):
        rule = new_rule(uow, clock, name=f"Rule {position}", target=target)
        with uow:
            engine = engine_rule(uow, get_rule(uow=uow, rule_id=rule.id or 0))
        assert engine.target.kind == target["kind"]


def test_a_full_rule_round_trips_into_what_the_engine_runs(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rule = new_rule(
        uow,
        clock,
        priority=5,
        strategy="least_loaded",
        strategy_options={"default_capacity": 30},
        fallback="team_pool",
        fallback_pool="east-waiting",
        required_skills=["languages:zh"],
        window={
            "time_zone": "UTC",
            "starts_on": "2026-11-01",
            "weekdays": [0, 1, 2, 3, 4],
            "hours": ["09:00", "24:00"],
        },
        enabled=False,
    )

    with uow:
        engine = engine_rule(uow, get_rule(uow=uow, rule_id=rule.id or 0))

    assert (engine.id, engine.priority, engine.enabled) == (rule.id, 5, False)
    assert engine.fallback.value == "team_pool" and engine.fallback_pool == "east-waiting"
    assert engine.required_skills == ("languages:zh",)
    assert engine.window is not None and engine.window.hours == ("09:00", "24:00")
    assert engine.window.weekdays == frozenset(range(5)) and engine.window.time_zone == "UTC"


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"fallback_pool": "p" * 101}, id="fallback_pool longer than its column"),
        pytest.param({"enabled": "yes"}, id="enabled not a boolean"),
        pytest.param({"name": "n" * 201}, id="name longer than its column"),
    ],
)
def test_fields_the_database_would_refuse_are_refused_by_validation(
    uow: FakeUnitOfWork, clock: FixedClock, fields: dict[str, Any]
) -> None:
    refused_rule(uow, clock, **fields)


@pytest.mark.parametrize(
    "window",
    [
        pytest.param({"hour": ["09:00", "18:00"]}, id="misspelt key"),
        pytest.param({"starts_on": "2026-12-01", "ends_on": "2026-11-01"}, id="ends before start"),
    ],
)
def test_a_window_that_cannot_mean_what_was_written_is_refused(
    uow: FakeUnitOfWork, clock: FixedClock, window: dict[str, Any]
) -> None:
    error = refused_rule(uow, clock, window=window)

    assert {f.split(".")[0] for f in bad_fields(error)} == {"window"}


# Versions ---------------------------------------------------------------------------


def test_a_new_rule_is_version_one_with_its_snapshot_and_an_empty_strategy_state(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rule = new_rule(uow, clock)

    assert rule.version == 1 and rule.id is not None
    [first] = uow.rules.versions(rule.id)
    assert (first.version, first.actor, first.at) == (1, "system", clock.now())
    assert first.snapshot["conditions"] == EAST and first.snapshot["name"] == "East"
    assert uow.rules.states() == {rule.id: {}}
    assert [e.action for e in uow.audit.find(object_type="rule")] == ["create"]


def test_each_change_is_a_new_version_and_the_old_ones_are_kept(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rule = new_rule(uow, clock)
    clock.advance(hours=1)
    changed(uow, clock, rule, name="East (all)", conditions={})
    clock.advance(hours=1)
    latest = changed(uow, clock, rule, priority=7)

    assert latest.version == 3
    history = uow.rules.versions(rule.id or 0)
    assert [(v.version, v.snapshot["name"], v.snapshot["priority"]) for v in history] == [
        (1, "East", 100),
        (2, "East (all)", 100),
        (3, "East (all)", 7),
    ]
    assert [v.actor for v in history] == ["system", "alice", "alice"]
    assert history[1].snapshot["conditions"] == {}


def test_restoring_an_old_version_makes_it_current_as_a_new_version(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rule = new_rule(uow, clock, strategy="least_loaded")
    changed(uow, clock, rule, conditions={}, strategy="random", window={"weekdays": [5, 6]})
    rule_id = rule.id or 0

    restored = in_transaction(
        uow,
        lambda: restore_version(uow=uow, rule_id=rule_id, version=1, actor=ALICE, now=clock.now()),
    )

    assert restored.version == 3
    assert (restored.conditions, restored.strategy, restored.window) == (
        EAST,
        "least_loaded",
        None,
    )
    assert [v.version for v in uow.rules.versions(rule_id)] == [1, 2, 3]
    assert uow.rules.versions(rule_id)[2].snapshot == uow.rules.versions(rule_id)[0].snapshot


def test_restoring_a_version_that_does_not_exist_is_not_found(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rule_id = new_rule(uow, clock).id or 0

    error = refused(
        uow,
        NotFound,
        lambda: restore_version(uow=uow, rule_id=rule_id, version=9, actor=ALICE, now=clock.now()),
    )
    assert error.key == 9
    refused(
        uow,
        NotFound,
        lambda: restore_version(uow=uow, rule_id=404, version=1, actor=ALICE, now=clock.now()),
    )


def test_an_update_with_an_unknown_field_changes_nothing(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rule_id = new_rule(uow, clock).id or 0

    error = refused(
        uow,
        ValidationFailed,
        lambda: update_rule(
            uow=uow, rule_id=rule_id, fields={"version": 9}, actor=ALICE, now=clock.now()
        ),
    )

    assert bad_fields(error) == {"version"}


def test_a_refused_update_leaves_the_rule_as_it_was(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    rule_id = new_rule(uow, clock).id or 0

    refused(
        uow,
        ValidationFailed,
        lambda: update_rule(
            uow=uow, rule_id=rule_id, fields={"strategy": "fastest"}, actor=ALICE, now=clock.now()
        ),
    )


def test_a_refused_update_saves_no_version(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    rule_id = new_rule(uow, clock).id or 0

    with uow, pytest.raises(ValidationFailed):
        update_rule(
            uow=uow, rule_id=rule_id, fields={"strategy": "fastest"}, actor=ALICE, now=clock.now()
        )

    assert [v.version for v in uow.rules.versions(rule_id)] == [1]
    assert get_rule(uow=uow, rule_id=rule_id).strategy == "round_robin"


# Order ------------------------------------------------------------------------------


def test_reordering_gives_priorities_ten_twenty_thirty_and_the_default_stays_last(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    default_rule(uow, clock)
    a, b, c = (new_rule(uow, clock, name=name, priority=10) for name in "ABC")
    wanted = [c.id or 0, a.id or 0, b.id or 0]

    in_transaction(
        uow, lambda: reorder_rules(uow=uow, rule_ids=wanted, actor=ALICE, now=clock.now())
    )

    assert [(r.name, r.priority) for r in uow.rules.active()] == [
        ("C", 10),
        ("A", 20),
        ("B", 30),
        (DEFAULT_RULE_NAME, 1_000_000),
    ]
    # Only the rules whose priority changed have a new version.
    assert [len(uow.rules.versions(r.id or 0)) for r in (a, b, c)] == [2, 2, 1]


def test_reordering_refuses_a_rule_listed_twice(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    a = new_rule(uow, clock)

    error = refused(
        uow,
        ValidationFailed,
        lambda: reorder_rules(
            uow=uow, rule_ids=[a.id or 0, a.id or 0], actor=ALICE, now=clock.now()
        ),
    )

    assert message_for(error, "rule_ids") == "lists a rule twice"


def test_reordering_refuses_to_move_the_default_rule(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    default = default_rule(uow, clock)
    a = new_rule(uow, clock)

    with uow, pytest.raises(ValidationFailed) as caught:
        reorder_rules(uow=uow, rule_ids=[a.id or 0, default.id or 0], actor=ALICE, now=clock.now())

    assert message_for(caught.value, "rule_ids[1]") == "the default rule is always last"


def test_a_refused_reorder_changes_nothing(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    default = default_rule(uow, clock)
    a = new_rule(uow, clock, priority=50)

    refused(
        uow,
        ValidationFailed,
        lambda: reorder_rules(
            uow=uow, rule_ids=[a.id or 0, default.id or 0], actor=ALICE, now=clock.now()
        ),
    )


def test_reordering_a_rule_that_does_not_exist_is_not_found(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    with uow, pytest.raises(NotFound):
        reorder_rules(uow=uow, rule_ids=[404], actor=ALICE, now=clock.now())


# The default rule -------------------------------------------------------------------


def test_the_default_rule_catches_everything_into_the_public_pool_and_is_made_once(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    first = default_rule(uow, clock)
    again = default_rule(uow, clock)

    assert first.id == again.id
    assert [r.id for r in uow.rules.active()] == [first.id]
    assert (first.is_default, first.conditions, first.target) == (
        True,
        {},
        {"kind": "pool", "pool": PUBLIC_POOL},
    )


def test_the_default_rule_is_tried_after_a_rule_of_the_same_or_lower_priority(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    default = default_rule(uow, clock)
    last = new_rule(uow, clock, name="Last", priority=1_000_000)

    assert [r.id for r in uow.rules.active()] == [last.id, default.id]


def test_the_default_rules_history_says_it_is_the_default(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    default = default_rule(uow, clock)

    assert uow.rules.versions(default.id or 0)[0].snapshot["is_default"] is True


def test_the_default_rules_conditions_cannot_be_narrowed(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    default_id = default_rule(uow, clock).id or 0

    error = refused(
        uow,
        ValidationFailed,
        lambda: update_rule(
            uow=uow, rule_id=default_id, fields={"conditions": EAST}, actor=ALICE, now=clock.now()
        ),
    )

    assert "catches everything" in message_for(error, "conditions")


def test_the_default_rules_target_may_change_and_it_stays_the_default(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    default = default_rule(uow, clock)

    updated = changed(
        uow, clock, default, conditions={}, target={"kind": "pool", "pool": "unsorted"}
    )

    assert updated.is_default and updated.target == {"kind": "pool", "pool": "unsorted"}
    assert [r.id for r in uow.rules.active()][-1] == default.id


def test_the_default_rule_cannot_be_deleted(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    default_id = default_rule(uow, clock).id or 0

    error = refused(
        uow,
        ValidationFailed,
        lambda: delete_rule(uow=uow, rule_id=default_id, actor=ALICE, now=clock.now()),
    )

    assert message_for(error, "rule_id") == "the default rule cannot be deleted"


def test_a_deleted_rule_leaves_routing_but_keeps_its_history(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rule_id = new_rule(uow, clock).id or 0
    clock.advance(timedelta(minutes=5))

    in_transaction(uow, lambda: delete_rule(uow=uow, rule_id=rule_id, actor=ALICE, now=clock.now()))

    assert uow.rules.active() == [] and uow.rules.get(rule_id) is None
    assert [v.version for v in uow.rules.versions(rule_id)] == [1]
    assert uow.audit.find(object_type="rule")[0].action == "delete"
    with uow, pytest.raises(NotFound):
        update_rule(uow=uow, rule_id=rule_id, fields={"priority": 1}, actor=ALICE, now=clock.now())


# --- who reads the rule book --------------------------------------------------------------

READERS = [Actor("ada", Role.admin), Actor("max", Role.manager), Actor("aud", Role.auditor)]
A_REP = Actor("rosie", Role.rep, rep_id=1)


def rule_book_reads(uow: FakeUnitOfWork, clock: FixedClock, rule_id: int, actor: Actor) -> None:
    """Every read of the rule book a service offers, as ``actor``."""
    list_rules(uow=uow, actor=actor)
    read_rule(uow=uow, rule_id=rule_id, actor=actor)
    rule_versions(uow=uow, rule_id=rule_id, actor=actor)
    rule_tester.check_draft(uow=uow, draft_fields={}, actor=actor, rule_id=rule_id)
    rule_tester.preview(
        uow=uow,
        rulebook=RuleBook(),
        fields={"name": "W", "region": "East"},
        actor=actor,
        now=clock.now(),
        rng=Random(1),
    )
    rule_tester.try_rule(
        uow=uow,
        rulebook=RuleBook(),
        draft_fields={},
        customer_fields={"region": "East"},
        actor=actor,
        now=clock.now(),
        rng=Random(1),
        rule_id=rule_id,
    )


@pytest.mark.parametrize("actor", READERS, ids=lambda a: a.role.value)
def test_admins_managers_and_auditors_read_and_preview_the_rule_book(
    uow: FakeUnitOfWork, clock: FixedClock, actor: Actor
) -> None:
    rule = new_rule(uow, clock)
    assert rule.id is not None

    with uow:
        rule_book_reads(uow, clock, rule.id, actor)
        assert [r.id for r in list_rules(uow=uow, actor=actor)] == [rule.id]


@pytest.mark.parametrize(
    "read",
    [
        lambda uow, clock, rule_id: list_rules(uow=uow, actor=A_REP),
        lambda uow, clock, rule_id: read_rule(uow=uow, rule_id=rule_id, actor=A_REP),
        lambda uow, clock, rule_id: read_rule(uow=uow, rule_id=999, actor=A_REP),
        lambda uow, clock, rule_id: rule_versions(uow=uow, rule_id=rule_id, actor=A_REP),
        lambda uow, clock, rule_id: rule_tester.check_draft(
            uow=uow, draft_fields={}, actor=A_REP, rule_id=rule_id
        ),
        lambda uow, clock, rule_id: rule_tester.preview(
            uow=uow,
            rulebook=RuleBook(),
            fields={"name": "W"},
            actor=A_REP,
            now=clock.now(),
            rng=Random(1),
        ),
        lambda uow, clock, rule_id: rule_tester.try_rule(
            uow=uow,
            rulebook=RuleBook(),
            draft_fields={},
            customer_fields={},
            actor=A_REP,
            now=clock.now(),
            rng=Random(1),
        ),
    ],
    ids=["list", "read", "read a missing one", "versions", "check", "preview", "try"],
)
def test_a_rep_sees_nothing_of_the_rule_book(
    uow: FakeUnitOfWork, clock: FixedClock, read: Any
) -> None:
    rule = new_rule(uow, clock)

    error = refused(uow, PermissionDenied, lambda: read(uow, clock, rule.id))

    assert str(error).startswith("only an admin, a manager or an auditor may")


def test_restoring_a_version_is_for_admins_even_when_it_does_not_exist(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rule = new_rule(uow, clock)
    assert rule.id is not None
    rule_id = rule.id

    refused(
        uow,
        PermissionDenied,
        lambda: restore_version(
            uow=uow, rule_id=rule_id, version=9, actor=READERS[1], now=clock.now()
        ),
    )
