"""The sales org: reps, their load and leave; teams as a tree. Who may change what is
decided by ``services.org`` (admin: everything; a manager: availability and capacity of
the reps in their team tree; a rep: their own ``away``; an auditor: nothing)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, status

from fenpei.api.org_schemas import (
    LeaveCreate,
    LeaveRead,
    RepCreate,
    RepDetailRead,
    RepLoadRead,
    RepUpdate,
    TeamCreate,
    TeamDetailRead,
    TeamUpdate,
)
from fenpei.api.schemas import ErrorRead
from fenpei.engine.capacity import capacity_breach
from fenpei.http.deps import CurrentActor, CurrentUser, FenpeiDep, UowDep
from fenpei.http.fields import MAX_ID
from fenpei.http.reads import Names, rep_read, team_read
from fenpei.http.schemas import RepRead, TeamRead
from fenpei.services import org

router = APIRouter(tags=["org"])
RepId = Annotated[int, Path(ge=1, le=MAX_ID, description="The rep's id.")]
TeamId = Annotated[int, Path(ge=1, le=MAX_ID, description="The team's id.")]
LeaveId = Annotated[int, Path(ge=1, le=MAX_ID, description="The leave period's id.")]

Responses = dict[int | str, dict[str, Any]]
ADMIN_ONLY: Responses = {403: {"model": ErrorRead, "description": "Logged in, but not an admin."}}
REP_WRITERS: Responses = {
    403: {
        "model": ErrorRead,
        "description": "An auditor, a manager changing a field only an admin may, "
        "or a rep changing more than their own `away`.",
    }
}
LEAVE_KEEPERS: Responses = {
    403: {"model": ErrorRead, "description": "Neither an admin nor a manager."}
}
NOT_FOUND: Responses = {
    404: {"model": ErrorRead, "description": "No such rep or team, or not in your scope."}
}
CONFLICT: Responses = {
    409: {"model": ErrorRead, "description": "The current state forbids it; the message says why."}
}


def _team_detail(view: org.TeamView, names: Names) -> TeamDetailRead:
    return TeamDetailRead(
        **team_read(view.team).model_dump(),
        manager_user_id=view.team.manager_user_id,
        reps=[rep_read(rep, names) for rep in view.reps],
        sub_teams=[team_read(team) for team in view.sub_teams],
    )


def _rep_detail(view: org.RepView, names: Names) -> RepDetailRead:
    read = RepDetailRead.model_validate(view.rep)
    read.team_name = names.team(view.rep.team_id)
    if (usage := view.usage) is not None:
        rep = view.rep
        read.load = RepLoadRead(
            open_customers=usage.open_count,
            max_open=rep.max_open,
            received_day=usage.received_day,
            max_per_day=rep.max_per_day,
            received_week=usage.received_week,
            max_per_week=rep.max_per_week,
            received_month=usage.received_month,
            max_per_month=rep.max_per_month,
            full=capacity_breach(rep.capacity, usage),
        )
    return read


# --- reps --------------------------------------------------------------------------------------


@router.get("/reps")
def list_reps(
    uow: UowDep,
    user: CurrentUser,
    team_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only this team.")] = None,
) -> list[RepRead]:
    """Every rep (销售人员), by name, with capacity and availability."""
    names = Names(uow)
    return [rep_read(rep, names) for rep in uow.reps.all(team_id=team_id)]


@router.post("/reps", status_code=status.HTTP_201_CREATED, responses=ADMIN_ONLY)
def create_rep(
    body: RepCreate, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> RepDetailRead:
    """Add a rep (admins); every bad field is named and nothing is stored."""
    now = fenpei.now()
    rep = org.create_rep(uow=uow, fields=body.model_dump(exclude_unset=True), actor=actor, now=now)
    uow.commit()
    return _rep_detail(org.view_rep(uow=uow, rep_id=rep.id or 0, actor=actor, now=now), Names(uow))


@router.get("/reps/{rep_id}", responses=NOT_FOUND)
def get_rep(rep_id: RepId, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep) -> RepDetailRead:
    """One rep with working hours and, if they are in your scope, their current load:
    open customers and customers received in the last day, week and month vs. limits."""
    view = org.view_rep(uow=uow, rep_id=rep_id, actor=actor, now=fenpei.now())
    return _rep_detail(view, Names(uow))


@router.patch("/reps/{rep_id}", responses=REP_WRITERS | NOT_FOUND)
def update_rep(
    rep_id: RepId, body: RepUpdate, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> RepDetailRead:
    """Change the keys given. `{"away": true}` is the away switch; `{"active": false}`
    deactivates (reps are never deleted: history refers to them). A manager outside their
    team tree, or a rep other than oneself, gets 404."""
    now, fields = fenpei.now(), body.model_dump(exclude_unset=True)
    org.update_rep(uow=uow, rep_id=rep_id, fields=fields, actor=actor, now=now)
    read = _rep_detail(org.view_rep(uow=uow, rep_id=rep_id, actor=actor, now=now), Names(uow))
    uow.commit()
    return read


@router.get("/reps/{rep_id}/leaves", responses=NOT_FOUND)
def list_leaves(rep_id: RepId, uow: UowDep, actor: CurrentActor) -> list[LeaveRead]:
    """The rep's leave periods (休假), earliest first; for anyone whose scope holds the rep."""
    return [
        LeaveRead.model_validate(v) for v in org.list_leaves(uow=uow, rep_id=rep_id, actor=actor)
    ]


