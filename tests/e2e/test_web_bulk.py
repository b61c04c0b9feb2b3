"""Bulk work at volume over HTTP: page sizes in the URL, rep pickers with team, load and
status, and "all N customers matching this filter" — counted, confirmed once, applied."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.domain.assignments import AssignMethod
from fenpei.domain.users import SYSTEM, Role
from fenpei.services import assignments, bulk_matching, org, users
from fenpei.services.customers import create_customer, get_customer
from fenpei.web import pages_customers_bulk
from tests.e2e.conftest import ADMIN_PASSWORD, World, log_in
from tests.e2e.test_web import rows, text_of
from tests.fakes import FixedClock


def _many(app: Fenpei, clock: FixedClock, count: int, **fields: str) -> list[int]:
    """``count`` customers named M0, M1, … with ``fields``, one transaction."""
    with app.uow() as uow:
        made = [
            create_customer(
                uow=uow,
                fields={"name": f"M{i}", **fields},
                actor=SYSTEM,
                now=clock.at + timedelta(seconds=i),
            )
            for i in range(count)
        ]
        uow.commit()
    return [c.id for c in made if c.id is not None]


def _owners(app: Fenpei, ids: list[int]) -> list[int | None]:
    with app.uow() as uow:
        return [get_customer(uow=uow, customer_id=i).owner_id for i in ids]


def test_the_page_size_is_chosen_in_the_url_and_bounded(
    app: Fenpei, clock: FixedClock, user_client: TestClient, seeded: World
) -> None:
    _many(app, clock, 240, region="North")

    assert len(rows(user_client.get("/customers").text)) == 25
    fifty = user_client.get("/customers?region=North&per_page=50").text
    assert len(rows(fifty)) == 50
    assert "第 1 / 5 页" in text_of(fifty)
    # The pager and the sort links keep the size; the filter form carries it too.
    assert 'href="/customers?region=North&amp;page=2&amp;per_page=50"' in fifty
    assert '<input type="hidden" form="filters" name="per_page" value="50">' in fifty
    # A size not offered reads the largest offered below it; more than 200 reads 200.
    assert len(rows(user_client.get("/customers?per_page=10000").text)) == 200
    assert len(rows(user_client.get("/customers?per_page=60").text)) == 50
    assert user_client.get("/customers?per_page=0").status_code in (400, 422)


def test_rep_pickers_show_team_load_against_capacity_and_status(
    app: Fenpei, clock: FixedClock, user_client: TestClient, seeded: World
) -> None:
    with app.uow() as uow:
        org.update_rep(
            uow=uow, rep_id=seeded.moses_id, fields={"max_open": 1}, actor=SYSTEM, now=clock.at
        )
        org.add_leave(
            uow=uow,
            rep_id=seeded.darcel_id,
            starts_at=clock.at - timedelta(days=1),
            ends_at=clock.at + timedelta(days=3),
            actor=SYSTEM,
            now=clock.at,
        )
        uow.commit()

    html = user_client.get("/customers").text

    picker = html.split('id="bulk-reps"', 1)[1].split("</select>", 1)[0]
    options = [text_of(o) for o in re.findall(r"<option[^>]*>(.*?)</option>", picker)]
    # Moses holds none of the seeded customers now (Acme went to Darcel), capacity 1.
    assert "Moses Frase · East 华东 · 负载 0/1 · 可接单" in options
    assert "Darcel Schlecht · East 华东 · 负载 1/不限 · 休假中" in options
    assert "data-rep-picker" in picker
    # One customer's reassignment picker: the same lines, its current owner left out.
    detail = user_client.get(f"/customers/{seeded.acme_id}").text
    picker = detail.split('id="reassign-rep"', 1)[1].split("</select>", 1)[0]
    options = [text_of(o) for o in re.findall(r"<option[^>]*>(.*?)</option>", picker)]
    assert options == ["选择销售", "Moses Frase · East 华东 · 负载 0/1 · 可接单"]
    assert 'src="/static/bulk.js"' in html
    # Choosing a rep routing would pass over is allowed by hand, and said so before confirming.
    _many(app, clock, 2, region="North")
    asked = user_client.post("/customers/bulk/matching", data=_form(seeded))
    assert asked.status_code == 200
    notes = re.findall(r"<p class=\"warning\" data-unavailable>(.*?)</p>", asked.text)
    assert [text_of(note) for note in notes] == [
        "Darcel Schlecht 当前状态为“休假中”："
        "自动分配会跳过该销售，但手动批量分配仍会把客户分给该销售。"
    ]
    assert user_client.get("/static/bulk.js").status_code == 200


def _form(seeded: World, **changes: object) -> dict[str, object]:
    return {
        "region": "North",
        "action": "spread",
        "rep_ids": [seeded.moses_id, seeded.darcel_id],
        "back": "/customers?region=North",
        **changes,
    }


def test_all_matching_customers_are_counted_confirmed_once_then_spread(
    app: Fenpei, clock: FixedClock, user_client: TestClient, seeded: World
) -> None:
    north = _many(app, clock, 31, region="North")
    _many(app, clock, 2, region="South")

    asked = user_client.post("/customers/bulk/matching", data=_form(seeded))

    assert asked.status_code == 200
    words = text_of(asked.text)
    assert "全部 31 个符合条件的客户 → 平均分给 2 名销售：Moses Frase、Darcel Schlecht" in words
    assert "区域 North" in words
    assert 'name="expected" value="31"' in asked.text
    assert "确认分配 31 个客户" in words
    assert _owners(app, north) == [None] * 31

    done = user_client.post(
        "/customers/bulk/matching", data=_form(seeded, confirmed="1", expected="31")
    )

    assert done.status_code == 200
    words = text_of(done.text)
    assert "已分配 31 个客户。" in words
    assert re.search(r"Moses Frase 1[56] Darcel Schlecht 1[56]", words), words
    owners = _owners(app, north)
    assert sorted(owners.count(r) for r in (seeded.moses_id, seeded.darcel_id)) == [15, 16]
    with app.uow() as uow:
        methods = {a.method for cid in north for a in uow.assignments.for_customer(cid)}
    assert methods == {AssignMethod.bulk}
    assert 'href="/customers?region=North"' in done.text


def test_a_count_changed_since_the_confirm_changes_nothing_and_asks_again(
    app: Fenpei, clock: FixedClock, user_client: TestClient, seeded: World
) -> None:
    north = _many(app, clock, 5, region="North")

    response = user_client.post(
        "/customers/bulk/matching",
        data=_form(seeded, confirmed="1", expected="4"),
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 409
    words = text_of(response.text)
    assert "确认时有 4 个客户符合条件，现在是 5 个" in words
    assert 'name="expected" value="5"' in response.text
    assert '<dialog id="owner-dialog"' in response.text
    assert _owners(app, north) == [None] * 5


def test_a_filter_matching_nobody_or_no_rep_chosen_is_shown_without_a_confirm_button(
    user_client: TestClient, seeded: World
) -> None:
    response = user_client.post("/customers/bulk/matching", data=_form(seeded, region="Nowhere"))
    assert response.status_code == 422
    assert "没有符合筛选条件的客户" in text_of(response.text)
    assert 'name="confirmed"' not in response.text

    response = user_client.post("/customers/bulk/matching", data=_form(seeded, rep_ids=[]))
    assert response.status_code == 422
    assert "请选择要平均分配的销售" in text_of(response.text)

    response = user_client.post("/customers/bulk/matching", data=_form(seeded, stage="nonsense"))
    assert response.status_code == 422
    assert "筛选条件无效" in text_of(response.text)


def test_owned_customers_need_a_reason_and_a_rep_may_not_apply_a_filter(
    app: Fenpei, clock: FixedClock, client: TestClient, seeded: World
) -> None:
    log_in(client)
    # Acme (region East) is owned by Darcel: moving it asks for a reason.
    form = {"region": "East", "action": "assign", "rep_id": seeded.moses_id}
    asked = client.post("/customers/bulk/matching", data=form)
    assert asked.status_code == 200  # asked for in the confirmation, not yet an error
    assert "其中 1 个客户已有负责人，将被转移。" in text_of(asked.text)
    missed = client.post("/customers/bulk/matching", data={**form, "confirmed": "1"})
    assert missed.status_code == 422 and "必须填写原因" in text_of(missed.text)
    done = client.post(
        "/customers/bulk/matching",
        data={**form, "reason": "区域调整", "confirmed": "1", "expected": "1"},
    )
    assert done.status_code == 200
    assert _owners(app, [seeded.acme_id]) == [seeded.moses_id]

    with app.uow() as uow:
        users.create_user(
            uow=uow,
            hasher=app.hasher,
            username="moses",
            password=ADMIN_PASSWORD,
            role=Role.rep,
            actor=SYSTEM,
            now=clock.at,
        )
        uow.commit()
    log_in(client, username="moses")
    assert "matching-all" not in client.get("/customers").text
    refused = client.post("/customers/bulk/matching", data={**form, "confirmed": "1"})
    assert refused.status_code == 403


def test_more_matching_customers_than_one_change_may_move_is_refused_with_the_count(
    app: Fenpei,
    clock: FixedClock,
    user_client: TestClient,
    seeded: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pages_customers_bulk, "MAX_BULK_CUSTOMERS", 3)
    monkeypatch.setattr(bulk_matching, "MAX_BULK_CUSTOMERS", 3)
    north = _many(app, clock, 5, region="North")

    asked = user_client.post("/customers/bulk/matching", data=_form(seeded))

    assert asked.status_code == 422
    assert "符合筛选条件的客户有 5 个，单次最多可分配 3 个" in text_of(asked.text)
    assert 'name="confirmed"' not in asked.text
    forced = user_client.post(
        "/customers/bulk/matching", data=_form(seeded, confirmed="1", expected="5")
    )
    assert forced.status_code == 422
    assert _owners(app, north) == [None] * 5


def test_a_manager_counts_and_moves_only_the_customers_of_their_team(
    app: Fenpei, clock: FixedClock, client: TestClient, seeded: World
) -> None:
    north = _many(app, clock, 5, region="North")
    with app.uow() as uow:
        manager = users.create_user(
            uow=uow,
            hasher=app.hasher,
            username="mia",
            password=ADMIN_PASSWORD,
            role=Role.manager,
            actor=SYSTEM,
            now=clock.at,
        )
        org.update_team(
            uow=uow,
            team_id=seeded.team_id,
            fields={"manager_user_id": manager.id},
            actor=SYSTEM,
            now=clock.at,
        )
        west = org.create_team(uow=uow, name="West 华西", actor=SYSTEM, now=clock.at)
        rosie = org.create_rep(
            uow=uow, fields={"name": "Rosie", "team_id": west.id}, actor=SYSTEM, now=clock.at
        )
        uow.commit()
    assert rosie.id is not None
    ours, theirs = north[:3], north[3:]
    with app.uow() as uow:
        for customer_id in north:
            rep_id = seeded.moses_id if customer_id in ours else rosie.id
            assignments.assign(
                uow=uow, customer_id=customer_id, rep_id=rep_id, actor=SYSTEM, now=clock.at
            )
        uow.commit()
    log_in(client, username="mia")

    assert "Rosie" not in client.get("/customers").text.split('id="bulk-reps"', 1)[1]
    form = _form(seeded, reason="团队内调整")
    asked = client.post("/customers/bulk/matching", data=form)
    assert asked.status_code == 200
    assert "全部 3 个符合条件的客户" in text_of(asked.text)
    done = client.post("/customers/bulk/matching", data={**form, "confirmed": "1", "expected": "3"})
    assert done.status_code == 200
    # Spread over Moses and Darcel: none goes back to Moses, who held them.
    assert _owners(app, ours) == [seeded.darcel_id] * 3
    assert _owners(app, theirs) == [rosie.id] * 2
    # A rep outside their teams is not theirs to give customers to.
    outside = _form(seeded, action="spread", rep_ids=[rosie.id], reason="x")
    assert client.post("/customers/bulk/matching", data=outside).status_code == 404


def test_a_rep_id_that_is_no_id_is_refused_not_a_server_error(
    user_client: TestClient, seeded: World
) -> None:
    for data in ({"action": "assign", "rep_id": "²"}, {"action": "spread", "rep_ids": "9" * 15}):
        response = user_client.post("/customers/bulk/matching", data=data)
        assert response.status_code == 422, (data, response.status_code, response.text[:300])
