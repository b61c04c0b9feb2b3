"""Exports over HTTP on SQLite and PostgreSQL: the Excel file opened with openpyxl holds
formula-looking text as text and numbers as numbers; CSV is UTF-8 with a BOM; a rep's
export holds only their customers (and only when the admin allows reps to export); every
export is audited with its filter and row count."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from starlette.testclient import TestClient

from fenpei.bootstrap import Fenpei
from fenpei.domain.users import SYSTEM, Role
from fenpei.services import assignments, users
from fenpei.services.customers import create_customer
from fenpei.services.follow_ups.corrections import correct_follow_up
from fenpei.services.follow_ups.records import record_follow_up
from fenpei.services.tasks.intake import create_and_route
from fenpei.services.tasks.records import TaskInput
from tests.e2e.conftest import World, asgi_app, log_in

API = "/api/v1/exports"
PASSWORD = "long enough password"
HOSTILE = ["=1+1", "+SUM(A1:A9)", "-2+3", "@cmd", '=HYPERLINK("http://x","y")']


def _customers(app: Fenpei, names: list[str], owner: int | None = None) -> list[int]:
    made = []
    with app.uow() as uow:
        for name in names:
            customer = create_customer(
                uow=uow, fields={"name": name, "region": "North"}, actor=SYSTEM, now=app.now()
            )
            assert customer.id is not None
            made.append(customer.id)
        uow.commit()
    for customer_id in made if owner is not None else []:
        with app.uow() as uow:
            assignments.assign(
                uow=uow, customer_id=customer_id, rep_id=owner, actor=SYSTEM, now=app.now()
            )
            uow.commit()
    return made


def test_xlsx_holds_formulas_as_text_and_numbers_as_numbers(
    app: Fenpei, seeded: World, user_client: TestClient
) -> None:
    made = _customers(app, HOSTILE)

    response = user_client.get(
        API + "/customers",
        params={"format": "xlsx", "region": "North", "columns": "id,name,region,stage"},
    )

    assert response.status_code == 200, response.text
    assert 'attachment; filename="customers-' in response.headers["content-disposition"]
    assert response.headers["x-export-rows"] == str(len(HOSTILE))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows())
    assert [cell.value for cell in rows[0]] == ["编号", "客户名称", "区域", "阶段"]
    body = rows[1:]
    assert [row[0].value for row in body] == made
    assert all(row[0].data_type == "n" and isinstance(row[0].value, int) for row in body)
    assert [row[1].value for row in body] == ["'" + name for name in HOSTILE]
    assert all(row[1].data_type == "s" for row in body)  # text: never a formula ("f")
    assert {row[3].value for row in body} == {"新线索"}  # the stage word


def test_csv_is_utf8_with_bom_and_follows_the_filter(
    app: Fenpei, seeded: World, user_client: TestClient
) -> None:
    _customers(app, ["北京客户", "=evil()"])

    response = user_client.get(API + "/customers", params={"region": "North", "lang": "en"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["Name", "Company"]
    assert sorted(row[0] for row in rows[1:]) == sorted(["北京客户", "'=evil()"])


def _user(app: Fenpei, username: str, role: Role, rep_id: int | None = None) -> TestClient:
    with app.uow() as uow:
        users.create_user(
            uow=uow, hasher=app.hasher, username=username, password=PASSWORD, role=role,
            rep_id=rep_id, actor=SYSTEM, now=app.now(),
        )  # fmt: skip
        uow.commit()
    client = TestClient(asgi_app(app), follow_redirects=False)
    log_in(client, PASSWORD, username=username)
    return client


def test_a_rep_exports_only_their_own_customers_and_only_when_allowed(
    app: Fenpei, seeded: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = _customers(app, ["Mine 1", "Mine 2"], owner=seeded.moses_id)
    _customers(app, ["Darcel's"], owner=seeded.darcel_id)
    rep = _user(app, "moses", Role.rep, rep_id=seeded.moses_id)

    refused = rep.get(API + "/customers")
    assert refused.status_code == 403
    assert "turned off for reps" in refused.text

    monkeypatch.setattr(app.settings, "export_by_reps", True)
    response = rep.get(API + "/customers", params={"columns": "id,name,owner"})

    assert response.status_code == 200, response.text
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]
    assert sorted(int(row[0]) for row in rows) == sorted(mine)
    assert {row[2] for row in rows} == {"Moses Frase"}


def test_every_export_is_audited_with_filter_and_row_count(
    app: Fenpei, seeded: World, user_client: TestClient
) -> None:
    _customers(app, ["A", "B", "C"])

    user_client.get(API + "/customers", params={"region": "North", "format": "xlsx"})
    history = user_client.get(API + "/assignments")

    assert history.status_code == 200
    with app.uow() as uow:
        entries = uow.audit.find(object_type="export")
    by_kind = {entry.after["kind"]: entry for entry in entries}
    customers_entry = by_kind["customers"]
    assert customers_entry.actor == "admin"
    assert customers_entry.after["rows"] == 3
    assert customers_entry.after["format"] == "xlsx"
    assert customers_entry.after["filter"] == {"region": "North"}
    assert by_kind["assignments"].after["rows"] == 2  # the seeded Acme: Moses, then Darcel


def test_bad_export_input_names_the_field(seeded: World, user_client: TestClient) -> None:
    assert user_client.get(API + "/customers", params={"columns": "name,nope"}).status_code == 422
    assert user_client.get(API + "/customers", params={"format": "pdf"}).status_code == 422
    assert user_client.get(API + "/nothing").status_code == 422


def test_every_kind_exports_on_both_databases_with_its_rows(
    app: Fenpei, seeded: World, user_client: TestClient
) -> None:
    now = app.now()
    with app.uow() as uow:
        logged = record_follow_up(
            uow=uow, customer_id=seeded.acme_id, actor=SYSTEM, kind="phone", at=now,
            content="=cmd|' /C calc'!A0", outcome="回电", now=now,
        )  # fmt: skip
        correct_follow_up(
            uow=uow, customer_id=seeded.acme_id, follow_up_id=logged.id or 0, actor=SYSTEM,
            changes={"outcome": "回电，约了拜访"}, now=now,
        )  # fmt: skip
        create_and_route(
            uow=uow, actor=SYSTEM, now=now, assignee_id=seeded.darcel_id,
            data=TaskInput(title="+回访 Acme", customer_ids=[seeded.acme_id], priority="high"),
        )  # fmt: skip
        uow.commit()

    tables = {}
    for kind in ("assignments", "follow-ups", "tasks", "conversion", "holdout"):
        response = user_client.get(f"{API}/{kind}", params={"format": "xlsx", "lang": "en"})
        assert response.status_code == 200, (kind, response.text)
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
        tables[kind] = list(sheet.iter_rows(values_only=True))

    (follow_up,) = tables["follow-ups"][1:]
    assert follow_up[3] == "Acme 上海" and follow_up[7] == "'=cmd|' /C calc'!A0"
    assert tables["follow-ups"][0][-1] == "Corrected at" and follow_up[-1] is not None
    assert follow_up[8] == "回电，约了拜访"
    (task,) = tables["tasks"][1:]
    assert task[1] == "'+回访 Acme" and task[3] == "High" and task[4] == "Darcel Schlecht"
    assert [row[6] for row in tables["assignments"][1:]] == [
        "manual",
        "transfer",
    ]  # as the page says
    assert tables["conversion"][0] == ("Rep", "Won", "Lost", "Conversion")
    assert tables["holdout"][0][:3] == ("Rule", "Arm", "Customers")
