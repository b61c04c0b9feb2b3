"""Customer and assignment services on a real database: bad input changes nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.bootstrap import Fenpei
from fenpei.domain.errors import CapacityExceeded, NotFound, ValidationFailed
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services import assignments, customers, org

GOOD = {
    "name": "张伟",
    "company_name": "上海某某科技",
    "email": "zhang.wei@example.cn",
    "phone": "+86 138-0013-8000",
    "level": "A",
    "region": "East",
    "stage": "new",
}


def _rows(app: Fenpei, table: sa.Table) -> int:
    with app.engine.connect() as connection:
        return connection.scalar(sa.select(sa.func.count()).select_from(table)) or 0


def test_customer_round_trips_with_unicode_decimal_and_aware_times(app: Fenpei) -> None:
    with app.uow() as uow:
        created = customers.create_customer(
            uow=uow,
            fields={**GOOD, "expected_value": "12000.5", "tags": "VIP，华东"},
            actor=SYSTEM,
            now=app.now(),
        )
        uow.commit()
    assert created.id is not None
    with app.uow() as uow:
        found = customers.get_customer(uow=uow, customer_id=created.id)
    assert found.name == "张伟" and str(found.expected_value) == "12000.50"
    assert found.tags == ["VIP", "华东"]
    assert found.created_at == app.now() and found.created_at.tzinfo is not None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", "is not an email address"),
        ("phone", "12ab", "may contain only digits"),
        ("level", "Z", "is not a level (one of A, B, C, D)"),
    ],
)
def test_invalid_field_is_named_and_nothing_is_written(
    app: Fenpei, field: str, value: str, message: str
) -> None:
    before = (_rows(app, t.customers), _rows(app, t.audit_log))
    with pytest.raises(ValidationFailed) as caught, app.uow() as uow:
        customers.create_customer(
            uow=uow, fields={**GOOD, field: value}, actor=SYSTEM, now=app.now()
        )
        uow.commit()
    assert [e.field for e in caught.value.errors] == [field]
    assert message in caught.value.errors[0].message
    assert (_rows(app, t.customers), _rows(app, t.audit_log)) == before


def test_assignment_to_unknown_rep_or_over_capacity_changes_nothing(app: Fenpei) -> None:
    with app.uow() as uow:
        rep = org.create_rep(
            uow=uow, fields={"name": "Alice", "max_open": 1}, actor=SYSTEM, now=app.now()
        )
        first = customers.create_customer(
            uow=uow, fields={"name": "One"}, actor=SYSTEM, now=app.now()
        )
        second = customers.create_customer(
            uow=uow, fields={"name": "Two"}, actor=SYSTEM, now=app.now()
        )
        assert rep.id and first.id and second.id
        assignments.assign(
            uow=uow, customer_id=first.id, rep_id=rep.id, actor=SYSTEM, now=app.now()
        )
        uow.commit()
    before = (_rows(app, t.assignments), _rows(app, t.audit_log))

    with pytest.raises(NotFound, match="rep 999"), app.uow() as uow:
        assignments.assign(uow=uow, customer_id=second.id, rep_id=999, actor=SYSTEM, now=app.now())
    with pytest.raises(CapacityExceeded, match="1/1 open customers"), app.uow() as uow:
        assignments.assign(
            uow=uow,
            customer_id=second.id,
            rep_id=rep.id,
            actor=Actor("root", Role.admin),
            now=app.now(),
        )

    assert (_rows(app, t.assignments), _rows(app, t.audit_log)) == before
    with app.uow() as uow:
        assert customers.get_customer(uow=uow, customer_id=second.id).owner_id is None


def test_admin_override_is_recorded_and_history_reads_in_order(app: Fenpei) -> None:
    with app.uow() as uow:
        alice = org.create_rep(
            uow=uow, fields={"name": "Alice", "max_open": 0}, actor=SYSTEM, now=app.now()
        )
        bob = org.create_rep(uow=uow, fields={"name": "Bob"}, actor=SYSTEM, now=app.now())
        customer = customers.create_customer(
            uow=uow, fields={"name": "Acme"}, actor=SYSTEM, now=app.now()
        )
        assert alice.id and bob.id and customer.id
        assignments.assign(
            uow=uow,
            customer_id=customer.id,
            rep_id=alice.id,
            actor=SYSTEM,
            now=app.now(),
            override_capacity=True,
            reason="key account",
        )
        assignments.assign(
            uow=uow,
            customer_id=customer.id,
            rep_id=bob.id,
            actor=SYSTEM,
            now=app.now(),
            reason="Alice moved teams",
        )
        uow.commit()
    with app.uow() as uow:
        records = assignments.history(uow=uow, customer_id=customer.id, actor=SYSTEM)
    assert [(r.method.value, r.from_rep_id, r.to_rep_id, r.capacity_override) for r in records] == [
        ("manual", None, alice.id, True),
        ("transfer", alice.id, bob.id, False),
    ]
    assert records[0].explanation["override"] == {"breach": "0/0 open customers"}
