"""Who may see and change what: roles, and each actor's data scope (数据权限).

An admin and an auditor see everything (the auditor only reads). A manager sees the teams
they manage, with every sub-team, and the reps and customers in them. A rep sees their own
customers. Records outside one's scope are reported as not found, so their existence is
not leaked. API, web and CLI all ask here.

The rule book (分配规则) is the organisation's configuration, read whole or not at all:
admins, managers and auditors read every rule, its versions, and where the rules would
send a customer (preview, the editor's check and tester); a rep sees none of it, since a
preview shows every rep it passes over and why (on leave until …, at capacity).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fenpei.domain.customers import Customer
from fenpei.domain.errors import NotFound, PermissionDenied
from fenpei.domain.org import Rep, Team
from fenpei.domain.users import Actor, Role
from fenpei.services.ports import UnitOfWork

WRITERS = frozenset({Role.admin, Role.manager})
RULE_READERS = frozenset({Role.admin, Role.manager, Role.auditor})


@dataclass(frozen=True)
class DataScope:
    """The reps and teams whose customers an actor may see; ``None`` means all of them."""

    rep_ids: frozenset[int] | None
    team_ids: frozenset[int] | None

    @property
    def unrestricted(self) -> bool:
        return self.rep_ids is None

    def covers_customer(self, customer: Customer) -> bool:
        """Owned by a rep in scope, or (unowned or not) held for a team in scope."""
        if self.rep_ids is None or self.team_ids is None:
            return True
        return customer.owner_id in self.rep_ids or customer.team_id in self.team_ids

    def covers_rep(self, rep: Rep) -> bool:
        return self.rep_ids is None or rep.id in self.rep_ids

    def covers_team(self, team_id: int | None) -> bool:
        return self.team_ids is None or team_id in self.team_ids


EVERYTHING = DataScope(rep_ids=None, team_ids=None)


def team_tree(teams: Iterable[Team], roots: Iterable[int]) -> frozenset[int]:
    """The ``roots`` and every team below them."""
    children: dict[int | None, list[int]] = {}
    for team in teams:
        if team.id is not None:
            children.setdefault(team.parent_id, []).append(team.id)
    found: set[int] = set()
    pending = list(roots)
    while pending:
        team_id = pending.pop()
        if team_id not in found:
            found.add(team_id)
            pending.extend(children.get(team_id, ()))
    return frozenset(found)


def data_scope(*, uow: UnitOfWork, actor: Actor) -> DataScope:
    """What ``actor`` may see: everything, their team trees, or their own customers."""
    if actor.role in (Role.admin, Role.auditor):
        return EVERYTHING
    own = frozenset({actor.rep_id}) if actor.rep_id is not None else frozenset[int]()
    if actor.role is Role.rep or actor.user_id is None:
        return DataScope(rep_ids=own, team_ids=frozenset())
    teams = uow.teams.all()
    managed = [t.id for t in teams if t.manager_user_id == actor.user_id and t.id is not None]
    team_ids = team_tree(teams, managed)
    members = {rep.id for rep in uow.reps.all() if rep.team_id in team_ids and rep.id}
    return DataScope(rep_ids=own | members, team_ids=team_ids)


def home_team_id(*, uow: UnitOfWork, actor: Actor) -> int | None:
    """The team a manager's new customers are held for: the first team they manage."""
    if actor.role is not Role.manager or actor.user_id is None:
        return None
    managed = [t.id for t in uow.teams.all() if t.manager_user_id == actor.user_id and t.id]
    return min(managed, default=None)


def require_writer(actor: Actor, what: str) -> None:
    """Only an admin or a manager changes customers and owners; reps and auditors read."""
    if actor.role not in WRITERS:
        raise PermissionDenied(f"only an admin or a manager may {what}")


def require_admin(actor: Actor, what: str) -> None:
    if not actor.is_admin:
        raise PermissionDenied(f"only an admin may {what}")


def require_overseer(actor: Actor, what: str) -> None:
    """Admins, managers and auditors look at how routing is set up; a rep works customers."""
    if actor.role is Role.rep:
        raise PermissionDenied(f"a rep may not {what}")


def require_rule_reader(actor: Actor, what: str = "see the assignment rules") -> None:
    """Admins, managers and auditors read the rule book and preview it; a rep may not."""
    if actor.role not in RULE_READERS:
        raise PermissionDenied(f"only an admin, a manager or an auditor may {what}")


def visible_customer(scope: DataScope, customer: Customer | None, customer_id: int) -> Customer:
    """The customer if it exists, is not deleted and is in scope; otherwise NotFound."""
    if customer is None or customer.deleted_at is not None or not scope.covers_customer(customer):
        raise NotFound("customer", customer_id)
    return customer


def visible_rep(scope: DataScope, rep: Rep | None, rep_id: int) -> Rep:
    """The rep if it exists and is in scope; otherwise NotFound."""
    if rep is None or not scope.covers_rep(rep):
        raise NotFound("rep", rep_id)
    return rep
