"""The RuleBook keeps the routing configuration while its stamp holds (fakes)."""

from __future__ import annotations

from datetime import timedelta

from fenpei.domain.org import Leave
from fenpei.domain.rules import DEFAULT_RULE_NAME
from fenpei.domain.users import SYSTEM
from fenpei.services import org
from fenpei.services.rulebook import RuleBook
from fenpei.services.rules import ensure_default_rule
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction


def _rep(uow: FakeUnitOfWork, clock: FixedClock, name: str) -> int:
    rep = in_transaction(
        uow, lambda: org.create_rep(uow=uow, fields={"name": name}, actor=SYSTEM, now=clock.now())
    )
    assert rep.id is not None
    return rep.id


def test_the_configuration_is_kept_while_nothing_changes(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    in_transaction(uow, lambda: ensure_default_rule(uow=uow, actor=SYSTEM, now=clock.now()))
    _rep(uow, clock, "Wang Fang")
    rulebook = RuleBook()

    with uow:
        first = rulebook.config(uow, now=clock.now())
    with uow:
        again = rulebook.config(uow, now=clock.now())

    assert again is first
    assert [r.rule.name for r in first.rules] == [DEFAULT_RULE_NAME]
    assert [s.rep.name for s in first.reps.values()] == ["Wang Fang"]


def test_any_change_to_a_rep_gives_a_fresh_configuration(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep_id = _rep(uow, clock, "Wang Fang")
    rulebook = RuleBook()
    with uow:
        before = rulebook.config(uow, now=clock.now())

    in_transaction(
        uow,
        lambda: org.update_rep(
            uow=uow, rep_id=rep_id, fields={"max_open": 3}, actor=SYSTEM, now=clock.now()
        ),
    )
    with uow:
        after = rulebook.config(uow, now=clock.now())

    assert after is not before and after.stamp != before.stamp
    assert before.reps[rep_id].rep.max_open is None  # what was kept was a copy
    assert after.reps[rep_id].rep.max_open == 3


def test_a_leave_that_ends_changes_the_stamp_and_drops_out(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep_id = _rep(uow, clock, "Wang Fang")
    leave = Leave(rep_id=rep_id, starts_at=clock.at, ends_at=clock.at + timedelta(hours=1))
    in_transaction(uow, lambda: uow.reps.add_leave(leave))
    rulebook = RuleBook()

    with uow:
        during = rulebook.config(uow, now=clock.now())
        later = rulebook.config(uow, now=clock.advance(hours=1))

    assert len(during.reps[rep_id].leaves) == 1
    assert later.stamp != during.stamp and later.reps[rep_id].leaves == ()
