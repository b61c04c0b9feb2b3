"""Categories (分类管理): every logged-in user reads them; admins add, rename, merge, retire."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, status

from fenpei.api.org_schemas import (
    CarriedRuleRead,
    CategoryMerge,
    CategoryMergeRead,
    CategoryRead,
    CategoryValueCreate,
    CategoryValueRead,
    CategoryValueUpdate,
)
from fenpei.api.schemas import ErrorRead
from fenpei.domain.categories import CategoryValue
from fenpei.http.deps import CurrentActor, CurrentUser, FenpeiDep, UowDep
from fenpei.services import categories
from fenpei.services.ports import UnitOfWork

router = APIRouter(prefix="/categories", tags=["categories"])
Key = Annotated[str, Path(max_length=100, description="The dimension, e.g. `level`.")]
Code = Annotated[str, Path(max_length=100, description="The value's code, e.g. `A`.")]

ADMIN_ONLY: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorRead, "description": "Logged in, but not an admin."},
    404: {"model": ErrorRead, "description": "No such dimension or value."},
}
MAY_CONFLICT: dict[int | str, dict[str, Any]] = {
    **ADMIN_ONLY,
    409: {"model": ErrorRead, "description": "The value was merged; it cannot come back."},
}
RULES_IN_THE_WAY: dict[int | str, dict[str, Any]] = {
    **ADMIN_ONLY,
    409: {
        "model": ErrorRead,
        "description": "`used_by_rules`: rules test the value in a way this would change "
        "silently (retiring it; a text match a merge cannot carry); the message names them.",
    },
}


def _value_reads(counts: list[tuple[CategoryValue, int]]) -> list[CategoryValueRead]:
    code_of = {v.id: v.code for v, _ in counts}
    return [
        CategoryValueRead(
            code=value.code,
            label=value.label,
            position=value.position,
            retired=value.retired,
            merged_into=code_of.get(value.merged_into_id),
            usable=value.usable,
            customers=customers,
        )
        for value, customers in counts
    ]


def _value_read(uow: UnitOfWork, key: str, value: CategoryValue) -> CategoryValueRead:
    """One value with its count, as the list shows it."""
    reads = _value_reads(categories.value_counts(uow=uow, key=key))
    return next(read for read in reads if read.code == value.code)


@router.get("")
def list_categories(uow: UowDep, user: CurrentUser) -> list[CategoryRead]:
    """Every dimension with its values in order and how many customers hold each."""
    return [
        CategoryRead(
            key=counts.category.key,
            name=counts.category.name,
            strict=counts.category.strict,
            values=_value_reads(counts.values),
        )
        for counts in categories.category_overview(uow=uow)
    ]


@router.post("/{key}/values", status_code=status.HTTP_201_CREATED, responses=ADMIN_ONLY)
def add_value(
    key: Key, body: CategoryValueCreate, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> CategoryValueRead:
    """Append a value (admins); adding a code that exists returns it unchanged."""
    value = categories.add_value(
        uow=uow, key=key, code=body.code, label=body.label, actor=actor, now=fenpei.now()
    )
    read = _value_read(uow, key, value)
    uow.commit()
    return read


@router.patch("/{key}/values/{code}", responses=ADMIN_ONLY)
def rename_value(
    key: Key,
    code: Code,
    body: CategoryValueUpdate,
    uow: UowDep,
    actor: CurrentActor,
    fenpei: FenpeiDep,
) -> CategoryValueRead:
    """Change the label people see (admins); customers keep the code."""
    value = categories.rename_value(
        uow=uow, key=key, code=code, label=body.label, actor=actor, now=fenpei.now()
    )
    read = _value_read(uow, key, value)
    uow.commit()
    return read


@router.post("/{key}/values/{code}/merge", responses=RULES_IN_THE_WAY)
def merge_value(
    key: Key, code: Code, body: CategoryMerge, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> CategoryMergeRead:
    """Move every customer holding this value to `into`, then retire it (admins). Rules
    testing the value are carried to `into` as new versions (listed in `rules`)."""
    merged = categories.merge_values(
        uow=uow, key=key, code=code, into=body.into, actor=actor, now=fenpei.now()
    )
    reads = _value_reads(categories.value_counts(uow=uow, key=key))
    read = CategoryMergeRead(
        value=next(r for r in reads if r.code == code),
        moved=merged.moved,
        rules=[CarriedRuleRead(**vars(rule)) for rule in merged.rules],
    )
    uow.commit()
    return read


@router.post("/{key}/values/{code}/retire", responses=RULES_IN_THE_WAY)
def retire_value(
    key: Key, code: Code, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> CategoryValueRead:
    """Hide the value from new input (admins); customers holding it keep it. Refused (409)
    while a rule tests the value."""
    value = categories.retire_value(uow=uow, key=key, code=code, actor=actor, now=fenpei.now())
    read = _value_read(uow, key, value)
    uow.commit()
    return read


@router.post("/{key}/values/{code}/restore", responses=MAY_CONFLICT)
def restore_value(
    key: Key, code: Code, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> CategoryValueRead:
    """Offer a retired value for new input again (admins); a merged value cannot return."""
    value = categories.retire_value(
        uow=uow, key=key, code=code, actor=actor, now=fenpei.now(), retired=False
    )
    read = _value_read(uow, key, value)
    uow.commit()
    return read
