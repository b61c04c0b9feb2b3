"""Redistributing a pool over HTTP: the dry run changes nothing, the real run assigns and
records; a rep is refused, a bad rule is named."""

from __future__ import annotations

import sqlalchemy as sa
from starlette.testclient import TestClient

from fenpei.adapters.db import tables as t
from fenpei.bootstrap import Fenpei
from fenpei.domain.users import SYSTEM, Role
from fenpei.services.rules import create_rule
from tests.e2e.conftest import World
from tests.e2e.test_api import assert_error
from tests.e2e.test_api_org import API, client_for, ok
from tests.e2e.test_api_pools import _into_pool
from tests.e2e.test_api_rules import create, default_rule, east_rule


def team_rule(app: Fenpei, seeded: World) -> int:
    with app.uow() as uow:
        rule = create_rule(
            uow=uow,
            actor=SYSTEM,
            now=app.now(),
            fields={
                "name": "East optimal",
                "strategy": "batch_optimal",
                "target": {"kind": "team", "team_id": seeded.team_id},
            },
        )
        uow.commit()
    assert rule.id is not None
    return rule.id


def _owners(app: Fenpei, *ids: int) -> list[int | None]:
    with app.engine.connect() as connection:
        found = dict(
            connection.execute(
                sa.select(t.customers.c.id, t.customers.c.owner_id).where(t.customers.c.id.in_(ids))
            ).all()
        )
    return [found[i] for i in ids]


def test_a_dry_run_then_the_redistribution_itself(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    for customer_id in (seeded.globex_id, seeded.script_id):
        _into_pool(app, customer_id)
    rule_id = team_rule(app, seeded)
    url = f"{API}/pools/public/redistribute"

    preview = ok(user_client.post(url, json={"rule_id": rule_id}))
    untouched = _owners(app, seeded.globex_id, seeded.script_id)
    done = ok(user_client.post(url, json={"rule_id": rule_id, "dry_run": False}))

    assert (preview["dry_run"], preview["considered"], preview["staying"]) == (True, 2, 0)
    assert preview["expected_wins"] is None  # no affinity model: spread by load
    assert sum(line["customers"] for line in preview["reps"]) == 2
    assert {d["reason_code"] for d in preview["decisions"]} == {"predicted_conversion.no_model"}
    assert untouched == [None, None]
    assert done["reps"] == preview["reps"]
    owners = _owners(app, seeded.globex_id, seeded.script_id)
    assert set(owners) <= {seeded.moses_id, seeded.darcel_id} and None not in owners


def test_reps_are_refused_and_a_bad_rule_is_named(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    rule_id = team_rule(app, seeded)
    moses = client_for(app, "moses", Role.rep, rep_id=seeded.moses_id)
    url = f"{API}/pools/public/redistribute"

    assert_error(moses.post(url, json={"rule_id": rule_id}), 403, "permission_denied")
    assert_error(user_client.post(url, json={"rule_id": 9999}), 422, "validation_failed", "rule_id")
    assert_error(user_client.post(url, json={"rule_id": 0}), 422, "validation_failed")
    assert_error(
        user_client.post(url, json={"rule_id": rule_id, "extra": 1}), 422, "validation_failed"
    )


def test_a_lead_under_predicted_conversion_without_a_model_says_so_and_bad_options_are_named(
    user_client: TestClient, seeded: World, default_rule: int
) -> None:
    rule = create(
        user_client,
        east_rule(seeded, strategy="predicted_conversion", strategy_options={"load_weight": 0.2}),
    )
    bad = user_client.post(
        f"{API}/rules",
        json=east_rule(seeded, strategy="batch_optimal", strategy_options={"max_per_rep": -1}),
    )

    lead = ok(user_client.post(f"{API}/leads", json={"name": "Wang", "region": "East"}), 201)
    decision = lead["decision"]
    assert (decision["rule_id"], decision["strategy"]) == (rule["id"], "predicted_conversion")
    assert "no prediction model is active; least loaded" in decision["text"]
    assert_error(bad, 422, "validation_failed", "strategy_options")
    assert "max_per_rep" in bad.json()["message"]


__all__ = ["default_rule"]  # the fixture, used by name
