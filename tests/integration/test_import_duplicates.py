"""An import reports the rows whose phone or email is an existing customer's or an earlier
row's (撞单) and imports them anyway, on SQLite and PostgreSQL; the import job too."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from fenpei.adapters.files.tabular import parse_table
from fenpei.bootstrap import Fenpei
from fenpei.cli.main import app as cli
from fenpei.domain.users import SYSTEM
from fenpei.services.customer_import import import_customers
from fenpei.services.customers import create_customer

FILE = (
    "name,phone,email\n"
    "甲,+86 138-0013-8000,\n"  # row 2: the phone of the existing customer
    "乙,13900139000,b@x.cn\n"  # row 3: new
    "丙,,B@X.CN\n"  # row 4: row 3's email
    "丁,13700137000,\n"  # row 5: new
)


def _existing(app: Fenpei) -> None:
    with app.uow() as uow:
        create_customer(
            uow=uow, fields={"name": "老客户", "phone": "13800138000"}, actor=SYSTEM, now=app.now()
        )
        uow.commit()


def test_the_import_names_duplicate_rows_and_imports_them(app: Fenpei) -> None:
    _existing(app)
    with app.uow() as uow:
        summary = import_customers(
            uow=uow, table=parse_table("c.csv", FILE.encode()), actor=SYSTEM, now=app.now()
        )
        uow.commit()

    assert summary.imported == 4
    assert summary.duplicate_rows == [2, 4]
    assert any("2 row(s) have the phone or email" in w for w in summary.warnings)


def test_the_import_job_warns_of_duplicate_rows(app: Fenpei, tmp_path: Path) -> None:
    _existing(app)
    path = tmp_path / "leads.csv"
    path.write_text(FILE)
    url = app.engine.url.render_as_string(hide_password=False)

    result = CliRunner().invoke(
        cli, ["import", "customers", str(path), "--no-route"], env={"FENPEI_DATABASE_URL": url}
    )

    assert result.exit_code == 0, result.output
    assert "2 row(s) have the phone or email" in result.output and "rows 2, 4" in result.output
