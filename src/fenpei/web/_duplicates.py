"""The 查重 box and the duplicate warnings of the pages: matches as the user may know them,
or the problem with each field in the page's words."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated

from fastapi import Query

from fenpei.domain.duplicates import DuplicateMatch
from fenpei.domain.errors import ValidationFailed
from fenpei.domain.pools import pool_team
from fenpei.domain.rules import PUBLIC_POOL
from fenpei.domain.users import Actor
from fenpei.services.duplicates import find_duplicates
from fenpei.services.ports import UnitOfWork
from fenpei.web._said import said
from fenpei.web.i18n import Translate

DupText = Annotated[str | None, Query(max_length=400)]


def pool_words(t: Translate, uow: UnitOfWork) -> Callable[[str | None, str | None], str]:
    """A match's pool in words, as the pool page names it: its admin-given name, else
    "<team> 团队公海" or "公共公海"."""
    teams = {team.id: team.name for team in uow.teams.all()}

    def words(key: str | None, name: str | None) -> str:
        if key is None:
            return ""
        if name and name != key:
            return name
        if (team_id := pool_team(key)) is not None:
            return t("pool.team", team=teams.get(team_id, key))
        return t("pool.public") if key == PUBLIC_POOL else key

    return words


@dataclass(frozen=True)
class DuplicateCheck:
    """What the box was given, what it found (None: not asked) and the problems by field."""

    phone: str = ""
    email: str = ""
    company: str = ""
    matches: list[DuplicateMatch] | None = None
    errors: dict[str, str] = field(default_factory=dict)


def duplicate_check(
    t: Translate,
    uow: UnitOfWork,
    actor: Actor,
    now: datetime,
    *,
    phone: str | None,
    email: str | None,
    company: str | None,
) -> DuplicateCheck:
    """Run the check if anything was typed in the box; otherwise an empty box."""
    given = DuplicateCheck(phone=phone or "", email=email or "", company=company or "")
    if not (given.phone.strip() or given.email.strip() or given.company.strip()):
        return given
    try:
        matches = find_duplicates(
            uow=uow, actor=actor, now=now, phone=phone, email=email, company_name=company
        )
    except ValidationFailed as exc:
        box = {"phone": "phone", "email": "email", "company_name": "company"}
        errors = {box.get(e.field, "phone"): said(t, e.message) for e in exc.errors}
        return DuplicateCheck(given.phone, given.email, given.company, None, errors)
    return DuplicateCheck(given.phone, given.email, given.company, matches)
