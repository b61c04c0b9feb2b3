"""我的客户: the count of newly assigned customers is the number the pages mark, on every page."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from fastapi.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.domain.users import SYSTEM, Role
from fenpei.services import assignments, users
from fenpei.services.customers import create_customer
from tests.e2e.conftest import ADMIN_PASSWORD, World, log_in
from tests.fakes import FixedClock

_NEXT = re.compile(r'<a rel="next" href="([^"]+)"')
_SUMMARY = re.compile(r'<p class="summary">([^<]+)</p>')


def _give_moses(app: Fenpei, clock: FixedClock, seeded: World, count: int, prefix: str) -> None:
    with app.uow() as uow:
        for i in range(count):
            made = create_customer(
                uow=uow, fields={"name": f"{prefix} {i:02d}"}, actor=SYSTEM, now=clock.at
            )
            assert made.id is not None
            assignments.assign(
                uow=uow, customer_id=made.id, rep_id=seeded.moses_id, actor=SYSTEM, now=clock.at
            )
        uow.commit()


def _log_in_as_moses(app: Fenpei, clock: FixedClock, seeded: World, client: TestClient) -> None:
    with app.uow() as uow:
        users.create_user(
            uow=uow,
            hasher=app.hasher,
            username="moses",
            password=ADMIN_PASSWORD,
            role=Role.rep,
            rep_id=seeded.moses_id,
            actor=SYSTEM,
            now=clock.at,
        )
        uow.commit()
    log_in(client, username="moses")


def test_the_new_count_is_what_the_pages_mark_across_pages(
    app: Fenpei, clock: FixedClock, client: TestClient, seeded: World
) -> None:
    _give_moses(app, clock, seeded, 4, "Old 老客户")
    clock.at += timedelta(days=3)
    _give_moses(app, clock, seeded, 27, "Fresh 新客户")  # 27 new: more than one page of 25
    clock.at += timedelta(hours=1)
    _log_in_as_moses(app, clock, seeded, client)

    first = client.get("/my").text
    next_link = _NEXT.search(first)
    assert next_link is not None
    second = client.get(html.unescape(next_link.group(1))).text

    marked = [page.count('class="is-new"') for page in (first, second)]
    assert marked == [25, 2]
    summaries = [_SUMMARY.findall(page) for page in (first, second)]
    assert summaries == [["共 31 个客户，27 个新分配"]] * 2
    assert "Old 老客户" in second and "Old 老客户" not in first


def test_page_two_reached_later_keeps_the_boundary_of_page_one(
    app: Fenpei, clock: FixedClock, client: TestClient, seeded: World
) -> None:
    """Customers came in since a visit a week ago: page one counts and marks them; page two,
    loaded after that visit's cookie moved on to now, still marks from the same moment."""
    _log_in_as_moses(app, clock, seeded, client)
    client.get("/my")  # the last visit
    clock.at += timedelta(days=1)
    _give_moses(app, clock, seeded, 30, "Weekly 本周")
    clock.at += timedelta(days=6)
    log_in(client, username="moses")  # a session lasts hours; the visit cookie, months

    first = client.get("/my").text
    next_link = _NEXT.search(first)
    assert next_link is not None
    second = client.get(html.unescape(next_link.group(1))).text

    assert [page.count('class="is-new"') for page in (first, second)] == [25, 5]
    assert _SUMMARY.findall(second) == ["共 30 个客户，30 个新分配"]
