"""Every write path keeps the duplicate check's keys (查重) in the stored row: create (API,
web, CLI and intake all call ``create_customer``), update, the synchronous import, the
durable import job (``fenpei import customers``) and the Maven CRM import. The keys are
read back with SQL, not from the objects written."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from fenpei.adapters.db import tables as t
from fenpei.adapters.files.tabular import parse_table
from fenpei.adapters.maven import read_maven
from fenpei.bootstrap import Fenpei
from fenpei.cli.main import app as cli
from fenpei.domain.duplicates import company_key
from fenpei.domain.users import SYSTEM
from fenpei.services.customer_import import import_customers
from fenpei.services.customers import create_customer, update_customer
from fenpei.services.maven_import import import_maven
from tests.conftest import MAVEN_DIR


def _keys(app: Fenpei, where: sa.ColumnElement[bool]) -> list[tuple[str | None, ...]]:
    c = t.customers.c
    with app.engine.connect() as connection:
        rows = connection.execute(
            sa.select(c.phone_key, c.email_key, c.company_key).where(where).order_by(c.id)
        )
        return [tuple(row) for row in rows]


def test_create_and_update_keep_the_keys(app: Fenpei) -> None:
    with app.uow() as uow:
        customer = create_customer(
            uow=uow,
            fields={"name": "甲", "phone": "+86 138 0013 8000", "email": "Li@Example.COM",
                    "company_name": "华为技术（中国）有限公司"},
            actor=SYSTEM, now=app.now(),
        )  # fmt: skip
        uow.commit()
        customer_id = customer.id
    assert customer_id is not None
    where = t.customers.c.id == customer_id
    assert _keys(app, where) == [("13800138000", "li@example.com", "华为技术")]

    with app.uow() as uow:
        update_customer(
            uow=uow, customer_id=customer_id, actor=SYSTEM, now=app.now(),
            fields={"phone": "010-12345678", "email": None, "company_name": "ACME Co., Ltd."},
        )  # fmt: skip
        uow.commit()
    assert _keys(app, where) == [("01012345678", None, "acme")]


def test_the_import_keeps_the_keys(app: Fenpei) -> None:
    text = "name,phone,email,company_name\n乙,+86 139-0013-9000,B@X.CN,Acme Inc.\n"
    with app.uow() as uow:
        import_customers(
            uow=uow, table=parse_table("c.csv", text.encode()), actor=SYSTEM, now=app.now()
        )
        uow.commit()
    assert _keys(app, t.customers.c.name == "乙") == [("13900139000", "b@x.cn", "acme")]


def test_the_import_job_keeps_the_keys(app: Fenpei, tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("name,phone,email,company_name\n丙,+86 137 0013 7000,C@X.CN,丙 集团\n")
    url = app.engine.url.render_as_string(hide_password=False)

    result = CliRunner().invoke(
        cli, ["import", "customers", str(path)], env={"FENPEI_DATABASE_URL": url}
    )

    assert result.exit_code == 0, result.output
    assert _keys(app, t.customers.c.name == "丙") == [("13700137000", "c@x.cn", "丙")]


def test_the_maven_import_keeps_the_keys(app: Fenpei) -> None:
    with app.uow() as uow:
        import_maven(uow=uow, data=read_maven(MAVEN_DIR), actor=SYSTEM, now=app.now())
        uow.commit()
    c = t.customers.c
    with app.engine.connect() as connection:
        rows = connection.execute(
            sa.select(c.company_name, c.company_key).where(c.company_name.is_not(None))
        ).all()
    assert rows
    assert all(key == company_key(name) and key for name, key in rows)
