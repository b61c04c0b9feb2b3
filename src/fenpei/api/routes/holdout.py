"""The holdout report (对照组): how each rule's smart arm converts against its baseline."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from fenpei.api.holdout_schemas import HoldoutReportRead
from fenpei.api.schemas import ErrorRead
from fenpei.http.deps import CurrentActor, UowDep
from fenpei.http.fields import BoundedDateTime
from fenpei.services.holdout.report import holdout_report

router = APIRouter(prefix="/reports", tags=["rules"])
ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorRead, "description": "Not an admin or a manager."},
}


@router.get("/holdout", responses=ERRORS)
def read_holdout_report(
    uow: UowDep,
    actor: CurrentActor,
    since: Annotated[
        BoundedDateTime | None, Query(description="Routed at or after (with a zone).")
    ] = None,
    until: Annotated[BoundedDateTime | None, Query(description="Routed before.")] = None,
) -> HoldoutReportRead:
    """Per rule with a holdout: customers, won, lost, open, conversion and won value per
    arm, and the difference with its 95% interval (admins; managers: their teams)."""
    return HoldoutReportRead.of(holdout_report(uow=uow, actor=actor, since=since, until=until))
