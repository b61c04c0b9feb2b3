"""`fenpei export` on SQLite and PostgreSQL: a filtered Excel file opened with openpyxl, a
user's scope with ``--as``, and bad filters named without a traceback."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from fenpei.bootstrap import bootstrap
from fenpei.config import Settings
from fenpei.domain.users import SYSTEM, Role
from fenpei.services import assignments, org, users
from fenpei.services.customers import create_customer
from tests.e2e.test_cli import cli_env, run

__all__ = ["cli_env"]  # the fixture, used by name


@pytest.fixture(autouse=True)
def _migrated(cli_env: str) -> None:
    assert run("db", "upgrade")[0] == 0


def _seed(url: str) -> None:
    app = bootstrap(Settings(database_url=url))
    now = app.now()
    with app.uow() as uow:
        rep = org.create_rep(uow=uow, fields={"name": "Wang 王"}, actor=SYSTEM, now=now)
        made = [
            create_customer(uow=uow, fields=fields, actor=SYSTEM, now=now)
            for fields in (
                {"name": "=2+3", "region": "East"},
                {"name": "华东 客户", "region": "East"},
                {"name": "West one", "region": "West"},
            )
        ]
        users.create_user(
            uow=uow, hasher=app.hasher, username="wang", password="long enough password",
            role=Role.rep, rep_id=rep.id, actor=SYSTEM, now=now,
        )  # fmt: skip
        uow.commit()
    with app.uow() as uow:
        assignments.assign(
            uow=uow, customer_id=made[2].id or 0, rep_id=rep.id or 0, actor=SYSTEM, now=now
        )
        uow.commit()
    app.close()


def test_export_writes_the_filtered_customers_to_excel(cli_env: str, tmp_path: Path) -> None:
    _seed(cli_env)
    out = tmp_path / "east.xlsx"

    code, said = run(
        "export", "customers", "--format", "xlsx", "--out", str(out), "--filter", "region=East",
        "--columns", "id,name,region", "--lang", "en",
    )  # fmt: skip

    assert code == 0, said
    assert said == f"exported 2 customers rows to {out}\n"
    rows = list(openpyxl.load_workbook(out).worksheets[0].iter_rows(values_only=True))
    assert rows[0] == ("ID", "Name", "Region")
    assert sorted(row[1] for row in rows[1:]) == ["'=2+3", "华东 客户"]
    assert all(isinstance(row[0], int) for row in rows[1:])


def test_export_as_a_rep_needs_exports_turned_on_and_shows_only_theirs(
    cli_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(cli_env)
    out = tmp_path / "mine.csv"

    code, said = run("export", "customers", "--out", str(out), "--as", "wang")
    assert code != 0 and "turned off for reps" in said and "Traceback" not in said

    monkeypatch.setenv("FENPEI_EXPORT_BY_REPS", "true")
    code, said = run("export", "customers", "--out", str(out), "--as", "wang", "--columns", "name")
    assert code == 0, said
    assert out.read_text(encoding="utf-8-sig").splitlines() == ["客户名称", "West one"]


def test_a_bad_filter_is_named_and_nothing_is_written(cli_env: str, tmp_path: Path) -> None:
    out = tmp_path / "never.csv"

    code, said = run("export", "customers", "--out", str(out), "--filter", "stage=maybe")

    assert code != 0 and "stage" in said and "Traceback" not in said
    assert not out.exists()


def test_an_unusable_out_path_is_named_before_any_work(cli_env: str, tmp_path: Path) -> None:
    for out, problem in (
        (tmp_path, "exists and is not a regular file"),
        (tmp_path / "missing" / "x.csv", "its folder does not exist"),
    ):
        code, said = run("export", "customers", "--out", str(out))

        assert code == 2 and said.strip().endswith(problem), said
        assert "Traceback" not in said
