"""Attachments (资料) on the fakes: who may attach, read and delete a customer's files, and
that a refused or failed upload leaves no row and no stored bytes behind."""

from __future__ import annotations

import io

import pytest

from fenpei.domain.customers import Customer
from fenpei.domain.errors import NotFound, PermissionDenied
from fenpei.domain.org import Rep
from fenpei.domain.users import Actor, Role
from fenpei.services.files import attachments
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction
from tests.fakes.attachments import FakeFileStore
from tests.file_samples import HTML_PAGE, minimal_pdf
from tests.services._build import a_customer, a_rep, assigned

ADMIN = Actor("root", Role.admin)


def _rep_actor(rep: Rep) -> Actor:
    return Actor(rep.name, Role.rep, rep_id=rep.id)


def _owned(uow: FakeUnitOfWork, clock: FixedClock, name: str = "Wang") -> tuple[Rep, Customer]:
    rep = a_rep(uow, clock, name)
    customer = a_customer(uow, clock, f"Customer of {name}")
    assigned(uow, clock, customer, rep)
    return rep, customer


def _upload(
    uow: FakeUnitOfWork,
    store: FakeFileStore,
    clock: FixedClock,
    customer: Customer,
    actor: Actor,
    data: bytes,
    name: str = "合同.pdf",
    max_bytes: int = 10**6,
) -> attachments.Attachment:
    return in_transaction(
        uow,
        lambda: attachments.upload(
            uow=uow, store=store, customer_id=customer.id or 0, stream=io.BytesIO(data),
            file_name=name, actor=actor, now=clock.now(), max_bytes=max_bytes,
        ),
    )  # fmt: skip


def test_the_owner_attaches_a_file_stored_with_its_sniffed_type_and_audited(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    store = FakeFileStore()
    rep, customer = _owned(uow, clock)
    pdf = minimal_pdf()

    made = _upload(uow, store, clock, customer, _rep_actor(rep), pdf, name="../../合同")

    assert made.file_name == "合同.pdf" and made.content_type == "application/pdf"
    assert store.files == {made.storage_key: pdf}
    assert store.types[made.storage_key] == "application/pdf"
    assert made.storage_key.startswith("attachments/") and "合同" not in made.storage_key
    assert [e.action for e in uow.audit.find(object_type="attachment")] == ["attachment.upload"]


@pytest.mark.parametrize("problem", ["stranger", "html", "too_large", "store_down"])
def test_a_refused_or_failed_upload_leaves_nothing(
    uow: FakeUnitOfWork, clock: FixedClock, problem: str
) -> None:
    store = FakeFileStore()
    rep, customer = _owned(uow, clock)
    other = a_rep(uow, clock, "Li")
    actor, data, limit = _rep_actor(rep), minimal_pdf(), 10**6
    expected: type[Exception] = OSError
    if problem == "stranger":
        actor, expected = _rep_actor(other), NotFound
    elif problem == "html":
        data, expected = HTML_PAGE, attachments.FileRefused
    elif problem == "too_large":
        limit, expected = 100, attachments.FileTooLarge
    else:
        store.fail_puts = 1

    with pytest.raises(expected):
        _upload(uow, store, clock, customer, actor, data, max_bytes=limit)

    assert store.files == {}
    with uow:
        assert uow.attachments.for_customer(customer.id or 0, limit=10) == []


def test_only_the_uploader_a_manager_or_an_admin_deletes(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    store = FakeFileStore()
    rep, customer = _owned(uow, clock)
    made = _upload(uow, store, clock, customer, ADMIN, minimal_pdf())
    auditor = Actor("audit", Role.auditor)

    def delete(actor: Actor) -> None:
        in_transaction(
            uow,
            lambda: attachments.delete_attachment(
                uow=uow, attachment_id=made.id or 0, actor=actor, now=clock.now()
            ),
        )

    with pytest.raises(PermissionDenied):
        delete(_rep_actor(rep))  # the owner reads it but did not upload it
    with pytest.raises(PermissionDenied):
        delete(auditor)
    delete(ADMIN)

    with uow:
        assert uow.attachments.for_customer(customer.id or 0, limit=10) == []
        with pytest.raises(NotFound):
            attachments.get_attachment(uow=uow, attachment_id=made.id or 0, actor=ADMIN)
    assert store.files  # soft: the bytes stay for the record
    actions = sorted(e.action for e in uow.audit.find(object_type="attachment"))
    assert actions == ["attachment.delete", "attachment.upload"]
