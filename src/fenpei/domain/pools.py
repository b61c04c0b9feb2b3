"""The public pool (公海): where unowned customers wait, and the terms of claiming from it.

A customer waits in a pool while ``Customer.pool`` names it and nobody owns it. The global
pool is ``public``; a team's pool is ``team:<id>``; rules may name others. A ``Pool`` row
holds a pool's terms; a pool without one has the defaults (everyone may claim, no caps).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from fenpei.domain.rules import PUBLIC_POOL

MAX_POOL_KEY = 100
MAX_CAP = 100_000
MAX_COOLDOWN_DAYS = 3_650
# Return reasons are a category dimension (admin-defined on the categories page).
RETURN_REASONS = "return_reason"


class ReclaimRule(StrEnum):
    """Why an owned customer goes back to the pool (回收), in the order they are checked."""

    no_follow_up = "no_follow_up"  # no follow-up for N days (since owned or last followed up)
    not_won = "not_won"  # not won within N days of getting its owner
    stuck = "stuck"  # N days in one stage


class ReclaimAction(StrEnum):
    """What reclaim does with a customer: back to the pool, or the pool then routing."""

    pool = "pool"
    reroute = "reroute"


def team_pool(team_id: int) -> str:
    """The key of a team's pool: ``team:7``."""
    return f"team:{team_id}"


def pool_team(key: str) -> int | None:
    """The team a ``team:<id>`` key names, else None."""
    prefix, _, rest = key.partition(":")
    return int(rest) if prefix == "team" and rest.isdigit() and len(rest) < 10 else None


@dataclass(eq=False)
class Pool:
    """A pool's terms. ``team_id`` None: every rep may see and claim; else only the team's
    reps (its managers and admins push from it either way).

    - ``daily_claim_cap``: customers one rep may claim per day (their local day);
    - ``max_owned``: a rep owning this many open customers (won ones too if
      ``count_won``) may not claim more;
    - ``cooldown_days``: the rep who returned a customer (or lost it to reclaim) may not
      claim it back for this long;
    - ``mask_contacts``: phone, email and WeChat are hidden from reps until claimed;
    - ``protection_days``: after a customer of this pool gets an owner (claim or any
      assignment), it is protected (保护期) this long: not reclaimed, shown as protected
      to whoever finds it by the duplicate check;
    - reclaim (回收, see ``domain/reclaim.py``), for the customers owned by reps whose
      returns go to this pool: with ``reclaim_enabled``, ``no_follow_up_days``,
      ``not_won_days``, ``stuck_days`` (None: that rule off), overridden per customer
      level by ``level_days`` ({"A": {"no_follow_up": 30}}); ``warn_days`` before the due
      the owner is warned once; key accounts (``exempt_key_accounts``) and won customers
      (``exempt_won``) are left alone; ``reclaim_action`` pool or reroute;
    - ``max_key_accounts``: a rep may hold this many key accounts (重点客户).
    None means no limit.
    """

    key: str
    name: str
    team_id: int | None = None
    daily_claim_cap: int | None = None
    max_owned: int | None = None
    count_won: bool = False
    cooldown_days: int = 0
    mask_contacts: bool = False
    protection_days: int = 0
    reclaim_enabled: bool = False
    no_follow_up_days: int | None = None
    not_won_days: int | None = None
    stuck_days: int | None = None
    level_days: dict[str, dict[str, int]] = field(default_factory=dict)
    warn_days: int = 0
    exempt_key_accounts: bool = True
    exempt_won: bool = True
    reclaim_action: ReclaimAction = ReclaimAction.pool
    max_key_accounts: int | None = None
    id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


def default_pool(key: str) -> Pool:
    """The terms of a pool nobody configured: open to all (a team's pool to its team)."""
    return Pool(key=key, name=key, team_id=pool_team(key))


def return_pool(team_id: int | None, is_configured: Callable[[str], bool]) -> str:
    """The pool a rep's customers return to, whose terms govern them: their team's pool if
    an admin configured it, else the public one."""
    if team_id is not None and is_configured(team_pool(team_id)):
        return team_pool(team_id)
    return PUBLIC_POOL


def protected_until(assigned_at: datetime | None, pool: Pool) -> datetime | None:
    """When an owned customer's protection (保护期) ends: ``protection_days`` after it got
    its owner; None if the pool grants none or it has no owner's date."""
    if assigned_at is None or pool.protection_days <= 0:
        return None
    return assigned_at + timedelta(days=pool.protection_days)
