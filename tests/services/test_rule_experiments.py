"""A rule's holdout and re-routing trigger through the rules service: checked with errors
naming the key at fault, run by the engine, kept in every version and restored with it."""

from __future__ import annotations

from typing import Any

import pytest

from fenpei.domain.errors import ValidationFailed
from fenpei.domain.users import SYSTEM
from fenpei.engine.model import Holdout, Reroute
from fenpei.services.rules import create_rule, engine_rule, restore_version, update_rule
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import a_rep, bad_fields, message_for, refused

HOT = {"field": "grade", "op": "eq", "value": "A"}


def _body(uow: FakeUnitOfWork, clock: FixedClock, **fields: Any) -> dict[str, Any]:
    rep = a_rep(uow, clock)
    return {
        "name": "Smart",
        "target": {"kind": "reps", "rep_ids": [rep.id]},
        "strategy": "least_loaded",
        **fields,
    }


def _refused(uow: FakeUnitOfWork, clock: FixedClock, **fields: Any) -> ValidationFailed:
    body = _body(uow, clock, **fields)
    return refused(
        uow,
        ValidationFailed,
        lambda: create_rule(uow=uow, fields=body, actor=SYSTEM, now=clock.now()),
    )


@pytest.mark.parametrize(
    ("fields", "path", "says"),
    [
        ({"holdout": {"share": 0.6, "strategy": "round_robin"}}, "holdout.share", "at most 0.5"),
        ({"holdout": {"share": 0, "strategy": "round_robin"}}, "holdout.share", "above 0"),
        ({"holdout": {"share": True}}, "holdout.share", "a number"),
        ({"holdout": {"share": 0.2, "strategy": "least_loaded"}}, "holdout.strategy",
         "must differ from the rule's own strategy"),
        ({"holdout": {"share": 0.2, "strategy": "coin"}}, "holdout.strategy", "'coin' is not"),
        ({"holdout": {"share": 0.2, "strategy": "random", "options": []}}, "holdout.options",
         "JSON object"),
        ({"holdout": {"share": 0.2, "size": 3}}, "holdout", "unknown keys size"),
        ({"holdout": 0.2}, "holdout", "must be an object"),
        ({"reroute": {"min_days": 3}}, "reroute.when", "give the condition"),
        ({"reroute": {"when": {"all": [{"field": "grade", "op": "gt", "value": "A"}]}}},
         "reroute.when.all[0].op", "'gt' does not apply"),
        ({"reroute": {"when": HOT, "min_days": -1}}, "reroute.min_days", "whole number"),
        ({"reroute": {"when": HOT, "min_days": 2.5}}, "reroute.min_days", "whole number"),
        ({"reroute": {"when": HOT, "every": 3}}, "reroute", "unknown keys every"),
    ],
)  # fmt: skip
def test_a_bad_holdout_or_trigger_is_named_by_its_key_and_changes_nothing(
    uow: FakeUnitOfWork, clock: FixedClock, fields: dict[str, Any], path: str, says: str
) -> None:
    error = _refused(uow, clock, **fields)

    assert path in bad_fields(error)
    assert says in str(message_for(error, path))


def test_a_pool_rule_can_neither_hold_out_nor_route_again(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    error = _refused(
        uow,
        clock,
        target={"kind": "pool", "pool": "east"},
        holdout={"share": 0.2, "strategy": "round_robin"},
        reroute={"when": HOT},
    )

    assert {"holdout", "reroute"} <= bad_fields(error)


def test_a_valid_holdout_and_trigger_reach_the_engine_and_every_version(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    body = _body(
        uow,
        clock,
        holdout={"share": 0.2, "strategy": "round_robin"},
        reroute={"when": HOT, "min_days": 3},
    )
    rule = in_transaction(
        uow, lambda: create_rule(uow=uow, fields=body, actor=SYSTEM, now=clock.now())
    )
    assert rule.id is not None
    rule_id = rule.id

    ran = engine_rule(uow, rule)
    assert ran.holdout == Holdout(share=0.2, strategy="round_robin", options={})
    assert ran.reroute == Reroute(when=HOT, min_days=3)

    in_transaction(
        uow,
        lambda: update_rule(
            uow=uow,
            rule_id=rule_id,
            fields={"holdout": None, "reroute": None},
            actor=SYSTEM,
            now=clock.now(),
        ),
    )
    assert engine_rule(uow, uow.rules.get(rule_id)).holdout is None  # type: ignore[arg-type]
    restored = in_transaction(
        uow,
        lambda: restore_version(uow=uow, rule_id=rule_id, version=1, actor=SYSTEM, now=clock.now()),
    )
    assert restored.holdout == {"share": 0.2, "strategy": "round_robin"}
    assert restored.reroute == {"when": HOT, "min_days": 3}
    assert uow.rules.versions(rule_id)[0].snapshot["holdout"]["share"] == 0.2
