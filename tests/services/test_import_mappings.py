"""Column mappings remembered per source, on the fakes: offered back for the source and
for the same layout, a named source's mapping winning over the guesses; a remembered field
that no longer exists (a custom attribute removed) is not offered."""

from __future__ import annotations

from fenpei.domain.import_uploads import ImportMapping
from fenpei.domain.users import SYSTEM
from fenpei.services.imports import mapping as mappings
from tests.fakes import FakeUnitOfWork, FixedClock, in_transaction

HEADERS = ["公司名称", "联系人", "手机", "预算"]


def _remember(
    uow: FakeUnitOfWork, clock: FixedClock, source: str | None, chosen: dict[str, str | None]
) -> str:
    return in_transaction(
        uow,
        lambda: mappings.remember(
            uow, source=source, headers=HEADERS, mapping=chosen, actor=SYSTEM, now=clock.now()
        ),
    )


def test_guesses_come_first_and_a_remembered_mapping_replaces_them(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    with uow:
        guessed, source = mappings.suggest(uow, HEADERS, source="展会")
    assert source is None
    assert guessed == {"公司名称": "company_name", "联系人": None, "手机": "phone", "预算": None}

    key = _remember(uow, clock, "展会", guessed | {"联系人": "name", "公司名称": None})

    with uow:
        by_name, used = mappings.suggest(uow, HEADERS, source="展会")
        by_layout, layout = mappings.suggest(uow, list(reversed(HEADERS)), source=None)
        assert uow.import_mappings.sources() == sorted([key, mappings.header_signature(HEADERS)])
    assert key == used == "展会"
    assert by_name["联系人"] == "name" and by_name["公司名称"] is None
    assert layout == mappings.header_signature(HEADERS) and by_layout == by_name


def test_a_remembered_custom_attribute_that_is_gone_is_not_offered(
    uow: FakeUnitOfWork, clock: FixedClock
) -> None:
    remembered: dict[str, str | None] = {
        "联系人": "name",
        "预算": "custom.budget",
    }  # saved while budget existed
    saved = ImportMapping(mappings.header_signature(HEADERS), remembered, "admin", clock.now())
    in_transaction(uow, lambda: uow.import_mappings.save(saved))
    with uow:
        offered, used = mappings.suggest(uow, HEADERS, source=None)
    assert used == saved.source
    assert offered["联系人"] == "name" and offered["预算"] is None
