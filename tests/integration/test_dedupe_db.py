"""Duplicates in bulk and merge on SQLite and PostgreSQL: the scan stores pairs and keeps a
dismissed one dismissed; a merge carries every table of ``MOVES`` to the survivor and sets
the owner by the rule through ``give()`` and stops the merged-away customer's running SLA
clock; an undo puts back every moved row and both customers; an unsafe undo is refused;
two concurrent merges of one pair: one wins."""

from __future__ import annotations

import io
import threading
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from fenpei.adapters.db import tables
from fenpei.adapters.db.repositories.dedupe import MOVES
from fenpei.bootstrap import Fenpei
from fenpei.domain.assignments import AssignMethod
from fenpei.domain.customers import Customer
from fenpei.domain.dedupe import PairStatus
from fenpei.domain.errors import Conflict, FenpeiError
from fenpei.domain.events import EventType
from fenpei.domain.org import Rep
from fenpei.domain.users import SYSTEM, Actor, Role
from fenpei.services import assignments, org
from fenpei.services.customers import create_customer, update_customer
from fenpei.services.dedupe import merge as merging
from fenpei.services.dedupe import review, scan, undo
from fenpei.services.files import attachments
from fenpei.services.follow_ups.records import record_follow_up
from fenpei.services.follow_ups.stages import change_stage
from fenpei.services.sla import policies
from tests.fakes import FixedClock
from tests.file_samples import minimal_pdf


def _customer(app: Fenpei, rep: Rep | None, **fields: Any) -> Customer:
    custom = fields.pop("custom", None)
    with app.uow() as uow:
        customer = create_customer(uow=uow, fields=fields, actor=SYSTEM, now=app.now())
        uow.commit()
    assert customer.id is not None
    if custom is not None:  # undeclared custom attributes, as an older import may have left
        with app.engine.begin() as c:
            c.execute(
                sa.update(tables.customers)
                .where(tables.customers.c.id == customer.id)
                .values(custom=custom)
            )
    if rep is not None:
        with app.uow() as uow:
            assignments.assign(
                uow=uow, customer_id=customer.id, rep_id=rep.id or 0, actor=SYSTEM, now=app.now()
            )
            uow.commit()
    return customer


def _rep(app: Fenpei, name: str) -> Rep:
    with app.uow() as uow:
        rep = org.create_rep(uow=uow, fields={"name": name}, actor=SYSTEM, now=app.now())
        uow.commit()
    return rep


def _history(app: Fenpei, rep: Rep, customer: Customer, clock: FixedClock) -> None:
    """A follow-up, a stage change, an SLA clock, a task (with its link) and a file for
    ``customer``."""
    cid = customer.id or 0
    actor = Actor(rep.name, Role.rep, rep_id=rep.id)
    with app.uow() as uow:
        record_follow_up(uow=uow, customer_id=cid, actor=actor, now=app.now(), kind="phone",
                         at=app.now(), content="电话沟通")  # fmt: skip
        change_stage(uow=uow, customer_id=cid, to="qualified", reason=None, actor=actor,
                     now=app.now())  # fmt: skip
        attachments.upload(uow=uow, store=app.files, customer_id=cid,
                           stream=io.BytesIO(minimal_pdf(customer.name)), file_name="合同.pdf",
                           actor=actor, now=app.now(), max_bytes=1 << 20)  # fmt: skip
        uow.commit()
    now = clock.now()
    with app.engine.begin() as c:
        c.execute(sa.insert(tables.sla_clocks).values(
            customer_id=cid, rep_id=rep.id, state="open", started_at=now,
            due_at=now + timedelta(hours=4), paused_minutes=0,
        ))  # fmt: skip
        task_id = c.execute(sa.insert(tables.tasks).values(
            title=f"Call {customer.name}", priority="medium", status="todo", origin="manual",
            created_by="admin", progress=0, created_at=now, customer_id=cid,
        ).returning(tables.tasks.c.id)).scalar_one()  # fmt: skip
        c.execute(sa.insert(tables.task_customers).values(task_id=task_id, customer_id=cid))


def _rows(app: Fenpei) -> dict[str, set[tuple[Any, ...]]]:
    """Every row of every table a merge moves, as tuples."""
    found: dict[str, set[tuple[Any, ...]]] = {}
    with app.engine.connect() as c:
        for name, _ in MOVES:
            rows = c.execute(sa.select(tables.metadata.tables[name]))
            found[name] = {tuple(repr(value) for value in row) for row in rows}
    return found


def _owned_by(app: Fenpei, table: str, customer_id: int) -> int:
    t = tables.metadata.tables[table]
    with app.engine.connect() as c:
        query = sa.select(sa.func.count()).select_from(t).where(t.c.customer_id == customer_id)
        return int(c.execute(query).scalar_one())


