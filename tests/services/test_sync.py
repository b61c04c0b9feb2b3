"""CRM sync's services on the fakes, with a fake CRM: owner changes pushed once (the latest
per record), refusals kept, a failure mid-push resumed without resending; owners matched."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from random import Random

from fenpei.domain.org import Rep
from fenpei.domain.sync import (
    CrmError,
    CrmUser,
    OwnerChange,
    PushAnswer,
    RecordPage,
    SyncCounts,
)
from fenpei.domain.users import SYSTEM
from fenpei.services.assignments import assign
from fenpei.services.rulebook import RuleBook
from fenpei.services.sync.owners import owner_map
from fenpei.services.sync.run import run_sync
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import a_customer, a_rep


class FakeCrm:
    """A CRM that applies owner changes, refuses the records in ``refuse`` and fails the
    ``fail_on``-th push call (after applying it, as a lost answer would)."""

    name, module, max_push = "crm", "Leads", 2

    def __init__(self, users: list[CrmUser]) -> None:
        self._users = users
        self.owners: dict[str, str | None] = {}
        self.sent: list[OwnerChange] = []
        self.refuse: set[str] = set()
        self.fail_on: int | None = None
        self.calls = 0

    def users(self) -> list[CrmUser]:
        return self._users

    def pull(self, *, modified_since: datetime | None, page_token: str | None) -> RecordPage:
        return RecordPage([], None)

    def owners_of(self, external_ids: Sequence[str]) -> dict[str, str | None]:
        return {i: self.owners.get(i) for i in external_ids}

    def push_owners(self, changes: Sequence[OwnerChange]) -> list[PushAnswer]:
        assert len(changes) <= self.max_push
        self.calls += 1
        answers = []
        for change in changes:
            self.sent.append(change)
            if change.external_id in self.refuse:
                answers.append(PushAnswer(change.external_id, False, "INVALID_DATA", "locked"))
            else:
                self.owners[change.external_id] = change.owner_external_id
                answers.append(PushAnswer(change.external_id, True, "SUCCESS"))
        if self.calls == self.fail_on:
            raise CrmError("crm: no answer within 30 s")
        return answers


def _world(uow: FakeUnitOfWork, clock: FixedClock, n: int) -> tuple[list[Rep], list[int], FakeCrm]:
    reps = [a_rep(uow, clock, name, email=f"{name}@example.cn") for name in ("li", "wang")]
    customers = [a_customer(uow, clock, f"客户 {i}").id or 0 for i in range(n)]

    def link() -> None:
        for i, customer_id in enumerate(customers):
            uow.sync.link("crm", "Leads", f"Z{i}", customer_id, clock.now())

    in_transaction(uow, link)
    crm = FakeCrm([CrmUser("u-li", "li@example.cn"), CrmUser("u-wang", "WANG@example.cn")])
    return reps, customers, crm


def _give(uow: FakeUnitOfWork, clock: FixedClock, customer_id: int, rep: Rep) -> None:
    in_transaction(uow, lambda: assign(
        uow=uow, customer_id=customer_id, rep_id=rep.id or 0, actor=SYSTEM, now=clock.now(),
        reason="moved", override_capacity=True,
    ))  # fmt: skip


def _push(uow: FakeUnitOfWork, clock: FixedClock, crm: FakeCrm) -> SyncCounts:
    return run_sync(
        uow_factory=lambda: uow, adapter=crm, rulebook=RuleBook(), actor=SYSTEM,
        now=clock.now, rng=Random(1), do_pull=False,
    )  # fmt: skip


def test_owner_changes_are_pushed_once_the_latest_per_record(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    (li, wang), customers, crm = _world(uow, clock, 3)
    _give(uow, clock, customers[0], li)
    _give(uow, clock, customers[0], wang)  # supersedes the first
    _give(uow, clock, customers[1], li)
    unlinked = a_customer(uow, clock, "未关联").id or 0
    _give(uow, clock, unlinked, li)

    counts = _push(uow, clock, crm)
    again = _push(uow, clock, crm)

    assert counts.pushed == 2 and counts.errors == [] and again.pushed == 0
    assert sorted((c.external_id, c.owner_external_id) for c in crm.sent) == [
        ("Z0", "u-wang"), ("Z1", "u-li"),
    ]  # fmt: skip
    with uow:
        assert uow.sync.push_counts("crm") == {"sent": 2, "superseded": 1, "skipped": 1}


def test_a_refused_record_is_kept_with_the_crm_code_and_not_sent_again(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    (li, _), customers, crm = _world(uow, clock, 2)
    for customer_id in customers:
        _give(uow, clock, customer_id, li)
    crm.refuse = {"Z1"}

    counts = _push(uow, clock, crm)
    _push(uow, clock, crm)

    assert counts.pushed == 1 and counts.push_failed == 1
    assert counts.errors == ["push of record Z1: INVALID_DATA: locked"]
    assert [c.external_id for c in crm.sent] == ["Z0", "Z1"]


def test_a_failure_mid_push_is_resumed_without_sending_anything_twice(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    (li, _), customers, crm = _world(uow, clock, 7)
    for customer_id in customers:
        _give(uow, clock, customer_id, li)
    crm.fail_on = 2  # the second call is applied, but its answer is lost

    stopped = _push(uow, clock, crm)
    resumed = _push(uow, clock, crm)

    assert stopped.errors == ["crm: no answer within 30 s"] and stopped.pushed == 2
    assert resumed.errors == [] and resumed.pushed == 3  # the 2 in doubt were found set
    sent = [c.external_id for c in crm.sent]
    assert sorted(sent) == [f"Z{i}" for i in range(7)] and len(sent) == len(set(sent))
    with uow:
        assert uow.sync.push_counts("crm") == {"sent": 7}
        assert uow.sync.state("crm").last_error is None


def test_owners_match_by_the_explicit_map_first_then_by_email_and_only_active_reps(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    li = a_rep(uow, clock, "li", email="li@example.cn")
    wang = a_rep(uow, clock, "wang", email="wang@example.cn")
    gone = a_rep(uow, clock, "gone", email="gone@example.cn", active=False)
    users = [
        CrmUser("u1", "LI@example.cn"),
        CrmUser("u2", "someone@example.cn"),
        CrmUser("u3", "gone@example.cn"),
    ]

    found = owner_map(users, [li, wang, gone], {"someone@example.cn": "wang"})

    assert found.rep_of_user == {"u1": li.id, "u2": wang.id}
    assert found.rep_for(None, "Wang@Example.cn") == wang.id
    assert found.rep_for("u3", "gone@example.cn") is None
    assert found.user_of_rep == {li.id: "u1", wang.id: "u2"}
