"""The dedupe services over the fakes: a re-scan keeps a dismissed pair dismissed; a merge
moves the other's follow-ups and gives the survivor the other's owner through an
assignment; refusals (a rep, the same customer twice, a bad choice) write nothing; an undo
after an edit is refused, one without puts both customers back."""

from __future__ import annotations

from fenpei.domain.assignments import AssignMethod
from fenpei.domain.dedupe import PairStatus
from fenpei.domain.errors import Conflict, PermissionDenied, ValidationFailed
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services.customers import update_customer
from fenpei.services.dedupe import merge as merging
from fenpei.services.dedupe import review, scan, undo
from fenpei.services.follow_ups.records import record_follow_up
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import a_customer, a_rep, assigned, bad_fields, refused


def test_a_rescan_keeps_a_dismissed_pair_dismissed(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    a_customer(uow, clock, "A", phone="13800138000")
    a_customer(uow, clock, "B", phone="+86 138 0013 8000")
    first = in_transaction(
        uow, lambda: scan.scan_duplicates(uow=uow, actor=SYSTEM, now=clock.now())
    )
    assert (first.found, first.new) == (1, 1)
    with uow:
        (view,), _ = review.list_pairs(uow=uow, actor=SYSTEM, status=None, limit=10, offset=0)
        review.decide_pair(uow=uow, actor=SYSTEM, pair_id=view.pair.id or 0,
                           status=PairStatus.dismissed, now=clock.now())  # fmt: skip
        uow.commit()
    again = in_transaction(
        uow, lambda: scan.scan_duplicates(uow=uow, actor=SYSTEM, now=clock.now())
    )
    assert (again.new, again.kept, again.dropped) == (0, 1, 0)
    with uow:
        assert uow.dedupe.count_pairs(status=PairStatus.dismissed) == 1


def test_a_merge_moves_history_and_the_owner_and_an_undo_puts_it_back(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock, "Moses")
    kept = a_customer(uow, clock, "Kept", phone="13800138000")
    other = a_customer(uow, clock, "Other", phone="13800138000", email="o@example.cn")
    assigned(uow, clock, other, rep)
    in_transaction(uow, lambda: record_follow_up(
        uow=uow, customer_id=other.id or 0, actor=SYSTEM, now=clock.now(), kind="phone",
        at=clock.now(), content="电话",
    ))  # fmt: skip
    kid, oid = kept.id or 0, other.id or 0

    rep_actor = Actor("moses", Role.rep, rep_id=rep.id)
    refused(
        uow,
        PermissionDenied,
        lambda: merging.merge_customers(
            uow=uow, actor=rep_actor, survivor_id=kid, loser_id=oid, choices={}, now=clock.now()
        ),
    )
    same = refused(
        uow,
        ValidationFailed,
        lambda: merging.merge_customers(
            uow=uow, actor=SYSTEM, survivor_id=kid, loser_id=kid, choices={}, now=clock.now()
        ),
    )
    assert bad_fields(same) == {"loser_id"}
    bad = refused(uow, ValidationFailed, lambda: merging.merge_customers(
        uow=uow, actor=SYSTEM, survivor_id=kid, loser_id=oid, choices={"stage": "loser"},
        now=clock.now()))  # fmt: skip
    assert bad_fields(bad) == {"choices.stage"}

    done = in_transaction(
        uow,
        lambda: merging.merge_customers(
            uow=uow, actor=SYSTEM, survivor_id=kid, loser_id=oid, choices={}, now=clock.now()
        ),
    )
    with uow:
        survivor, loser = uow.customers.get(kid), uow.customers.get(oid)
        assert survivor is not None and loser is not None
        assert survivor.owner_id == rep.id and survivor.email == "o@example.cn"
        assert loser.deleted_at is not None
        assert [f.customer_id for f in uow.follow_ups.for_customer(kid, limit=10)] == [kid]
        assert uow.assignments.for_customer(kid)[-1].method is AssignMethod.merge
    assert done.owner_change["rule"] == "only_other"

    in_transaction(
        uow, lambda: undo.undo_merge(uow=uow, actor=SYSTEM, merge_id=done.id or 0, now=clock.now())
    )
    with uow:
        survivor, loser = uow.customers.get(kid), uow.customers.get(oid)
        assert survivor is not None and loser is not None
        assert (survivor.owner_id, survivor.email, loser.deleted_at) == (None, None, None)
        assert uow.follow_ups.for_customer(kid, limit=10) == []


def test_an_undo_after_the_survivor_was_edited_is_refused(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    kept = a_customer(uow, clock, "Kept", phone="13800138000")
    other = a_customer(uow, clock, "Other", phone="13800138000", city="北京")
    done = in_transaction(uow, lambda: merging.merge_customers(
        uow=uow, actor=SYSTEM, survivor_id=kept.id or 0, loser_id=other.id or 0, choices={},
        now=clock.now()))  # fmt: skip
    in_transaction(uow, lambda: update_customer(
        uow=uow, customer_id=kept.id or 0, fields={"city": "上海"}, actor=SYSTEM,
        now=clock.now()))  # fmt: skip
    error = refused(
        uow,
        Conflict,
        lambda: undo.undo_merge(uow=uow, actor=SYSTEM, merge_id=done.id or 0, now=clock.now()),
    )
    assert "city" in str(error)
