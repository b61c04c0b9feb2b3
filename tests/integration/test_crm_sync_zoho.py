"""CRM sync against a local Zoho CRM (tests/_zoho_server.py) on SQLite and PostgreSQL:
a full pull over several pages, an incremental pull, a push of 1,000 owner changes with a
rate-limit answer in the middle (nothing lost, nothing sent twice), a token revoked
mid-run, and an interrupted push resumed without sending again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from random import Random

import pytest
import sqlalchemy as sa

from fenpei.adapters.crm.zoho import ZohoAdapter
from fenpei.adapters.db import tables as t
from fenpei.bootstrap import Fenpei
from fenpei.domain.assignments import AssignMethod
from fenpei.domain.sync import PushStatus, SyncCounts
from fenpei.domain.users import SYSTEM
from fenpei.services import assignments, org
from fenpei.services.sync.run import run_sync
from tests import _zoho_server as z
from tests.fakes.clock import FixedClock


@pytest.fixture(scope="module")
def zoho() -> Iterator[z.ZohoServer]:
    server = z.ZohoServer().start()
    yield server
    server.stop()


@pytest.fixture
def crm(zoho: z.ZohoServer) -> z.ZohoServer:
    zoho.reset()
    return zoho


def _adapter(app: Fenpei, crm: z.ZohoServer, clock: FixedClock) -> ZohoAdapter:
    return ZohoAdapter(
        name="zoho",
        module="Leads",
        accounts_url=crm.url,
        api_url=crm.url,
        client_id=z.CLIENT_ID,
        client_secret=z.CLIENT_SECRET,
        refresh_token=z.REFRESH_TOKEN,
        now=app.now,
        sleep=lambda seconds: clock.advance(seconds=seconds),
    )


def _reps(app: Fenpei, crm: z.ZohoServer) -> dict[str, tuple[int, str]]:
    """Three reps, each a CRM user by email: name -> (rep id, CRM user id)."""
    found = {}
    with app.uow() as uow:
        for name in ("li", "wang", "zhao"):
            rep = org.create_rep(
                uow=uow, fields={"name": name, "email": f"{name}@example.cn"}, actor=SYSTEM,
                now=app.now(),
            )  # fmt: skip
            assert rep.id is not None
            found[name] = (rep.id, crm.add_user(f"{name}@example.cn", name.title()))
        uow.commit()
    return found


def _run(app: Fenpei, adapter: ZohoAdapter, **kwargs: bool) -> SyncCounts:
    return run_sync(
        uow_factory=app.uow, adapter=adapter, rulebook=app.rulebook, actor=SYSTEM,
        now=app.now, rng=Random(1), **kwargs,
    )  # fmt: skip


def _count(app: Fenpei, table: sa.Table, *where: sa.ColumnElement[bool]) -> int:
    with app.engine.connect() as connection:
        query = sa.select(sa.func.count()).select_from(table).where(*where)
        return connection.scalar(query) or 0


def _lead(i: int) -> dict[str, object]:
    return {
        "Full_Name": f"客户 {i}",
        "Company": f"公司 {i}",
        "Email": f"lead{i}@example.cn",
        "Phone": f"1380000{i:04d}",
        "City": "上海",
    }


def test_full_pull_over_pages_then_incremental_pull_brings_only_the_changed(
    app: Fenpei, crm: z.ZohoServer, clock: FixedClock
) -> None:
    reps = _reps(app, crm)
    ids = []
    for i in range(450):  # three pages, written a second apart
        crm.now += timedelta(seconds=1)
        ids.append(crm.add_record(reps["li"][1], **_lead(i)))
    adapter = _adapter(app, crm, clock)

    counts = _run(app, adapter)

    assert counts.errors == [] and counts.pulled == 450 and counts.created == 450
    assert _count(app, t.customers) == 450 and _count(app, t.sync_links) == 450
    assert _count(app, t.customers, t.customers.c.owner_id == reps["li"][0]) == 450
    assert _count(app, t.assignments, t.assignments.c.method == AssignMethod.sync) == 450
    assert sum(crm.updates.values()) == 0  # the CRM's own owners are not echoed back
    with app.uow() as uow:
        first_cursor = uow.sync.state("zoho").pull_cursor
    assert first_cursor == crm.now

    crm.now = crm.now.replace(hour=9)
    crm.change(ids[3], City="北京")
    crm.change(ids[7], Owner=reps["wang"][1])
    crm.add_record(reps["zhao"][1], **_lead(9999))

    again = _run(app, adapter)

    # The three changed, and the record of the cursor's own second again (unchanged).
    assert again.errors == [] and again.pulled == 3 + 1
    assert (again.created, again.updated, again.owner_changes) == (1, 1, 2)
    assert _count(app, t.customers) == 451
    with app.uow() as uow:
        assert uow.sync.state("zoho").pull_cursor == crm.now
        moved = uow.customers.get(uow.sync.customer_of("zoho", "Leads", ids[7]) or 0)
        edited = uow.customers.get(uow.sync.customer_of("zoho", "Leads", ids[3]) or 0)
    assert moved is not None and moved.owner_id == reps["wang"][0]
    assert edited is not None and edited.city == "北京"
    assert sum(crm.updates.values()) == 0

    # Nothing changed since: the cursor's own second comes again and changes nothing.
    nothing = _run(app, adapter)
    assert nothing.pulled == 3 and nothing.errors == []
    assert (nothing.created, nothing.updated, nothing.owner_changes) == (0, 0, 0)

    # A change within the cursor's very second, after the pull read it, is not missed.
    crm.change(ids[11], City="广州")
    late = _run(app, adapter)
    assert late.errors == [] and (late.created, late.updated) == (0, 1)
    with app.uow() as uow:
        edited = uow.customers.get(uow.sync.customer_of("zoho", "Leads", ids[11]) or 0)
    assert edited is not None and edited.city == "广州"


def test_pulling_the_same_records_twice_updates_and_never_duplicates(
    app: Fenpei, crm: z.ZohoServer, clock: FixedClock
) -> None:
    reps = _reps(app, crm)
    for i in range(30):
        crm.add_record(reps["li"][1], **_lead(i))
    adapter = _adapter(app, crm, clock)
    _run(app, adapter)
    with app.uow() as uow:
        state = uow.sync.state("zoho")
        state.pull_cursor = None  # as `fenpei sync reset-cursor` does
        uow.sync.save_state(state)
        uow.commit()

    again = _run(app, adapter)

    assert again.pulled == 30 and again.created == 0 and again.errors == []
    assert _count(app, t.customers) == 30 and _count(app, t.sync_links) == 30


def test_a_bad_record_is_named_and_the_others_come_in(
    app: Fenpei, crm: z.ZohoServer, clock: FixedClock
) -> None:
    reps = _reps(app, crm)
    crm.add_record(reps["li"][1], **_lead(1))
    bad = crm.add_record(reps["li"][1], **{**_lead(2), "Email": "not-an-email"})

    counts = _run(app, _adapter(app, crm, clock))

    assert counts.created == 1 and _count(app, t.customers) == 1
    assert len(counts.errors) == 1 and f"record {bad}" in counts.errors[0]
    assert "email" in counts.errors[0]


def _thousand_owner_changes(
    app: Fenpei, crm: z.ZohoServer
) -> tuple[dict[str, tuple[int, str]], list[str]]:
    reps = _reps(app, crm)
    ids = [crm.add_record(reps["li"][1], **_lead(i)) for i in range(1000)]
    return reps, ids


def _reassign_all_to(app: Fenpei, rep_id: int) -> None:
    with app.engine.connect() as connection:
        customer_ids = list(
            connection.scalars(sa.select(t.customers.c.id).order_by(t.customers.c.id))
        )
    for start in range(0, len(customer_ids), 250):
        with app.uow() as uow:
            for customer_id in customer_ids[start : start + 250]:
                assignments.assign(
                    uow=uow, customer_id=customer_id, rep_id=rep_id, actor=SYSTEM,
                    now=app.now(), reason="territory change", override_capacity=True,
                )  # fmt: skip
            uow.commit()


def test_push_of_1000_owner_changes_with_a_rate_limit_answer_loses_nothing_and_sends_nothing_twice(
    app: Fenpei, crm: z.ZohoServer, clock: FixedClock
) -> None:
    reps, ids = _thousand_owner_changes(app, crm)
    adapter = _adapter(app, crm, clock)
    _run(app, adapter)  # pull the 1,000 in, owned by li
    _reassign_all_to(app, reps["wang"][0])  # 1,000 transfers made in fenpei
    calls_before = crm.calls
    # users, the pull (the cursor's second again: the 1,000 records, 5 pages of 200), then
    # 10 PUTs of 100: the 429 lands on the 5th PUT.
    crm.rate_limit_at = calls_before + 6 + 5
    crm.revoke_tokens_at = calls_before + 6 + 8  # and the token dies before the 8th PUT

    counts = _run(app, adapter)

    assert counts.errors == [] and counts.pushed == 1000
    assert crm.rate_limited == 1 and adapter.waits == [30.0]
    assert adapter.refreshes == 2  # the first token, and once after the revocation
    assert set(crm.updates) == set(ids) and set(crm.updates.values()) == {1}
    assert all(crm.owner_of(i) == reps["wang"][1] for i in ids)
    assert _count(app, t.sync_pushes, t.sync_pushes.c.status == PushStatus.sent) == 1000

    again = _run(app, adapter)  # nothing new: nothing sent
    assert again.pushed == 0 and set(crm.updates.values()) == {1}


def test_a_push_interrupted_after_sending_is_not_sent_again(
    app: Fenpei, crm: z.ZohoServer, clock: FixedClock
) -> None:
    reps, ids = _thousand_owner_changes(app, crm)
    adapter = _adapter(app, crm, clock)
    _run(app, adapter)
    _reassign_all_to(app, reps["zhao"][0])

    class Dies(Exception):
        pass

    real_push = adapter.push_owners
    sent = 0

    def dies_after_third_call(changes):  # type: ignore[no-untyped-def]
        nonlocal sent
        answers = real_push(changes)  # the CRM applied it ...
        sent += 1
        if sent == 3:
            raise Dies  # ... and the process died before recording the answers
        return answers

    adapter.push_owners = dies_after_third_call  # type: ignore[method-assign]
    with pytest.raises(Dies):
        _run(app, adapter)
    adapter.push_owners = real_push  # type: ignore[method-assign]
    assert _count(app, t.sync_pushes, t.sync_pushes.c.status == PushStatus.sending) == 100

    counts = _run(app, adapter)  # the next run: checks the 100 in doubt, sends the rest

    assert counts.errors == [] and counts.pushed == 700
    assert set(crm.updates) == set(ids) and set(crm.updates.values()) == {1}
    assert _count(app, t.sync_pushes, t.sync_pushes.c.status == PushStatus.sent) == 1000


def test_an_expired_token_is_refreshed_before_the_call_and_a_refused_refresh_is_named(
    app: Fenpei, crm: z.ZohoServer, clock: FixedClock
) -> None:
    _reps(app, crm)
    adapter = _adapter(app, crm, clock)
    _run(app, adapter)
    clock.advance(hours=2)  # past expires_in (3600 s) by the adapter's clock

    _run(app, adapter)

    assert adapter.refreshes == 2 and crm.token_requests == 2
    wrong = ZohoAdapter(
        name="zoho", module="Leads", accounts_url=crm.url, api_url=crm.url,
        client_id=z.CLIENT_ID, client_secret="wrong", refresh_token=z.REFRESH_TOKEN,
        now=app.now, sleep=lambda seconds: None,
    )  # fmt: skip
    refused = _run(app, wrong)
    assert refused.errors == ["zoho: token refresh refused: invalid_code"]
    with app.uow() as uow:
        assert uow.sync.state("zoho").last_error == refused.errors[0]
    assert "wrong" not in refused.errors[0]
