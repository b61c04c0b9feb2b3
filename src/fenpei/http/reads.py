"""Domain objects → read schemas, with the names people need (owner, team, from → to).

Shared by the API routes and the pages, so both show the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable

from fenpei.domain.assignments import Assignment
from fenpei.domain.customers import Customer
from fenpei.domain.org import Rep, Team
from fenpei.http.schemas import AssignmentRead, CustomerRead, RepRead, TeamRead
from fenpei.services.ports import UnitOfWork


class Names:
    """Rep and team names by id, loaded once per request (reps and teams are few)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._reps: dict[int, str] | None = None
        self._teams: dict[int, str] | None = None

    def rep(self, rep_id: int | None) -> str | None:
        if rep_id is None:
            return None
        if self._reps is None:
            self._reps = {r.id: r.name for r in self._uow.reps.all() if r.id is not None}
        return self._reps.get(rep_id)

    def team(self, team_id: int | None) -> str | None:
        if team_id is None:
            return None
        if self._teams is None:
            self._teams = {t.id: t.name for t in self._uow.teams.all() if t.id is not None}
        return self._teams.get(team_id)


def customer_read(customer: Customer, names: Names) -> CustomerRead:
    read = CustomerRead.model_validate(customer)
    read.owner_name = names.rep(customer.owner_id)
    read.team_name = names.team(customer.team_id)
    return read


def customer_reads(customers: Iterable[Customer], names: Names) -> list[CustomerRead]:
    return [customer_read(customer, names) for customer in customers]


def assignment_reads(records: Iterable[Assignment], names: Names) -> list[AssignmentRead]:
    reads = []
    for record in records:
        read = AssignmentRead.model_validate(record)
        read.from_rep_name = names.rep(record.from_rep_id)
        read.to_rep_name = names.rep(record.to_rep_id)
        reads.append(read)
    return reads


def rep_read(rep: Rep, names: Names) -> RepRead:
    read = RepRead.model_validate(rep)
    read.team_name = names.team(rep.team_id)
    return read


def team_read(team: Team) -> TeamRead:
    return TeamRead.model_validate(team)
