"""Pools' terms: set by admins, read by whoever may see the pool.

Who sees a pool: admins and auditors every pool; a manager the pools without a team and
those of the teams they manage (with sub-teams); a rep the pools without a team and their
own team's pool.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from fenpei.domain.errors import FieldError, NotFound, ValidationFailed
from fenpei.domain.org import Rep
from fenpei.domain.pools import (
    MAX_CAP,
    MAX_COOLDOWN_DAYS,
    MAX_POOL_KEY,
    Pool,
    default_pool,
    pool_team,
    return_pool,
    team_pool,
)
from fenpei.domain.rules import PUBLIC_POOL
from fenpei.domain.users import Actor, Role
from fenpei.services import _audit, scope
from fenpei.services.pool._reclaim_terms import (
    RECLAIM_FLAGS,
    RECLAIM_LIMITS,
    RECLAIM_NOT_NULL,
    RECLAIM_TERMS,
    cleaned,
    reclaim_errors,
)
from fenpei.services.ports import UnitOfWork

EDITABLE = ("name", "team_id", "daily_claim_cap", "max_owned", "count_won", "cooldown_days",
            "mask_contacts", "protection_days", *RECLAIM_TERMS)  # fmt: skip
_LIMITS = {"daily_claim_cap": MAX_CAP, "max_owned": MAX_CAP, "cooldown_days": MAX_COOLDOWN_DAYS,
           "protection_days": MAX_COOLDOWN_DAYS, **RECLAIM_LIMITS}  # fmt: skip


def pool_for_return(uow: UnitOfWork, rep: Rep) -> str:
    """Where the rep's returned customers go, and so whose terms govern the customers they
    own (protection, reclaim): their team's pool if configured, else the public one."""
    return return_pool(rep.team_id, lambda key: uow.pools.get(key) is not None)


def terms_of(uow: UnitOfWork, key: str, *, lock: bool = False) -> Pool:
    """The pool's terms: its row, or the defaults for a pool nobody configured."""
    return uow.pools.get(key, lock=lock) or default_pool(key)


def may_see(uow: UnitOfWork, actor: Actor, pool: Pool) -> bool:
    """Whether ``actor`` may see (and, a rep, claim from) ``pool``."""
    if actor.role in (Role.admin, Role.auditor) or pool.team_id is None:
        return True
    if actor.role is Role.rep:
        rep = uow.reps.get(actor.rep_id) if actor.rep_id is not None else None
        return rep is not None and rep.team_id == pool.team_id
    return scope.data_scope(uow=uow, actor=actor).covers_team(pool.team_id)


def visible_pool(uow: UnitOfWork, actor: Actor, key: str, *, lock: bool = False) -> Pool:
    """The pool's terms if ``actor`` may see it; NotFound otherwise (not leaking it)."""
    pool = terms_of(uow, key, lock=lock)
    if not may_see(uow, actor, pool):
        raise NotFound("pool", key)
    return pool


def list_pools(*, uow: UnitOfWork, actor: Actor) -> list[Pool]:
    """The pools ``actor`` may see: the public pool, each team's pool and any other one
    configured; those nobody configured with their default terms."""
    pools = {pool.key: pool for pool in uow.pools.all()}
    for key in (PUBLIC_POOL, *(team_pool(t.id) for t in uow.teams.all() if t.id is not None)):
        pools.setdefault(key, default_pool(key))
    return [pools[key] for key in sorted(pools) if may_see(uow, actor, pools[key])]


def _checked(uow: UnitOfWork, key: str, fields: Mapping[str, object]) -> list[FieldError]:
    errors = [FieldError(k, "is not a pool setting") for k in sorted(set(fields) - set(EDITABLE))]
    if not 1 <= len(key) <= MAX_POOL_KEY or not key.isprintable():
        errors.append(FieldError("key", f"must be 1 to {MAX_POOL_KEY} printable characters"))
    for field in ("name", "count_won", "cooldown_days", "mask_contacts", "protection_days",
                  *RECLAIM_NOT_NULL):  # fmt: skip
        if field in fields and fields[field] is None:
            errors.append(FieldError(field, "may not be null"))
    name = fields.get("name")
    if name is not None and (not isinstance(name, str) or not 1 <= len(name.strip()) <= 100):
        errors.append(FieldError("name", "must be 1 to 100 characters"))
    for field, limit in _LIMITS.items():
        value = fields.get(field)
        if value is not None and (type(value) is not int or not 0 <= value <= limit):
            errors.append(FieldError(field, f"must be a whole number from 0 to {limit:,}"))
    for field in ("count_won", "mask_contacts", *RECLAIM_FLAGS):
        if fields.get(field) is not None and not isinstance(fields[field], bool):
            errors.append(FieldError(field, "must be true or false"))
    errors += reclaim_errors(fields)
    team_id = fields.get("team_id", pool_team(key))
    if team_id is not None and (type(team_id) is not int or uow.teams.get(team_id) is None):
        errors.append(FieldError("team_id", f"no team {team_id!r}"))
    elif pool_team(key) not in (None, team_id):
        errors.append(FieldError("team_id", f"{key!r} is the pool of team {pool_team(key)}"))
    return errors


def set_terms(
    *, uow: UnitOfWork, key: str, fields: Mapping[str, object], actor: Actor, now: datetime
) -> Pool:
    """Create or change a pool's terms (admins); every bad field named, nothing written."""
    scope.require_admin(actor, "change pools")
    if errors := _checked(uow, key, fields):
        raise ValidationFailed(errors)
    pool = uow.pools.get(key, lock=True)
    before = _audit.snapshot(pool) if pool is not None else None
    if pool is None:
        pool = default_pool(key)
        pool.created_at = now
    for field in EDITABLE:
        if field in fields:
            value = fields[field]
            setattr(pool, field, cleaned(field, value))
    pool.updated_at = now
    if pool.id is None:
        uow.pools.add(pool)
    _audit.record(
        uow, actor=actor, action="update" if before else "create", obj=pool, now=now,
        before=before,
    )  # fmt: skip
    return pool
