"""Every path that changes an owner (``test_ownership_events.PATHS``) reaches the inbox of
the reps it concerns, on SQLite and PostgreSQL: the dispatcher turns each ownership event
into a notification for the new owner's login and the previous owner's."""

from __future__ import annotations

from pathlib import Path
from random import Random

import pytest
import sqlalchemy as sa

from fenpei.adapters.db import tables
from fenpei.bootstrap import Fenpei
from fenpei.domain.users import SYSTEM, Role
from fenpei.services import users
from fenpei.services.notifications.dispatch import Outlets, dispatch_once
from tests.fakes import FakeHasher
from tests.integration import _ownership_world as ow
from tests.integration._routing_world import World, build_world
from tests.integration.test_ownership_events import PATHS


def _logins(app: Fenpei, world: World) -> dict[int, int]:
    """A login for each active rep: rep id -> user id."""
    found = {}
    with app.uow() as uow:
        for rep_id in (world.alice, world.bob, world.carol, world.dan):
            user = users.create_user(
                uow=uow, hasher=FakeHasher(), username=f"rep-{rep_id}",
                password="correct horse battery", role=Role.rep, actor=SYSTEM, now=app.now(),
                rep_id=rep_id,
            )  # fmt: skip
            assert user.id is not None
            found[rep_id] = user.id
        uow.commit()
    return found


def _notes(app: Fenpei) -> list[dict[str, object]]:
    with app.engine.connect() as connection:
        rows = connection.execute(sa.select(tables.notifications)).mappings()
        return [dict(row) for row in rows]


@pytest.mark.parametrize("path", list(PATHS))
def test_each_ownership_path_reaches_the_inbox_of_the_reps_it_concerns(
    app: Fenpei, tmp_path: Path, path: str
) -> None:
    world = build_world(app)
    before = ow.last_event(app)
    expected = PATHS[path](app, world, tmp_path)
    logins = _logins(app, world)

    rounds = 0
    while dispatch_once(
        uow_factory=app.uow, outlets=Outlets(), now=app.now, worker="w1", rng=Random(rounds)
    ):
        rounds += 1

    since = expected.after_event if expected.after_event is not None else before
    events = [e for e in ow.events(app) if e["id"] > since and e["type"] in ow.OWNERSHIP_EVENTS]
    assert events, path
    notes = _notes(app)
    told = {(n["user_id"], n["event_key"]) for n in notes}
    for event in events:
        payload = event["payload"]
        assert isinstance(payload, dict)
        for side in ("to_rep_id", "from_rep_id"):
            if payload[side] is not None:
                assert (logins[payload[side]], event["key"]) in told, (path, side, payload)
    for customer_id, rep_id in zip(expected.customer_ids, expected.to_rep_ids, strict=True):
        if rep_id is None:
            continue
        mine = [
            n for n in notes
            if n["user_id"] == logins[rep_id] and n["type"] == expected.type
            and n["payload"]["customer_id"] == customer_id  # type: ignore[index]
        ]  # fmt: skip
        assert len(mine) == 1, (path, customer_id, rep_id)
