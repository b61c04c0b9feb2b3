"""The first answer kept under an Idempotency-Key, replayed for the same request only."""

from __future__ import annotations

import pytest

from fenpei.domain.errors import Conflict, ValidationFailed
from fenpei.services import idempotency
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction


def _remember(uow: FakeUnitOfWork, clock: FixedClock, key: str, payload: object) -> None:
    def claim_then_settle() -> None:
        claimed = idempotency.claim(uow=uow, key=key, kind="lead", payload=payload, now=clock.now())
        idempotency.settle(claimed, object_id=7, response={"customer": {"id": 7}})

    in_transaction(uow, claim_then_settle)


def test_a_new_key_has_nothing_to_replay(uow: FakeUnitOfWork) -> None:
    with uow:
        assert idempotency.replay(uow=uow, key="k", kind="lead", payload={"a": 1}) is None


def test_the_same_request_replays_the_stored_answer_whatever_the_key_order(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    _remember(uow, clock, "k", {"name": "Li", "region": "East"})
    with uow:
        again = idempotency.replay(
            uow=uow, key="k", kind="lead", payload={"region": "East", "name": "Li"}
        )
    assert again == {"customer": {"id": 7}}


@pytest.mark.parametrize(
    ("kind", "payload"), [("lead", {"name": "Someone else"}), ("customer", {"name": "Li"})]
)
def test_the_key_for_another_body_or_kind_is_a_conflict(
    uow: FakeUnitOfWork, clock: FixedClock, kind: str, payload: object
) -> None:
    _remember(uow, clock, "k", {"name": "Li"})
    with uow, pytest.raises(Conflict, match="idempotency key 'k' was used for another request"):
        idempotency.replay(uow=uow, key="k", kind=kind, payload=payload)


@pytest.mark.parametrize("key", ["", "x" * 201, "tab\there"])
def test_a_malformed_key_is_named(uow: FakeUnitOfWork, key: str) -> None:
    with uow, pytest.raises(ValidationFailed, match="Idempotency-Key"):
        idempotency.replay(uow=uow, key=key, kind="lead", payload={})


def test_a_claim_is_a_placeholder_until_settled(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    with uow:
        claimed = idempotency.claim(uow=uow, key="k", kind="lead", payload={}, now=clock.now())
        assert (claimed.object_id, claimed.response) == (0, {})
        assert claimed.fingerprint == idempotency.fingerprint("lead", {})


def test_claiming_a_key_taken_meanwhile_is_a_conflict(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    _remember(uow, clock, "k", {"name": "Li"})
    with uow, pytest.raises(Conflict):
        idempotency.claim(uow=uow, key="k", kind="lead", payload={"name": "Li"}, now=clock.now())


def test_a_key_left_unsettled_is_not_kept(uow: FakeUnitOfWork, clock: FixedClock) -> None:
    with uow:
        idempotency.claim(uow=uow, key="k", kind="lead", payload={}, now=clock.now())
    with uow:
        assert idempotency.replay(uow=uow, key="k", kind="lead", payload={}) is None
