"""The sales org, read-only for now: reps and teams."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from fenpei.api.deps import CurrentUser, UowDep
from fenpei.api.reads import Names, rep_read, team_read
from fenpei.api.schemas import MAX_ID, RepRead, TeamRead

router = APIRouter(tags=["org"])


@router.get("/reps")
def list_reps(
    uow: UowDep,
    user: CurrentUser,
    team_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only this team.")] = None,
) -> list[RepRead]:
    """Every rep (销售人员), by name, with capacity and availability."""
    names = Names(uow)
    return [rep_read(rep, names) for rep in uow.reps.all(team_id=team_id)]


@router.get("/teams")
def list_teams(uow: UowDep, user: CurrentUser) -> list[TeamRead]:
    """Every team (团队), by name; ``parent_id`` links a sub-team to its parent."""
    return [team_read(team) for team in uow.teams.all()]
