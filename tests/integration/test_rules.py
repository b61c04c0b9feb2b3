"""Rules as an admin manages them: versions, restore, reorder, the default rule."""

from __future__ import annotations

import pytest

from fenpei.bootstrap import Fenpei
from fenpei.domain.errors import ValidationFailed
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services import rules
from tests.integration._routing_world import World, add_rule, build_world

ALICE_ADMIN = Actor("alice-admin", Role.admin)


@pytest.fixture
def world(app: Fenpei) -> World:
    return build_world(app)


def test_every_change_is_a_version_and_an_old_one_can_be_restored(
    app: Fenpei, world: World
) -> None:
    rule_id = add_rule(
        app,
        name="East",
        conditions={"field": "region", "op": "eq", "value": "East"},
        target={"kind": "team", "team_id": world.east},
    )
    with app.uow() as uow:
        rules.update_rule(
            uow=uow,
            rule_id=rule_id,
            fields={"strategy": "least_loaded"},
            actor=ALICE_ADMIN,
            now=app.now(),
        )
        rules.restore_version(uow=uow, rule_id=rule_id, version=1, actor=ALICE_ADMIN, now=app.now())
        uow.commit()
        versions = uow.rules.versions(rule_id)
        current = rules.get_rule(uow=uow, rule_id=rule_id)
        audit = uow.audit.find(object_type="rule", object_id=str(rule_id))

    assert [(v.version, v.snapshot["strategy"], v.actor) for v in versions] == [
        (1, "round_robin", "system"),
        (2, "least_loaded", "alice-admin"),
        (3, "round_robin", "alice-admin"),
    ]
    assert (current.version, current.strategy) == (3, "round_robin")
    assert [a.action for a in audit] == ["update", "update", "create"]


def test_reorder_sets_priorities_and_keeps_the_default_last(app: Fenpei, world: World) -> None:
    first = add_rule(app, name="A", conditions={}, target={"kind": "queue"})
    second = add_rule(app, name="B", conditions={}, target={"kind": "queue"})

    with app.uow() as uow:
        rules.reorder_rules(uow=uow, rule_ids=[second, first], actor=SYSTEM, now=app.now())
        uow.commit()
        order = [(r.name, r.priority) for r in uow.rules.active()]

    assert order[:2] == [("B", 10), ("A", 20)]
    assert order[-1][0].startswith("Default")


def test_the_default_rule_cannot_be_deleted_or_narrowed(app: Fenpei, world: World) -> None:
    with app.uow() as uow:
        default = next(r for r in uow.rules.active() if r.is_default)
        assert default.id is not None
        with pytest.raises(ValidationFailed, match="cannot be deleted"):
            rules.delete_rule(uow=uow, rule_id=default.id, actor=SYSTEM, now=app.now())
        with pytest.raises(ValidationFailed, match="catches everything"):
            rules.update_rule(
                uow=uow,
                rule_id=default.id,
                fields={"conditions": {"field": "region", "op": "eq", "value": "East"}},
                actor=SYSTEM,
                now=app.now(),
            )
        rules.update_rule(
            uow=uow,
            rule_id=default.id,
            fields={"target": {"kind": "team", "team_id": world.east}},
            actor=SYSTEM,
            now=app.now(),
        )
        uow.commit()


def test_an_id_no_database_column_can_hold_is_refused_not_crashed_on(
    app: Fenpei, world: World
) -> None:
    for target, field in (
        ({"kind": "reps", "rep_ids": [10**40]}, "target.rep_ids"),
        ({"kind": "team", "team_id": 10**40}, "target.team_id"),
    ):
        with pytest.raises(ValidationFailed) as caught:
            add_rule(app, name="Huge", conditions={}, target=target)
        assert [e.field for e in caught.value.errors] == [field]