@router.post(
    "/reps/{rep_id}/leaves",
    status_code=status.HTTP_201_CREATED,
    responses=LEAVE_KEEPERS | NOT_FOUND,
)
def add_leave(
    rep_id: RepId, body: LeaveCreate, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> LeaveRead:
    """Record a leave period (admins, or a manager of the rep's team tree); routing skips
    the rep while it lasts."""
    leave = org.add_leave(
        uow=uow,
        rep_id=rep_id,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        note=body.note,
        actor=actor,
        now=fenpei.now(),
    )
    uow.commit()
    return LeaveRead.model_validate(leave)


@router.delete(
    "/reps/{rep_id}/leaves/{leave_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=LEAVE_KEEPERS | NOT_FOUND,
)
def delete_leave(
    rep_id: RepId, leave_id: LeaveId, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> None:
    """Cancel a leave period (admins, or a manager of the rep's team tree)."""
    org.delete_leave(uow=uow, rep_id=rep_id, leave_id=leave_id, actor=actor, now=fenpei.now())
    uow.commit()


# --- teams -------------------------------------------------------------------------------------


@router.get("/teams")
def list_teams(uow: UowDep, user: CurrentUser) -> list[TeamRead]:
    """Every team (团队), by name; ``parent_id`` links a sub-team to its parent."""
    return [team_read(team) for team in uow.teams.all()]


@router.post("/teams", status_code=status.HTTP_201_CREATED, responses=ADMIN_ONLY)
def create_team(
    body: TeamCreate, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> TeamDetailRead:
    """Add a team (admins), optionally under a parent and with a manager user."""
    team = org.create_team(
        uow=uow,
        name=body.name,
        parent_id=body.parent_id,
        manager_user_id=body.manager_user_id,
        manager_name=body.manager_name,
        region=body.region,
        actor=actor,
        now=fenpei.now(),
    )
    uow.commit()
    return _team_detail(org.TeamView(team=team, reps=[], sub_teams=[]), Names(uow))


@router.get("/teams/{team_id}", responses=NOT_FOUND)
def get_team(team_id: TeamId, uow: UowDep, user: CurrentUser) -> TeamDetailRead:
    """One team with its manager, its reps and its direct sub-teams."""
    return _team_detail(org.view_team(uow=uow, team_id=team_id), Names(uow))


@router.patch("/teams/{team_id}", responses=ADMIN_ONLY | NOT_FOUND)
def update_team(
    team_id: TeamId, body: TeamUpdate, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep
) -> TeamDetailRead:
    """Rename a team, move it under another parent (`parent_id`; never under itself or
    its own sub-team) or set its manager (admins)."""
    org.update_team(
        uow=uow,
        team_id=team_id,
        fields=body.model_dump(exclude_unset=True),
        actor=actor,
        now=fenpei.now(),
    )
    read = _team_detail(org.view_team(uow=uow, team_id=team_id), Names(uow))
    uow.commit()
    return read


@router.delete(
    "/teams/{team_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=ADMIN_ONLY | NOT_FOUND | CONFLICT,
)
def delete_team(team_id: TeamId, uow: UowDep, actor: CurrentActor, fenpei: FenpeiDep) -> None:
    """Remove an empty team (admins); 409 while it has reps, sub-teams or rules sending
    customers to it, naming them."""
    org.delete_team(uow=uow, team_id=team_id, actor=actor, now=fenpei.now())
    uow.commit()
