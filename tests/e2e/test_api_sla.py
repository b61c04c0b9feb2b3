"""SLA over HTTP: an admin sets policies, a new owner's clock shows its due time in the
owner's zone and the business time left; a manager pauses and resumes it; the year's
holidays come from the package and an admin's import. Bad input: 422 naming the field."""

from __future__ import annotations

from random import Random

from starlette.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.domain.sla import MAX_MINUTES
from fenpei.domain.users import SYSTEM, Role
from fenpei.services.assignments import assign
from fenpei.services.follow_ups.records import record_follow_up
from fenpei.services.sla.check import check
from tests.e2e.conftest import World
from tests.e2e.test_api import assert_error
from tests.e2e.test_api_org import API, client_for, ok
from tests.fakes import FixedClock


def test_an_admin_sets_a_policy_and_the_new_owners_clock_shows_it(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    policy = ok(
        user_client.post(
            f"{API}/sla-policies",
            json={"name": "两小时", "first_contact_minutes": 120, "remind_before_minutes": 30},
        ),
        201,
    )
    with app.uow() as uow:  # Monday 17:30 in Shanghai
        for customer_id in (seeded.script_id, seeded.globex_id):
            assign(uow=uow, customer_id=customer_id, rep_id=seeded.moses_id, actor=SYSTEM,
                   now=app.now())  # fmt: skip
        uow.commit()

    shown = ok(user_client.get(f"{API}/customers/{seeded.script_id}/sla"))
    none = ok(user_client.get(f"{API}/customers/{seeded.globex_id}/sla"))  # won: no contact due
    paused = ok(user_client.post(f"{API}/customers/{seeded.script_id}/sla/pause"))
    twice = user_client.post(f"{API}/customers/{seeded.script_id}/sla/pause")
    resumed = ok(user_client.post(f"{API}/customers/{seeded.script_id}/sla/resume"))
    listed = ok(user_client.get(f"{API}/sla-policies"))

    assert (shown["state"], shown["policy_name"], shown["rep_name"]) == (
        "open", "两小时", "Moses Frase",
    )  # fmt: skip
    # 30 minutes left on Monday, 90 on Tuesday morning
    assert (shown["due_local"], shown["time_zone"]) == ("2026-11-03 10:30", "Asia/Shanghai")
    assert shown["remaining_minutes"] == 120
    assert none is None
    assert paused["paused"] is True and resumed["paused"] is False
    assert_error(twice, 409, "conflict")
    assert [p["id"] for p in listed] == [policy["id"]]


def test_policy_input_is_checked_and_only_admins_change_policies(
    app: Fenpei, user_client: TestClient, seeded: World
) -> None:
    bad = user_client.post(
        f"{API}/sla-policies", json={"name": "x", "first_contact_minutes": 0, "calendar": "moon"}
    )
    too_soon = user_client.post(
        f"{API}/sla-policies",
        json={"name": "x", "first_contact_minutes": 10, "remind_before_minutes": 10},
    )
    no_rule = user_client.post(
        f"{API}/sla-policies", json={"name": "x", "first_contact_minutes": 10, "rule_id": 9999}
    )
    rep = client_for(app, "moses", Role.rep, rep_id=seeded.moses_id)
    refused = rep.post(f"{API}/sla-policies", json={"name": "x", "first_contact_minutes": 10})
    rep_reads = rep.get(f"{API}/sla-policies")
    rep_pauses = rep.post(f"{API}/customers/{seeded.acme_id}/sla/pause")
    missing = user_client.patch(f"{API}/sla-policies/999", json={"name": "y"})

    assert_error(bad, 422, "validation_failed", "first_contact_minutes")
    assert_error(too_soon, 422, "validation_failed", "remind_before_minutes")
    assert_error(no_rule, 422, "validation_failed", "rule_id")
    assert_error(refused, 403, "permission_denied")
    assert_error(rep_reads, 403, "permission_denied")
    assert_error(rep_pauses, 403, "permission_denied")
    assert_error(missing, 404, "not_found")


def test_the_years_holidays_come_from_the_package_and_the_admins_import(
    user_client: TestClient, seeded: World
) -> None:
    year_2026 = ok(user_client.get(f"{API}/holidays/2026"))
    imported = ok(
        user_client.put(
            f"{API}/holidays/2027",
            json={"csv": "2027-10-01,holiday,国庆节\n2027-09-26,workday,国庆调休\n"},
        )
    )
    bad = user_client.put(f"{API}/holidays/2027", json={"csv": "2027-13-01,holiday,x\n"})
    still = ok(user_client.get(f"{API}/holidays/2027"))
    ok(user_client.delete(f"{API}/holidays/2027"), 204)
    gone = ok(user_client.get(f"{API}/holidays/2027"))

    national = [d for d in year_2026["days"] if d["day"] == "2026-10-10"]
    assert national == [
        {"day": "2026-10-10", "kind": "workday", "name": "National Day", "source": "official",
         "overrides": False}
    ]  # fmt: skip
    assert year_2026["package_covers"] is True and imported["package_covers"] is False
    assert [(d["day"], d["kind"], d["source"]) for d in imported["days"]] == [
        ("2027-09-26", "workday", "imported"), ("2027-10-01", "holiday", "imported"),
    ]  # fmt: skip
    assert_error(bad, 422, "validation_failed", "row 1")
    assert still["days"] == imported["days"]
    assert gone["days"] == []


def test_a_next_contact_target_is_checked_and_the_clock_after_a_contact_is_a_next_one(
    app: Fenpei, user_client: TestClient, seeded: World, clock: FixedClock
) -> None:
    base = {"name": "再联系", "first_contact_minutes": 120}
    hostile: list[object] = [0, -1, MAX_MINUTES + 1, 2**63, 1.5, 60.0, "60", "六十", True,
                             [], {}, "１２"]  # fmt: skip
    refused = [
        user_client.post(f"{API}/sla-policies", json={**base, "next_contact_minutes": value})
        for value in hostile
    ]
    too_short = user_client.post(
        f"{API}/sla-policies",
        json={**base, "remind_before_minutes": 30, "next_contact_minutes": 30},
    )
    policy = ok(user_client.post(f"{API}/sla-policies", json={**base, "next_contact_minutes": 60}),
                201)  # fmt: skip
    patched_bad = user_client.patch(
        f"{API}/sla-policies/{policy['id']}", json={"next_contact_minutes": 0}
    )
    with app.uow() as uow:  # Monday 17:30 in Shanghai
        assign(uow=uow, customer_id=seeded.script_id, rep_id=seeded.moses_id, actor=SYSTEM,
               now=app.now())  # fmt: skip
        uow.commit()
    first = ok(user_client.get(f"{API}/customers/{seeded.script_id}/sla"))
    with app.uow() as uow:
        record_follow_up(
            uow=uow, customer_id=seeded.script_id, actor=SYSTEM, kind="phone", at=app.now(),
            content="通话", now=app.now(),
        )  # fmt: skip
        uow.commit()
    clock.advance(minutes=5)
    check(uow_factory=app.uow, rulebook=app.rulebook, now=app.now(), rng=Random(1))
    after = ok(user_client.get(f"{API}/customers/{seeded.script_id}/sla"))
    cleared = ok(
        user_client.patch(f"{API}/sla-policies/{policy['id']}", json={"next_contact_minutes": None})
    )

    for response in refused:
        assert_error(response, 422, "validation_failed", "next_contact_minutes")
    assert_error(too_short, 422, "validation_failed", "next_contact_minutes")
    assert_error(patched_bad, 422, "validation_failed", "next_contact_minutes")
    assert policy["next_contact_minutes"] == 60
    assert (first["kind"], first["state"]) == ("first", "open")
    # contacted Monday 17:30: the next contact is due at 09:30 on Tuesday morning
    assert (after["kind"], after["state"], after["due_local"]) == (
        "next",
        "open",
        "2026-11-03 09:30",
    )
    assert after["remaining_minutes"] == 55
    assert cleared["next_contact_minutes"] is None
    assert [p["id"] for p in ok(user_client.get(f"{API}/sla-policies"))] == [policy["id"]]
