"""Pull: the CRM's records changed since the connection's cursor, a page per transaction;
the cursor moves with each committed page, so a run that dies resumes there (a record
pulled twice updates, never duplicates).

A CRM's "modified since" is strictly after, to the second, and the cursor is the newest
modified time pulled: a record changed later within that same second would never be asked
for again. So each pull asks from one second before the cursor — the records of the
cursor's second come again, and an unchanged one changes nothing (``upsert_record``
writes only what differs)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from random import Random

from fenpei.domain.errors import FenpeiError, ValidationFailed
from fenpei.domain.sync import SyncCounts
from fenpei.domain.users import Actor
from fenpei.services.ports import UnitOfWork
from fenpei.services.rulebook import RuleBook
from fenpei.services.sync.owners import OwnerMap
from fenpei.services.sync.ports import CrmAdapter
from fenpei.services.sync.upsert import upsert_record

BOUNDARY = timedelta(seconds=1)  # the cursor's own second is asked for again


def _problem(external_id: str, exc: FenpeiError) -> str:
    if isinstance(exc, ValidationFailed):
        said = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
        return f"record {external_id}: {said}"
    return f"record {external_id}: {exc}"


def pull(
    *,
    uow_factory: Callable[[], UnitOfWork],
    adapter: CrmAdapter,
    owners: OwnerMap,
    rulebook: RuleBook,
    actor: Actor,
    now: Callable[[], datetime],
    rng: Random,
    counts: SyncCounts,
) -> None:
    """Bring in every record changed since the cursor (all of them the first time)."""
    with uow_factory() as uow:
        cursor = uow.sync.state(adapter.name).pull_cursor
    since = None if cursor is None else cursor - BOUNDARY
    token: str | None = None
    while True:
        page = adapter.pull(modified_since=since, page_token=token)
        with uow_factory() as uow:
            state = uow.sync.state(adapter.name, lock=True)
            newest = state.pull_cursor
            for record in page.records:
                counts.pulled += 1
                rep_id = owners.rep_for(record.owner_external_id, record.owner_email)
                savepoint = uow.savepoint()
                try:
                    upsert_record(
                        uow, rulebook=rulebook, connection=adapter.name, module=adapter.module,
                        record=record, rep_id=rep_id, actor=actor, now=now(), rng=rng,
                        counts=counts,
                    )  # fmt: skip
                    savepoint.release()
                except FenpeiError as exc:
                    savepoint.rollback()
                    counts.errors.append(_problem(record.external_id, exc))
                if record.modified_at and (newest is None or record.modified_at > newest):
                    newest = record.modified_at
            state.pull_cursor = newest
            uow.sync.save_state(state)
            uow.commit()
        if page.next_token is None:
            return
        token = page.next_token
