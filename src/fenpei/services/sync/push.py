"""Push: owner changes made in fenpei (any path: rules, hand, pool, reclaim…) since the
connection's cursor, told to the CRM once.

1. *Record*: each assignment after the cursor becomes a push row (unique per connection and
   assignment) — pending, or skipped with the reason (the CRM's own change, not a linked
   record, to a pool, no CRM user for the rep); the cursor moves in the same transaction.
2. *Send*: pending rows, the latest per record (earlier ones superseded), in calls of the
   adapter's size. A call is marked ``sending`` and committed before it goes out, and
   ``sent`` / ``failed`` per record after. Rate limits are waited out inside the adapter.
3. *Recover*: rows left ``sending`` by a run that died between the call and its record
   are checked against the CRM's current owner first: already so, they are marked sent
   without sending again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fenpei.domain.assignments import AssignMethod
from fenpei.domain.sync import OwnerChange, PushStatus, SyncCounts
from fenpei.services.ports import UnitOfWork
from fenpei.services.sync.owners import OwnerMap
from fenpei.services.sync.ports import CrmAdapter

RECORD_BATCH = 1000


def record_pushes(
    *,
    uow_factory: Callable[[], UnitOfWork],
    connection: str,
    module: str,
    owners: OwnerMap | None,
    now: Callable[[], datetime],
    counts: SyncCounts,
) -> None:
    """Turn the assignments after the cursor into push rows; ``owners`` None: no CRM user
    ids (the CSV bridge), rows keep the rep id instead."""
    while True:
        with uow_factory() as uow:
            state = uow.sync.state(connection, lock=True)
            batch = uow.sync.assignments_after(state.push_cursor, limit=RECORD_BATCH)
            if not batch:
                return
            links = uow.sync.externals_of(connection, module, {row.customer_id for row in batch})
            for row in batch:
                assignment_id, customer_id, to_rep_id = row.id, row.customer_id, row.to_rep_id
                method = row.method
                external_id = links.get(customer_id)
                owner: str | None = None
                note: str | None = None
                if method == AssignMethod.sync.value:
                    note = "the change came from the CRM"
                elif external_id is None:
                    note = "the customer is not linked to a CRM record"
                elif to_rep_id is None:
                    note = "to a pool: the CRM keeps its owner"
                elif owners is None:
                    owner = str(to_rep_id)
                elif (owner := owners.user_of_rep.get(to_rep_id)) is None:
                    note = f"rep {to_rep_id} has no CRM user"
                status = PushStatus.skipped if note else PushStatus.pending
                counts.skipped += status is PushStatus.skipped
                uow.sync.add_push(
                    connection=connection, assignment_id=assignment_id, customer_id=customer_id,
                    external_id=external_id, owner_external_id=owner, status=status, note=note,
                    now=now(),
                )  # fmt: skip
            state.push_cursor = batch[-1].id
            uow.sync.save_state(state)
            uow.commit()


def _recover(
    uow_factory: Callable[[], UnitOfWork], adapter: CrmAdapter, now: Callable[[], datetime]
) -> None:
    with uow_factory() as uow:
        stuck = uow.sync.pushes(adapter.name, [PushStatus.sending], limit=100_000)
    if not stuck:
        return
    current = adapter.owners_of([row.external_id for row in stuck])
    done = [row.id for row in stuck if current.get(row.external_id) == row.owner_external_id]
    again = [row.id for row in stuck if row.id not in set(done)]
    with uow_factory() as uow:
        uow.sync.set_push_status(done, PushStatus.sent, now=now(), note="found set after a stop")
        uow.sync.set_push_status(again, PushStatus.pending, now=now(), note=None)
        uow.commit()


def send_pushes(
    *,
    uow_factory: Callable[[], UnitOfWork],
    adapter: CrmAdapter,
    now: Callable[[], datetime],
    counts: SyncCounts,
) -> None:
    """Send every pending owner change, once."""
    _recover(uow_factory, adapter, now)
    while True:
        with uow_factory() as uow:
            rows = uow.sync.pushes(adapter.name, [PushStatus.pending], limit=adapter.max_push * 10)
            if not rows:
                return
            latest: dict[str, int] = {}
            for row in rows:
                latest[row.external_id] = row.id  # by id: the last one wins
            keep = set(latest.values())
            superseded = [row.id for row in rows if row.id not in keep]
            batch = [row for row in rows if row.id in keep][: adapter.max_push]
            uow.sync.set_push_status(superseded, PushStatus.superseded, now=now(), note=None)
            uow.sync.set_push_status(
                [r.id for r in batch], PushStatus.sending, now=now(), note=None
            )
            uow.commit()
        changes = [
            OwnerChange(row.id, row.external_id, row.owner_external_id or "") for row in batch
        ]
        answers = adapter.push_owners(changes)
        with uow_factory() as uow:
            for change, answer in zip(changes, answers, strict=True):
                if answer.ok:
                    uow.sync.set_push_status(
                        [change.push_id], PushStatus.sent, now=now(), note=None
                    )
                    counts.pushed += 1
                else:
                    note = f"{answer.code}: {answer.message}"[:1000]
                    uow.sync.set_push_status(
                        [change.push_id], PushStatus.failed, now=now(), note=note
                    )
                    counts.push_failed += 1
                    counts.errors.append(f"push of record {change.external_id}: {note}")
            uow.commit()
