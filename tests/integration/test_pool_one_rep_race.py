"""One rep, two sessions at once (two threads released by a barrier) on PostgreSQL: with
a daily claim cap of 1 exactly one claim lands, and with a key-account cap of 1 exactly one
mark lands — the rep's lock makes each check-then-write exact.

PostgreSQL only (SQLite writers queue for one database lock, so they cannot race)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.bootstrap import Fenpei
from fenpei.domain.assignments import AssignMethod
from fenpei.domain.errors import ClaimRefused
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services.assignments import assign
from fenpei.services.customers import create_customer
from fenpei.services.org import create_rep
from fenpei.services.pool.claims import claim
from fenpei.services.pool.key_accounts import set_key_account
from fenpei.services.pool.terms import set_terms
from fenpei.services.ports import UnitOfWork

ON_POSTGRES = pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
TIMEOUT = 60  # seconds; a deadlock fails the test instead of hanging it


def _seed(app: Fenpei, terms: dict[str, object], *, owned: bool) -> tuple[Actor, list[int]]:
    now = app.now()
    with app.uow() as uow:
        rep = create_rep(uow=uow, fields={"name": "Wang Fang"}, actor=SYSTEM, now=now)
        customers = [
            create_customer(uow=uow, fields={"name": f"Lead {n}"}, actor=SYSTEM, now=now)
            for n in range(2)
        ]
        set_terms(uow=uow, key="public", fields=terms, actor=SYSTEM, now=now)
        uow.commit()
    ids = [c.id or 0 for c in customers]
    if owned:
        with app.uow() as uow:
            for customer_id in ids:
                assign(uow=uow, customer_id=customer_id, rep_id=rep.id or 0, actor=SYSTEM, now=now)
            uow.commit()
    else:
        with app.engine.begin() as connection:  # as a rule sending them to the pool leaves them
            connection.execute(sa.update(t.customers).values(pool="public"))
    return Actor(rep.name, Role.rep, rep_id=rep.id), ids


def _at_once(app: Fenpei, works: list[Callable[[UnitOfWork], object]]) -> list[object]:
    """Each work in its own thread and unit of work, all released together; what each
    returned or raised."""
    start = threading.Barrier(len(works))
    results: list[object] = [None] * len(works)

    def run(index: int, work: Callable[[UnitOfWork], object]) -> None:
        try:
            with app.uow() as uow:
                start.wait(timeout=TIMEOUT)
                results[index] = work(uow)
                uow.commit()
        except Exception as exc:  # the refusal is the result
            results[index] = exc

    threads = [threading.Thread(target=run, args=(n, w)) for n, w in enumerate(works)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "deadlocked"
    return results


@ON_POSTGRES
def test_one_rep_claiming_from_two_sessions_at_once_gets_one_under_a_cap_of_one(
    app: Fenpei,
) -> None:
    actor, ids = _seed(app, {"daily_claim_cap": 1}, owned=False)

    results = _at_once(app, [
        lambda uow, customer_id=customer_id: claim(
            uow=uow, customer_id=customer_id, actor=actor, now=app.now()
        )
        for customer_id in ids
    ])  # fmt: skip

    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], ClaimRefused), results
    assert refused[0].kind == "daily_cap"
    with app.engine.connect() as connection:
        owned = connection.scalar(
            sa.select(sa.func.count()).where(t.customers.c.owner_id == actor.rep_id)
        )
        records = connection.scalar(
            sa.select(sa.func.count()).where(t.assignments.c.method == AssignMethod.claim)
        )
    assert (owned, records) == (1, 1)


@ON_POSTGRES
def test_one_rep_marking_two_key_accounts_at_once_gets_one_under_a_cap_of_one(
    app: Fenpei,
) -> None:
    actor, ids = _seed(app, {"max_key_accounts": 1}, owned=True)

    results = _at_once(app, [
        lambda uow, customer_id=customer_id: set_key_account(
            uow=uow, customer_id=customer_id, key_account=True, actor=actor,
            now=app.now(),
        )
        for customer_id in ids
    ])  # fmt: skip

    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], ClaimRefused), results
    assert refused[0].kind == "key_account_cap"
    with app.engine.connect() as connection:
        keys = connection.scalar(
            sa.select(sa.func.count()).where(
                t.customers.c.owner_id == actor.rep_id, t.customers.c.key_account.is_(True)
            )
        )
    assert keys == 1
