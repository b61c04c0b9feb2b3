"""The fakes behave like the SQL adapters they stand in for (transactions, queries, limits)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from fenpei.domain.assignments import Assignment, AssignMethod
from fenpei.domain.customers import Customer, Stage
from fenpei.domain.org import Leave, Rep, Team
from fenpei.engine.capacity import Usage
from fenpei.services.ports import Clock, CustomerQuery, PasswordHasher, UnitOfWork
from tests.fakes import FakeHasher, FakeUnitOfWork, FixedClock, StoreRefused, in_transaction

# Structural checks: mypy rejects these lines if a fake drifts from its port.
_uow: UnitOfWork = FakeUnitOfWork()
_hasher: PasswordHasher = FakeHasher()
_clock: Clock = FixedClock()

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
EAST_8 = timezone(timedelta(hours=8))


def _customer(name: str, **fields: object) -> Customer:
    fields.setdefault("created_at", NOW)
    return Customer(name=name, updated_at=NOW, **fields)  # type: ignore[arg-type]


def test_changes_without_commit_are_discarded_when_the_block_ends() -> None:
    uow = FakeUnitOfWork()
    with uow:
        uow.customers.add(_customer("Li Lei"))
        assert uow.customers.get(1) is not None
    assert uow.customers.get(1) is None
    assert not uow.committed


def test_commit_keeps_changes_and_sets_committed() -> None:
    uow = FakeUnitOfWork()
    with uow:
        uow.customers.add(_customer("Li Lei"))
        uow.commit()
    assert uow.committed
    with uow:
        found = uow.customers.get(1)
        assert found is not None and found.name == "Li Lei"
        assert not uow.committed, "a new block starts uncommitted"


def test_changes_after_the_last_commit_are_discarded_including_edits_of_loaded_objects() -> None:
    uow = FakeUnitOfWork()
    in_transaction(uow, lambda: uow.customers.add(_customer("Li Lei")))
    with uow:
        loaded = uow.customers.get(1)
        assert loaded is not None
        loaded.name = "Han Meimei"
        uow.customers.add(_customer("Zhang Wei"))
    with uow:
        again = uow.customers.get(1)
        assert again is not None and again.name == "Li Lei"
        assert uow.customers.get(2) is None


def test_rollback_discards_back_to_the_last_commit_and_the_block_goes_on() -> None:
    uow = FakeUnitOfWork()
    with uow:
        uow.customers.add(_customer("kept"))
        uow.commit()
        uow.customers.add(_customer("dropped"))
        uow.rollback()
        assert [c.name for c in uow.customers.search(CustomerQuery())[0]] == ["kept"]
        uow.customers.add(_customer("added after rollback"))
        uow.commit()
    assert uow.commits == 2
    assert uow.customers.search(CustomerQuery())[1] == 2


def test_commit_and_rollback_outside_a_block_are_programming_errors() -> None:
    uow = FakeUnitOfWork()
    with pytest.raises(AssertionError):
        uow.commit()
    with pytest.raises(AssertionError):
        uow.rollback()


def test_ids_count_up_per_table_from_one() -> None:
    uow = FakeUnitOfWork()
    with uow:
        first, second = _customer("a"), _customer("b")
        uow.customers.add_many([first, second])
        team = Team(name="East", created_at=NOW)
        uow.teams.add(team)
    assert (first.id, second.id, team.id) == (1, 2, 1)


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda c: setattr(c, "name", "x" * 201), "name"),
        (lambda c: setattr(c, "created_at", datetime(2026, 1, 1)), "created_at"),
        (lambda c: setattr(c, "closed_at", datetime(1, 1, 1, tzinfo=EAST_8)), "closed_at"),
        (lambda c: setattr(c, "employees", 2**31), "employees"),
        (lambda c: setattr(c, "revenue", Decimal("1e14")), "revenue"),
        (lambda c: setattr(c, "custom", {"x": float("nan")}), "custom"),
        (lambda c: setattr(c, "owner_id", 99), "owner_id"),
        (lambda c: setattr(c, "stage", "maybe"), "stage"),
    ],
)
def test_the_store_refuses_at_commit_what_the_database_would_refuse(
    change: object, complaint: str
) -> None:
    uow = FakeUnitOfWork()
    in_transaction(uow, lambda: uow.customers.add(_customer("Li Lei")))
    with uow:
        customer = uow.customers.get(1)
        assert customer is not None and callable(change)
        change(customer)
        with pytest.raises(StoreRefused, match=complaint):
            uow.commit()


def test_the_store_refuses_duplicates_on_add_and_keeps_nothing() -> None:
    uow = FakeUnitOfWork()
    with uow:
        uow.reps.add(Rep(name="Wang Fang"))
        with pytest.raises(StoreRefused, match="duplicate name"):
            uow.reps.add(Rep(name="Wang Fang"))
        assert [r.name for r in uow.reps.all()] == ["Wang Fang"]


def test_lock_many_returns_existing_rows_sorted_by_id_and_records_the_locks() -> None:
    uow = FakeUnitOfWork()
    with uow:
        uow.customers.add_many([_customer(n) for n in "abc"])
        found = uow.customers.lock_many([3, 1, 3, 42])
        assert [c.id for c in found] == [1, 3]
        assert uow.locked == [("customer", 1), ("customer", 3)]


def _seed_for_search(uow: FakeUnitOfWork) -> None:
    rows = [
        _customer("Li Lei", email="LI@example.com", level="A", created_at=NOW),
        _customer("Han Meimei", level="B", created_at=NOW + timedelta(hours=1), owner_id=1),
        _customer("Zhang Wei", level=None, created_at=NOW + timedelta(hours=2)),
        _customer("Gone", deleted_at=NOW, created_at=NOW),
    ]
    uow.reps.add(Rep(name="Wang Fang"))
    uow.customers.add_many(rows)


def test_search_filters_sorts_pages_and_skips_deleted_like_sql() -> None:
    uow = FakeUnitOfWork()
    with uow:
        _seed_for_search(uow)
        newest_first, total = uow.customers.search(CustomerQuery())
        assert ([c.name for c in newest_first], total) == (["Zhang Wei", "Han Meimei", "Li Lei"], 3)
        by_level, _ = uow.customers.search(CustomerQuery(sort="level"))
        assert [c.level for c in by_level] == [None, "A", "B"]
        page, total = uow.customers.search(CustomerQuery(sort="name", offset=1, limit=1))
        assert ([c.name for c in page], total) == (["Li Lei"], 3)
        assert uow.customers.search(CustomerQuery(text="li@EXAMPLE"))[1] == 1
        assert uow.customers.search(CustomerQuery(unowned=True))[1] == 2
        assert uow.customers.search(CustomerQuery(owner_id=1))[0][0].name == "Han Meimei"
        window = CustomerQuery(created_from=NOW + timedelta(hours=1), created_to=NOW + timedelta(2))
        assert [c.name for c in uow.customers.search(window)[0]] == ["Zhang Wei", "Han Meimei"]


def test_count_by_and_recode_follow_sql_on_soft_deleted_rows() -> None:
    uow = FakeUnitOfWork()
    with uow:
        _seed_for_search(uow)
        deleted = uow.customers.get(4)
        assert deleted is not None
        deleted.level = "A"
        assert uow.customers.count_by("level") == {"A": 1, "B": 1, None: 1}
        assert uow.customers.recode("level", "A", "B") == 2, "the UPDATE touches deleted rows"
        with pytest.raises(ValueError, match="cannot count"):
            uow.customers.count_by("name")


def test_usage_counts_open_customers_and_intake_in_the_reps_local_periods() -> None:
    uow = FakeUnitOfWork()
    with uow:
        for name in ("Wang Fang", "Zhao Min"):
            uow.reps.add(Rep(name=name, time_zone="UTC"))
        customers = [
            _customer("open", owner_id=1),
            _customer("won", owner_id=1, stage=Stage.won),
            _customer("deleted", owner_id=1, deleted_at=NOW),
            _customer("other rep's", owner_id=2),
        ]
        uow.customers.add_many(customers)

        def received(ago: timedelta, from_rep: int | None = None, to_rep: int = 1) -> None:
            uow.assignments.add(
                Assignment(
                    customer_id=1,
                    method=AssignMethod.manual,
                    at=NOW - ago,
                    from_rep_id=from_rep,
                    to_rep_id=to_rep,
                )
            )

        # NOW is Monday 2 November, 09:30 UTC.
        received(timedelta(hours=1))  # today
        received(timedelta(hours=23), from_rep=2)  # Sunday: last week, this month
        received(timedelta(days=1, seconds=1))  # Sunday 1 November
        received(timedelta(days=29))  # October
        received(timedelta(hours=2), from_rep=1)  # from the rep to itself: not intake
        received(timedelta(hours=2), to_rep=2)
        assert uow.reps.usage(1, now=NOW) == Usage(1, 1, 1, 3)
        uow.reps.get(1).time_zone = "Asia/Shanghai"  # type: ignore[union-attr]
        # 17:30 on Monday in Shanghai: 23 hours ago was Sunday 19:30 there, 1 day ago 17:29.
        assert uow.reps.usage(1, now=NOW) == Usage(1, 1, 1, 3)
        uow.reps.get(1).time_zone = "America/Los_Angeles"  # type: ignore[union-attr]
        # 01:30 on Monday there: an hour ago is today; 23 hours ago, Sunday 02:30.
        assert uow.reps.usage(1, now=NOW) == Usage(1, 1, 1, 3)


def test_leaves_and_reps_are_listed_in_sql_order() -> None:
    uow = FakeUnitOfWork()
    with uow:
        for name in ("Zhao Min", "Wang Fang"):
            uow.reps.add(Rep(name=name, team_id=None))
        later = Leave(rep_id=1, starts_at=NOW + timedelta(days=3), ends_at=NOW + timedelta(days=4))
        sooner = Leave(rep_id=1, starts_at=NOW, ends_at=NOW + timedelta(days=1))
        uow.reps.add_leave(later)
        uow.reps.add_leave(sooner)
        assert [r.name for r in uow.reps.all()] == ["Wang Fang", "Zhao Min"]
        assert uow.reps.leaves(1) == [sooner, later]


def test_fake_hasher_verifies_only_the_password_it_hashed() -> None:
    hasher = FakeHasher()
    stored = hasher.hash("correct horse")
    assert stored != "correct horse"
    assert hasher.verify(stored, "correct horse")
    assert not hasher.verify(stored, "wrong horse")
    assert hasher.hash_calls == 1


def test_fixed_clock_moves_only_when_told() -> None:
    clock = FixedClock(NOW)
    assert clock.now() == clock.now() == NOW
    assert clock.advance(hours=24) == NOW + timedelta(days=1)
    assert clock.advance(timedelta(minutes=1)) == NOW + timedelta(days=1, minutes=1)
