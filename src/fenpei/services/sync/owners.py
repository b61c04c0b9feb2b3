"""Who is who across the two systems: CRM users <-> reps, by email or an explicit map."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from fenpei.domain.org import Rep
from fenpei.domain.sync import CrmUser


@dataclass(frozen=True)
class OwnerMap:
    rep_of_user: dict[str, int]  # CRM user id -> rep id
    user_of_rep: dict[int, str]  # rep id -> CRM user id
    rep_of_email: dict[str, int]  # lower-case email -> rep id

    def rep_for(self, user_id: str | None, email: str | None) -> int | None:
        if user_id is not None and user_id in self.rep_of_user:
            return self.rep_of_user[user_id]
        return self.rep_of_email.get(email.lower()) if email else None


def owner_map(
    users: Sequence[CrmUser], reps: Sequence[Rep], explicit: Mapping[str, str]
) -> OwnerMap:
    """Match by the explicit map first (CRM user id or email -> rep name), then by email
    (a rep's own); active reps only."""
    by_name = {rep.name: rep.id for rep in reps if rep.id is not None and rep.active}
    by_email = {
        rep.email.lower(): rep.id for rep in reps if rep.email and rep.id is not None and rep.active
    }
    explicit_lower = {key.lower(): name for key, name in explicit.items()}
    rep_of_user: dict[str, int] = {}
    for user in users:
        name = explicit_lower.get(user.external_id.lower()) or (
            explicit_lower.get(user.email.lower()) if user.email else None
        )
        rep_id = by_name.get(name) if name else None
        if rep_id is None and user.email:
            rep_id = by_email.get(user.email.lower())
        if rep_id is not None:
            rep_of_user[user.external_id] = rep_id
    user_of_rep: dict[int, str] = {}
    for user_id, rep_id in rep_of_user.items():
        user_of_rep.setdefault(rep_id, user_id)
    return OwnerMap(rep_of_user, user_of_rep, by_email)
