"""Round robin (轮询): each eligible rep in turn, by id, remembering who was served last."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from random import Random
from typing import Any

from fenpei.domain.customers import Customer
from fenpei.engine.model import Choice, RepState
from fenpei.engine.strategies._common import by_id, unknown_options


class RoundRobin:
    """The cursor is the id of the rep served last; the next turn is the first id above it.

    Keeping an id rather than a position is what makes the rotation survive a changing
    team: a rep who is ineligible this time is simply passed over and the turn after
    resumes from whoever was served, and a new rep slots in at their id.

    Score: how soon the rep's turn comes — n for the rep chosen, n - 1 for the one after
    them, down to 1 for the rep served last.
    """

    name = "round_robin"
    weighs_load = False

    def choose(
        self,
        candidates: Sequence[RepState],
        *,
        customer: Customer,
        state: Mapping[str, Any],
        options: Mapping[str, Any],
        rng: Random,
    ) -> Choice:
        ordered = by_id(candidates)
        ids = [c.id for c in ordered]
        cursor = state.get("last_rep_id")
        if isinstance(cursor, int) and not isinstance(cursor, bool):
            turn = bisect_right(ids, cursor)  # the first rep after the last one served
            last_name = state.get("last_rep_name")
            shown = last_name if isinstance(last_name, str) else f"rep #{cursor}"
            reason = f"round robin: next after {shown}"
        else:
            turn = 0
            reason = "round robin: first turn"
        turn %= len(ids)
        chosen = ordered[turn]
        in_turn = ids[turn:] + ids[:turn]
        return Choice(
            rep_id=chosen.id,
            scores=dict(zip(in_turn, map(float, range(len(ids), 0, -1)), strict=True)),
            reason=reason,
            new_state={"last_rep_id": chosen.id, "last_rep_name": chosen.rep.name},
        )

    def option_problems(self, options: Mapping[str, Any]) -> list[str]:
        return unknown_options(options, ())
