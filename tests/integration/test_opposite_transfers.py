"""Two transfers in opposite directions at once (Alice's customer to Bob, Bob's to Alice)
touch the same two reps' rows — the rep locks, the load counters the customer triggers
move, the intake counted with the record — from opposite ends. Every lock is taken in one
order (customers, then reps, then counters by rep id), so they wait for each other
instead of deadlocking. PostgreSQL only: SQLite writers are serial."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.bootstrap import Fenpei
from fenpei.domain.users import SYSTEM
from fenpei.services.assignments import assign
from fenpei.services.customers import create_customer
from fenpei.services.loads import check_loads
from fenpei.services.org import create_rep

ROUNDS = 40
START_TIMEOUT = 60  # seconds to wait for the other thread; a bound, not a timing


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_opposite_transfers_at_once_never_deadlock_and_keep_the_counters_true(
    app: Fenpei,
) -> None:
    with app.uow() as uow:
        alice, bob = (
            create_rep(uow=uow, fields={"name": name}, actor=SYSTEM, now=app.now())
            for name in ("Alice", "Bob")
        )
        mine, yours = (
            create_customer(uow=uow, fields={"name": name}, actor=SYSTEM, now=app.now())
            for name in ("Mine", "Yours")
        )
        uow.commit()
    assert alice.id and bob.id and mine.id and yours.id
    for customer, rep in ((mine.id, alice.id), (yours.id, bob.id)):
        with app.uow() as uow:
            assign(uow=uow, customer_id=customer, rep_id=rep, actor=SYSTEM, now=app.now())
            uow.commit()

    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def swap(customer_id: int, first: int, second: int) -> None:
        try:
            for n in range(ROUNDS):
                start.wait(timeout=START_TIMEOUT)  # both transfers of a round start together
                with app.uow() as uow:
                    assign(
                        uow=uow,
                        customer_id=customer_id,
                        rep_id=second if n % 2 == 0 else first,
                        actor=SYSTEM,
                        now=app.now(),
                        reason=f"swap {n}",
                    )
                    uow.commit()
        except BaseException as exc:  # surfaced by the assertion below
            start.abort()
            failures.append(exc)

    threads = [
        threading.Thread(target=swap, args=(mine.id, alice.id, bob.id)),
        threading.Thread(target=swap, args=(yours.id, bob.id, alice.id)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    with app.engine.connect() as connection:
        owners = dict(connection.execute(sa.select(t.customers.c.id, t.customers.c.owner_id)).all())
        records = connection.execute(
            sa.select(sa.func.count()).select_from(t.assignments)
        ).scalar_one()
    assert owners == {mine.id: alice.id, yours.id: bob.id}  # an even number of swaps each
    assert records == 2 + 2 * ROUNDS
    with app.uow() as uow:
        assert check_loads(uow=uow, now=app.now()).drifts == []
