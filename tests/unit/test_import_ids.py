"""The compact record of external ids seen while checking a file names exactly the rows
whose id an earlier row holds, with that earlier row — also when every hash collides."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fenpei.services import _import_ids
from fenpei.services._import_ids import SeenIds

ids = st.lists(
    st.sampled_from(["C-1", "C-2", "c-1", "C-1 ", "客户-1", ""]) | st.none(), max_size=40
)


def _reference(column: list[str | None]) -> list[tuple[int, str, int]]:
    first_row_of: dict[str, int] = {}
    found = []
    for row, external_id in enumerate(column, start=2):
        if external_id is None:
            continue
        first = first_row_of.setdefault(external_id, row)
        if first != row:
            found.append((row, external_id, first))
    return found


def _repeats(column: list[str | None]) -> list[tuple[int, str, int]]:
    seen = SeenIds()
    rows: list[tuple[int, Mapping[str, str]]] = []
    for row, external_id in enumerate(column, start=2):
        rows.append((row, {} if external_id is None else {"external_id": external_id}))
        if external_id is not None:
            seen.add(external_id, row)
    return seen.repeats(rows, lambda cells: cells.get("external_id"))


@given(column=ids)
def test_repeats_are_the_rows_whose_id_an_earlier_row_holds(column: list[str | None]) -> None:
    assert _repeats(column) == _reference(column)


@given(column=ids)
def test_colliding_hashes_are_checked_against_the_ids_themselves(
    column: list[str | None],
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_import_ids, "_hash", lambda _: 7)  # every id collides
        assert _repeats(column) == _reference(column)
