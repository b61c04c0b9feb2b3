"""The sales org: reps (with their load), teams, companies."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.adapters.db.repositories._base import (
    ROW_LOCK,
    Repository,
    conflicts_as_domain_errors,
)
from fenpei.adapters.db.repositories.routing import SqlRoutingReads
from fenpei.domain.companies import Company
from fenpei.domain.org import Leave, Rep, Team
from fenpei.engine.capacity import Usage


class SqlReps(Repository):
    def add(self, rep: Rep) -> None:
        self._add(rep)

    def get(self, rep_id: int, *, lock: bool = False) -> Rep | None:
        return self.session.get(Rep, rep_id, with_for_update=ROW_LOCK if lock else None)

    def lock_many(self, rep_ids: Collection[int]) -> list[Rep]:
        stmt = (
            sa.select(Rep)
            .where(t.reps.c.id.in_(sorted(set(rep_ids))))
            .order_by(t.reps.c.id)
            .with_for_update(key_share=True)
        )
        return list(self.session.scalars(stmt))

    def by_name(self, name: str) -> Rep | None:
        return self.session.scalar(sa.select(Rep).where(t.reps.c.name == name))

    def all(self, *, team_id: int | None = None) -> list[Rep]:
        stmt = sa.select(Rep).order_by(t.reps.c.name)
        if team_id is not None:
            stmt = stmt.where(t.reps.c.team_id == team_id)
        return list(self.session.scalars(stmt))

    def usage(self, rep_id: int, *, now: datetime) -> Usage:
        """The routing read model's load statement, for one rep (one query, one definition)."""
        return SqlRoutingReads(self.session).loads(now=now, rep_ids=[rep_id])[rep_id].usage

    def add_leave(self, leave: Leave) -> None:
        self._add(leave)

    def leaves(self, rep_id: int) -> list[Leave]:
        return list(
            self.session.scalars(
                sa.select(Leave).where(t.leaves.c.rep_id == rep_id).order_by(t.leaves.c.starts_at)
            )
        )

    def get_leave(self, leave_id: int) -> Leave | None:
        return self.session.get(Leave, leave_id)

    def delete_leave(self, leave: Leave) -> None:
        self.session.delete(leave)
        self.session.flush()


class SqlTeams(Repository):
    def add(self, team: Team) -> None:
        self._add(team)

    def get(self, team_id: int) -> Team | None:
        return self.session.get(Team, team_id)

    def by_name(self, name: str) -> Team | None:
        return self.session.scalar(sa.select(Team).where(t.teams.c.name == name))

    def all(self) -> list[Team]:
        return list(self.session.scalars(sa.select(Team).order_by(t.teams.c.name)))

    def delete(self, team: Team) -> None:
        self.session.delete(team)
        with conflicts_as_domain_errors():  # a sub-team added meanwhile refers to it
            self.session.flush()


class SqlCompanies(Repository):
    def add(self, company: Company) -> None:
        self._add(company)

    def get(self, company_id: int) -> Company | None:
        return self.session.get(Company, company_id)

    def by_name(self, name: str) -> Company | None:
        return self.session.scalar(sa.select(Company).where(t.companies.c.name == name))

    def all(self) -> list[Company]:
        return list(self.session.scalars(sa.select(Company).order_by(t.companies.c.name)))
