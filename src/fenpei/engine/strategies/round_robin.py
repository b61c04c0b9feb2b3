"""Round robin (轮询): each eligible rep in turn, by id, remembering who was served last."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from operator import attrgetter
from random import Random
from typing import Any

from fenpei.engine.items import WorkItem
from fenpei.engine.model import TOP_CANDIDATES, Choice, RepState
from fenpei.engine.scoring.contract import Affinity
from fenpei.engine.strategies._common import unknown_options

_BY_ID = attrgetter("id")


class RoundRobin:
    """The cursor is the id of the rep served last; the next turn is the first id above it.

    Keeping an id rather than a position is what makes the rotation survive a changing
    team: a rep who is ineligible this time is simply passed over and the turn after
    resumes from whoever was served, and a new rep slots in at their id.

    Score: how soon the rep's turn comes — n for the rep chosen, n - 1 for the one after
    them, down to 1 for the rep served last. Only the first ``TOP_CANDIDATES`` turns are
    written down (the rest follow from the order): a team of a thousand costs a bisection,
    not a thousand scores.
    """

    name = "round_robin"
    weighs_load = False

    def choose(
        self,
        candidates: Sequence[RepState],
        *,
        customer: WorkItem,
        state: Mapping[str, Any],
        options: Mapping[str, Any],
        rng: Random,
        affinity: Affinity | None = None,
    ) -> Choice:
        count = len(candidates)  # in id order, as the router hands them over
        cursor = state.get("last_rep_id")
        params: dict[str, Any] = {}
        if isinstance(cursor, int) and not isinstance(cursor, bool):
            turn = bisect_right(candidates, cursor, key=_BY_ID)  # the first after the last
            last_name = state.get("last_rep_name")
            shown = last_name if isinstance(last_name, str) else f"rep #{cursor}"
            reason = f"round robin: next after {shown}"
            code, params = "round_robin.next", {"previous": shown}
        else:
            turn = 0
            reason = "round robin: first turn"
            code = "round_robin.first"
        turn %= count
        chosen = candidates[turn]
        ahead = min(count, TOP_CANDIDATES)
        in_turn = [candidates[(turn + k) % count].id for k in range(ahead)]
        return Choice(
            rep_id=chosen.id,
            scores=dict(zip(in_turn, map(float, range(count, count - ahead, -1)), strict=True)),
            reason=reason,
            code=code,
            params=params,
            new_state={"last_rep_id": chosen.id, "last_rep_name": chosen.rep.name},
            scored=count,
        )

    def option_problems(self, options: Mapping[str, Any]) -> list[str]:
        return unknown_options(options, ())