def test_scan_finds_pairs_and_a_dismissed_pair_stays_dismissed(app: Fenpei) -> None:
    a = _customer(app, None, name="王总", company_name="北京字节跳动科技有限公司",
                  phone="138 0013 8000")  # fmt: skip
    b = _customer(app, None, name="王经理", company_name="北京字節跳动科技",
                  phone="+86 13800138000")  # fmt: skip
    c = _customer(app, None, name="Acme", company_name="Acme Trading Co., Ltd.")
    d = _customer(app, None, name="Acme 2", company_name="Trading Acme Inc")
    _customer(app, None, name="Other", company_name="上海浦东发展银行")
    with app.uow() as uow:
        result = scan.scan_duplicates(uow=uow, actor=SYSTEM, now=app.now())
        uow.commit()
    assert result.found == 2 and result.new == 2
    with app.uow() as uow:
        views, total = review.list_pairs(
            uow=uow, actor=SYSTEM, status=PairStatus.open, limit=50, offset=0
        )
    pairs = {(v.low.id, v.high.id): v.pair for v in views}
    assert total == 2
    assert set(pairs) == {(a.id, b.id), (c.id, d.id)}
    assert "phone" in pairs[(a.id, b.id)].reasons
    assert pairs[(c.id, d.id)].reasons == ["company_similar"]
    with app.uow() as uow:
        review.decide_pair(uow=uow, actor=SYSTEM, pair_id=pairs[(c.id, d.id)].id or 0,
                           status=PairStatus.dismissed, now=app.now())  # fmt: skip
        uow.commit()
    with app.uow() as uow:
        again = scan.scan_duplicates(uow=uow, actor=SYSTEM, now=app.now())
        uow.commit()
    assert (again.new, again.updated, again.kept) == (0, 1, 1)
    with app.uow() as uow:
        _, open_total = review.list_pairs(
            uow=uow, actor=SYSTEM, status=PairStatus.open, limit=50, offset=0
        )
        _, dismissed = review.list_pairs(
            uow=uow, actor=SYSTEM, status=PairStatus.dismissed, limit=50, offset=0
        )
    assert (open_total, dismissed) == (1, 1)


def test_merge_carries_every_table_and_undo_puts_back_row_for_row(
    app: Fenpei, clock: FixedClock
) -> None:
    first, second = _rep(app, "张三"), _rep(app, "李四")
    survivor = _customer(app, first, name="王总", phone="13800138000", city="北京",
                         custom={"vip": "yes"}, tags=["老客户"])  # fmt: skip
    clock.advance(timedelta(hours=1))
    loser = _customer(app, second, name="王总（重复）", phone="+86 138-0013-8000",
                      email="wang@example.cn", custom={"source_code": "X1"})  # fmt: skip
    _history(app, first, survivor, clock)
    clock.advance(timedelta(hours=1))
    _history(app, second, loser, clock)  # the loser followed up later: its owner wins
    sid, lid = survivor.id or 0, loser.id or 0
    before = _rows(app)
    assert all(_owned_by(app, name, lid) >= 1 for name, _ in MOVES)
    with app.uow() as uow:
        preview = merging.preview_merge(uow=uow, actor=SYSTEM, survivor_id=sid, loser_id=lid)
    assert preview.owner.reason == "recent_follow_up" and preview.owner.rep_id == second.id
    with app.uow() as uow:
        done = merging.merge_customers(uow=uow, actor=SYSTEM, survivor_id=sid, loser_id=lid,
                                       choices={"name": "survivor"}, now=app.now())  # fmt: skip
        uow.commit()
    for name, _ in MOVES:
        assert _owned_by(app, name, lid) == 0, name
    with app.uow() as uow:
        kept, gone = uow.customers.get(sid), uow.customers.get(lid)
        assert kept is not None and gone is not None
        assert (kept.name, kept.email, kept.city) == ("王总", "wang@example.cn", "北京")
        assert kept.custom == {"vip": "yes", "source_code": "X1"}
        assert kept.owner_id == second.id and gone.deleted_at is not None
    with app.engine.connect() as c:
        a = tables.assignments.c
        methods = c.execute(sa.select(a.method).where(a.customer_id == sid)).scalars().all()
        events = c.execute(sa.select(tables.outbox_events.c.type)).scalars().all()
    assert AssignMethod.merge in methods and EventType.merged in events
    assert done.choices["email"] == "loser" and done.choices["name"] == "survivor"

    with app.uow() as uow:
        undo.undo_merge(uow=uow, actor=SYSTEM, merge_id=done.id or 0, now=app.now())
        uow.commit()
    after = _rows(app)
    for name, _ in MOVES:
        if name == "assignments":  # the merge's and the undo's own records are added
            assert before[name] <= after[name]
            assert len(after[name] - before[name]) == 2
        elif name == "sla_clocks":  # back with their customer; give() ended the open ones
            assert {r[:3] for r in after[name]} >= {r[:3] for r in before[name]}
        else:
            assert after[name] == before[name], name
    with app.uow() as uow:
        kept, back = uow.customers.get(sid), uow.customers.get(lid)
        assert kept is not None and back is not None
        assert (kept.email, kept.custom, kept.tags) == (None, {"vip": "yes"}, ["老客户"])
        assert kept.owner_id == first.id
        assert back.deleted_at is None and back.owner_id == second.id


