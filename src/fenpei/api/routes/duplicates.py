"""The duplicate check (查重): is a phone, email or company already a customer's?"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from fenpei.api.duplicate_schemas import DuplicateRead, DuplicatesRead
from fenpei.http.deps import CurrentActor, FenpeiDep, UowDep
from fenpei.services import duplicates

# Tagged "customers": a token reading customers may check; declared before /customers/{id}.
router = APIRouter(prefix="/customers", tags=["customers"])


@router.get("/duplicates")
def find_duplicates(
    uow: UowDep,
    actor: CurrentActor,
    fenpei: FenpeiDep,
    phone: Annotated[str | None, Query(max_length=200)] = None,
    email: Annotated[str | None, Query(max_length=400)] = None,
    company: Annotated[str | None, Query(max_length=400)] = None,
) -> DuplicatesRead:
    """Existing customers with this phone, email or company (normalised: width, case,
    spaces, +86, 有限公司 / Co., Ltd. …). Outside your data scope you learn only that it
    exists, who owns it and until when it is protected, or which pool it waits in."""
    matches = duplicates.find_duplicates(
        uow=uow, actor=actor, now=fenpei.now(), phone=phone, email=email, company_name=company
    )
    return DuplicatesRead(matches=[DuplicateRead.of(m) for m in matches])
