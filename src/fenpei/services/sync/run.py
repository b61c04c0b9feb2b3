"""One sync run of a connection (pull, then push), its record, and the admin's controls."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from random import Random
from typing import Any

from fenpei.domain.errors import NotFound
from fenpei.domain.sync import CrmError, SyncCounts, SyncState
from fenpei.domain.users import Actor
from fenpei.services import _audit, scope
from fenpei.services.ports import UnitOfWork
from fenpei.services.rulebook import RuleBook
from fenpei.services.sync.owners import owner_map
from fenpei.services.sync.ports import CrmAdapter
from fenpei.services.sync.pull import pull
from fenpei.services.sync.push import record_pushes, send_pushes


def run_sync(
    *,
    uow_factory: Callable[[], UnitOfWork],
    adapter: CrmAdapter,
    rulebook: RuleBook,
    actor: Actor,
    now: Callable[[], datetime],
    rng: Random,
    user_map: Mapping[str, str] | None = None,
    do_pull: bool = True,
    do_push: bool = True,
) -> SyncCounts:
    """Pull what changed in the CRM, then push the owner changes made here; the counts and
    any error are kept as the connection's last run (a CRM error stops the run, and the
    next run resumes from the cursors)."""
    scope.require_admin(actor, "run CRM sync")
    counts = SyncCounts()
    error: str | None = None
    try:
        users = adapter.users()
        with uow_factory() as uow:
            owners = owner_map(users, uow.reps.all(), user_map or {})
        if do_pull:
            pull(
                uow_factory=uow_factory, adapter=adapter, owners=owners, rulebook=rulebook,
                actor=actor, now=now, rng=rng, counts=counts,
            )  # fmt: skip
        if do_push:
            record_pushes(
                uow_factory=uow_factory, connection=adapter.name, module=adapter.module,
                owners=owners, now=now, counts=counts,
            )  # fmt: skip
            send_pushes(uow_factory=uow_factory, adapter=adapter, now=now, counts=counts)
    except CrmError as exc:
        error = str(exc)[:2000]
        counts.errors.append(error)
    finish_run(
        uow_factory=uow_factory,
        connection=adapter.name,
        counts=counts,
        error=error,
        actor=actor,
        now=now(),
    )
    return counts


def finish_run(
    *,
    uow_factory: Callable[[], UnitOfWork],
    connection: str,
    counts: SyncCounts,
    error: str | None,
    actor: Actor,
    now: datetime,
) -> None:
    with uow_factory() as uow:
        state = uow.sync.state(connection, lock=True)
        state.last_run_at, state.last_counts, state.last_error = now, counts.as_dict(), error
        uow.sync.save_state(state)
        _audit.record(uow, actor=actor, action="sync.run", obj=state, now=now, object_id=connection)
        uow.commit()


def reset_pull_cursor(
    *, uow: UnitOfWork, connection: str, known: set[str], actor: Actor, now: datetime
) -> SyncState:
    """Pull everything again next run (records already linked update, never duplicate)."""
    scope.require_admin(actor, "reset a sync cursor")
    if connection not in known:
        raise NotFound("sync connection", connection)
    state = uow.sync.state(connection, lock=True)
    before = _audit.snapshot(state)
    state.pull_cursor = None
    uow.sync.save_state(state)
    _audit.record(
        uow,
        actor=actor,
        action="sync.reset-cursor",
        obj=state,
        now=now,
        before=before,
        object_id=connection,
    )
    return state


@dataclass
class ConnectionStatus:
    name: str
    kind: str
    module: str
    state: SyncState
    links: int
    pushes: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "module": self.module,
            "pull_cursor": self.state.pull_cursor.isoformat() if self.state.pull_cursor else None,
            "push_cursor": self.state.push_cursor,
            "last_run_at": self.state.last_run_at.isoformat() if self.state.last_run_at else None,
            "last_counts": self.state.last_counts,
            "last_error": self.state.last_error,
            "links": self.links,
            "pushes": self.pushes,
        }


def statuses(
    *, uow: UnitOfWork, connections: Mapping[str, tuple[str, str]], actor: Actor
) -> list[ConnectionStatus]:
    """Each configured connection (name -> (kind, module)) with its cursors and counts."""
    scope.require_admin(actor, "see CRM sync")
    return [
        ConnectionStatus(
            name=name,
            kind=kind,
            module=module,
            state=uow.sync.state(name),
            links=uow.sync.link_count(name),
            pushes=uow.sync.push_counts(name),
        )
        for name, (kind, module) in connections.items()
    ]
