"""The export service on the fakes: who may export, what they see, the audit entry, the
rows in keyset batches, contacts masked as the lists mask them, words as the pages show."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fenpei.domain.errors import PermissionDenied, ValidationFailed
from fenpei.domain.pools import Pool
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services.exports import settings
from fenpei.services.exports.kinds import ExportKind, ExportWords
from fenpei.services.exports.service import Export, ExportRequest, start_export
from fenpei.services.ports import CustomerQuery, UnitOfWork
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction
from tests.services._build import a_customer, a_rep, assigned

WORDS = ExportWords(
    language="en",
    t=lambda key, **_: {"stage.new": "New", "owner.pool": "Pool", "field.name": "Name"}.get(
        key, key
    ),
    label=lambda key, code: f"<{code}>" if code else "",
    when=lambda moment: moment.strftime("%Y-%m-%d") if moment else "",
    zone=UTC,
)


def _export(uow: FakeUnitOfWork, actor: Actor, request: ExportRequest, **options: object) -> Export:
    def uows(*, read_only: bool = False) -> UnitOfWork:
        return uow

    return start_export(
        uows=uows, actor=actor, request=request, words=WORDS,
        now=datetime(2026, 12, 5, 10, 30, tzinfo=UTC),
        reps_default=bool(options.get("reps_may_export", False)),
        batch_size=int(options.get("batch_size", 2)),  # type: ignore[call-overload]
    )  # fmt: skip


def _rows(export: Export) -> list[list[object]]:
    return [row for batch in export.batches for row in batch]


def test_customers_come_in_batches_with_the_list_words_and_an_audit_entry(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep = a_rep(uow, clock, "Wang 王")
    made = [a_customer(uow, clock, f"C{n}", region="East") for n in range(5)]
    assigned(uow, clock, made[0], rep)
    a_customer(uow, clock, "Elsewhere", region="West")

    export = _export(
        uow, SYSTEM,
        ExportRequest(kind=ExportKind.customers, query=CustomerQuery(region="East"),
                      columns=["id", "name", "region", "stage", "owner"],
                      params={"region": "East"}),
    )  # fmt: skip

    assert export.filename == "customers-20261205-1030.csv"
    assert export.headers == ["exports.column.id", "Name", "field.region", "field.stage",
                              "field.owner"]  # fmt: skip
    batches = list(export.batches)
    assert [len(batch) for batch in batches] == [2, 2, 1]
    rows = [row for batch in batches for row in batch]
    assert [row[0] for row in rows] == [c.id for c in made]
    assert rows[0][2:] == ["<East>", "New", "Wang 王"]
    assert rows[1][4] == "Pool"
    (entry,) = [e for e in uow.audit.find(object_type="export")]
    assert (entry.actor, entry.object_id) == ("system", "20261205103000")
    assert entry.after["kind"] == "customers" and entry.after["format"] == "csv"
    assert entry.after["rows"] == 5 and entry.after["filter"] == {"region": "East"}


def test_a_rep_may_not_export_unless_allowed_and_then_only_their_own(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep, other = a_rep(uow, clock, "Mine"), a_rep(uow, clock, "Other")
    mine, theirs = a_customer(uow, clock, "Mine 1"), a_customer(uow, clock, "Theirs 1")
    assigned(uow, clock, mine, rep)
    assigned(uow, clock, theirs, other)
    actor = Actor("mine", Role.rep, user_id=9, rep_id=rep.id)
    request = ExportRequest(kind=ExportKind.customers, columns=["name"])

    with pytest.raises(PermissionDenied, match="turned off for reps"):
        _export(uow, actor, request)
    assert uow.audit.find(object_type="export") == []

    assert _rows(_export(uow, actor, request, reps_may_export=True)) == [["Mine 1"]]


def test_contacts_are_masked_for_a_manager_while_waiting_in_a_masking_pool(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    in_transaction(uow, lambda: uow.pools.add(Pool(key="public", name="公海", mask_contacts=True)))
    waiting = a_customer(uow, clock, "Waiting", phone="13800138000", email="li@example.com")
    in_transaction(uow, lambda: setattr(uow.customers.get(waiting.id or 0), "pool", "public"))
    request = ExportRequest(kind=ExportKind.customers, columns=["phone", "email"])
    auditor = Actor("audrey", Role.auditor, user_id=3)

    assert _rows(_export(uow, auditor, request)) == [["138****8000", "l***@example.com"]]
    assert _rows(_export(uow, SYSTEM, request)) == [["13800138000", "li@example.com"]]


def test_unknown_columns_and_reports_out_of_role_are_refused(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    with pytest.raises(ValidationFailed, match="nope"):
        _export(uow, SYSTEM, ExportRequest(kind=ExportKind.customers, columns=["name", "nope"]))
    auditor = Actor("audrey", Role.auditor, user_id=3)
    with pytest.raises(PermissionDenied):
        _export(uow, auditor, ExportRequest(kind=ExportKind.holdout))


def test_assignment_history_is_scoped_to_the_customers_one_sees(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    rep, other = a_rep(uow, clock, "Mine"), a_rep(uow, clock, "Other")
    mine, theirs = a_customer(uow, clock, "Mine 1"), a_customer(uow, clock, "Theirs 1")
    assigned(uow, clock, mine, rep)
    assigned(uow, clock, theirs, other)
    actor = Actor("mine", Role.rep, user_id=9, rep_id=rep.id)

    rows = _rows(_export(uow, actor, ExportRequest(kind=ExportKind.assignments),
                         reps_may_export=True))  # fmt: skip

    assert [(row[3], row[5]) for row in rows] == [("Mine 1", "Mine")]


def test_only_an_admin_turns_exports_on_for_reps_and_it_is_audited(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    manager = Actor("mia", Role.manager, user_id=2)
    with pytest.raises(PermissionDenied):
        settings.set_reps_may_export(
            uow=uow, actor=manager, value=True, default=False, now=clock.now()
        )
    assert settings.reps_may_export(uow=uow, default=False) is False

    in_transaction(
        uow,
        lambda: settings.set_reps_may_export(
            uow=uow, actor=SYSTEM, value=True, default=False, now=clock.now()
        ),
    )

    assert settings.reps_may_export(uow=uow, default=False) is True
    (entry,) = uow.audit.find(object_type="export_settings")
    assert (entry.before, entry.after) == ({"reps_may_export": False}, {"reps_may_export": True})
    rep = a_rep(uow, clock, "Mine")
    actor = Actor("mine", Role.rep, user_id=9, rep_id=rep.id)
    assert _rows(_export(uow, actor, ExportRequest(kind=ExportKind.customers))) == []