def test_an_undo_after_the_survivor_was_edited_is_refused_and_changes_nothing(
    app: Fenpei,
) -> None:
    a = _customer(app, None, name="A", phone="13800138000")
    b = _customer(app, None, name="B", phone="13800138000", email="b@example.cn")
    with app.uow() as uow:
        done = merging.merge_customers(uow=uow, actor=SYSTEM, survivor_id=a.id or 0,
                                       loser_id=b.id or 0, choices={}, now=app.now())  # fmt: skip
        uow.commit()
    with app.uow() as uow:
        update_customer(uow=uow, customer_id=a.id or 0, fields={"email": "new@example.cn"},
                        actor=SYSTEM, now=app.now())  # fmt: skip
        uow.commit()
    with app.uow() as uow, pytest.raises(Conflict, match="email"):
        undo.undo_merge(uow=uow, actor=SYSTEM, merge_id=done.id or 0, now=app.now())
    with app.uow() as uow:
        gone = uow.customers.get(b.id or 0)
        assert gone is not None and gone.deleted_at is not None
    with app.uow() as uow, pytest.raises(Conflict, match="merged or deleted"):
        merging.merge_customers(uow=uow, actor=SYSTEM, survivor_id=a.id or 0,
                                loser_id=b.id or 0, choices={}, now=app.now())  # fmt: skip


def test_two_concurrent_merges_of_one_pair_one_wins(app: Fenpei) -> None:
    a = _customer(app, None, name="A", phone="13800138000")
    b = _customer(app, None, name="B", phone="13800138000")
    start = threading.Barrier(2)
    outcomes: list[object] = []

    def run(survivor: int, loser: int) -> None:
        start.wait()
        try:
            with app.uow() as uow:
                merging.merge_customers(uow=uow, actor=SYSTEM, survivor_id=survivor,
                                        loser_id=loser, choices={}, now=app.now())  # fmt: skip
                uow.commit()
            outcomes.append("merged")
        except FenpeiError as exc:
            outcomes.append(exc)

    threads = [
        threading.Thread(target=run, args=(a.id, b.id)),
        threading.Thread(target=run, args=(b.id, a.id)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("merged") == 1
    assert any(isinstance(o, Conflict) for o in outcomes)
    with app.engine.connect() as c:
        merges = c.execute(sa.select(sa.func.count()).select_from(tables.customer_merges))
        assert merges.scalar_one() == 1
        live = c.execute(
            sa.select(sa.func.count())
            .select_from(tables.customers)
            .where(tables.customers.c.deleted_at.is_(None))
        ).scalar_one()
    assert live == 1


def test_a_merge_leaves_the_survivor_one_running_sla_clock_its_owners_and_undo_restarts_it(
    app: Fenpei,
) -> None:
    """The customer merged away stops its owner's clock: moved to the survivor still
    running, it would remind and breach for a rep who does not own the survivor. Undoing
    the merge gives the restored customer its clock back, due when it was due."""
    with app.uow() as uow:
        policies.create_policy(
            uow=uow, fields={"name": "First call", "first_contact_minutes": 120},
            actor=SYSTEM, now=app.now(),
        )  # fmt: skip
        uow.commit()
    first, second = _rep(app, "张三"), _rep(app, "李四")
    survivor = _customer(app, first, name="王总", phone="13800138000")
    loser = _customer(app, second, name="王总（重复）", phone="13800138000")
    with app.uow() as uow:
        merge = merging.merge_customers(
            uow=uow, actor=SYSTEM, survivor_id=survivor.id or 0, loser_id=loser.id or 0,
            choices={}, now=app.now(),
        )  # fmt: skip
        uow.commit()

    k = tables.sla_clocks.c
    with app.engine.connect() as c:
        clocks = c.execute(
            sa.select(k.rep_id, k.state).where(k.customer_id == survivor.id).order_by(k.id)
        ).all()
    assert sorted(clocks) == sorted([(first.id, "open"), (second.id, "cancelled")])
    with app.engine.connect() as c:
        due_before = c.scalar(sa.select(k.due_at).where(k.rep_id == second.id))

    with app.uow() as uow:
        undo.undo_merge(uow=uow, actor=SYSTEM, merge_id=merge.id or 0, now=app.now())
        uow.commit()

    with app.engine.connect() as c:
        back = c.execute(
            sa.select(k.customer_id, k.rep_id, k.state, k.due_at, k.cancelled_at).order_by(k.id)
        ).all()
    assert [tuple(row) for row in back] == [
        (survivor.id, first.id, "open", back[0].due_at, None),
        (loser.id, second.id, "open", due_before, None),
    ]
