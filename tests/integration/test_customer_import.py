"""Customer files (GBK / UTF-8 CSV, Excel) imported for real on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner, Result

from fenpei.adapters.files.tabular import Table, parse_table
from fenpei.bootstrap import Fenpei
from fenpei.cli.main import app as cli
from fenpei.domain.companies import Company
from fenpei.domain.custom_fields import CustomField, FieldKind
from fenpei.domain.customers import Customer, Stage
from fenpei.domain.errors import ValidationFailed
from fenpei.domain.users import SYSTEM
from fenpei.services.customer_import import ImportSummary, import_customers
from fenpei.services.customers import create_customer, list_customers
from fenpei.services.ports import CustomerQuery

ZH_HEADER = "编号,客户名称,手机,邮箱,客户等级,公司,阶段,备注"
ZH_ROWS = [
    "C-001,张三,13800138000,zhang@example.com,A,北京星辰科技有限公司,新建,老客户介绍",
    "C-002,李四,13900139000,,b,上海明月贸易,成交,",
    "C-003,王芳,,wang@example.com,c,,,",
]


def read_table(path: Path) -> Table:
    return parse_table(path.name, path.read_bytes())


def write_csv(tmp_path: Path, lines: list[str], *, encoding: str = "utf-8") -> Path:
    path = tmp_path / "customers.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def run_import(app: Fenpei, table: Table, **options: object) -> ImportSummary:
    with app.uow() as uow:
        summary = import_customers(
            uow=uow,
            table=table,
            actor=SYSTEM,
            now=app.now(),
            **options,  # type: ignore[arg-type]
        )
        uow.commit()
    return summary


def failure_of(app: Fenpei, table: Table, **options: object) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        run_import(app, table, **options)
    return caught.value


def all_customers(app: Fenpei) -> list[Customer]:
    """Every customer by id, copied out of the session so they stay readable after it."""
    with app.uow() as uow:
        found, _ = list_customers(uow=uow, query=CustomerQuery(sort="id", limit=500), actor=SYSTEM)
        return [dataclasses.replace(customer) for customer in found]


def add_existing_customer(app: Fenpei, external_id: str) -> int:
    with app.uow() as uow:
        fields = {"name": "已有客户", "external_id": external_id}
        customer = create_customer(uow=uow, fields=fields, actor=SYSTEM, now=app.now())
        uow.commit()
    assert customer.id is not None
    return customer.id


def test_gbk_csv_with_chinese_headers_imports_names_intact(app: Fenpei, tmp_path: Path) -> None:
    with app.uow() as uow:
        uow.companies.add(Company(name="北京星辰科技有限公司"))
        uow.commit()
    path = write_csv(tmp_path, [ZH_HEADER, *ZH_ROWS], encoding="gbk")

    summary = run_import(app, read_table(path))

    assert (summary.rows, summary.imported, summary.ignored_columns) == (3, 3, ["备注"])
    assert summary.columns["客户名称"] == "name" and summary.columns["客户等级"] == "level"
    assert "column '备注' matches no customer field; ignored" in summary.warnings
    assert "1 row(s) name a company fenpei does not know" in summary.warnings[1]
    zhang, li, wang = all_customers(app)
    assert [zhang.name, li.name, wang.name] == ["张三", "李四", "王芳"]
    assert zhang.company_id is not None and li.company_id is None
    assert li.company_name == "上海明月贸易"
    assert [zhang.level, li.level, wang.level] == ["A", "B", "C"]  # code, label or any case
    assert (zhang.stage, li.stage, wang.stage) == (Stage.new, Stage.won, Stage.new)
    assert li.closed_at == app.now() and zhang.closed_at is None
    assert {c.owner_id for c in (zhang, li, wang)} == {None}
    assert {c.source for c in (zhang, li, wang)} == {"import"}
    assert summary.customer_ids == [zhang.id, li.id, wang.id]


def test_import_writes_one_audit_entry_naming_the_file_and_counts(
    app: Fenpei, tmp_path: Path
) -> None:
    run_import(app, read_table(write_csv(tmp_path, [ZH_HEADER, *ZH_ROWS])))

    with app.uow() as uow:
        entries = [
            (e.object_id, e.after)
            for e in uow.audit.find(object_type="customer")
            if e.action == "import"
        ]
    assert len(entries) == 1
    object_id, after = entries[0]
    assert object_id == "customers.csv"
    assert (after["file"], after["rows"], after["imported"]) == ("customers.csv", 3, 3)
    assert after["ignored_columns"] == ["备注"]
    first, last = (c.id for c in all_customers(app)[::2])
    assert after["customer_ids"] == [[first, last]]


def test_xlsx_imports_numbers_dates_and_custom_attributes(app: Fenpei, tmp_path: Path) -> None:
    with app.uow() as uow:
        uow.custom_fields.add(CustomField(key="budget", label="预算", kind=FieldKind.number))
        uow.commit()
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Customer Name", "Mobile", "Employees", "Expected Value", "创建时间", "预算"])
    sheet.append(["杭州云帆", 13800138000, 120.0, 35000.5, datetime(2026, 3, 1), 80000])
    sheet.append(["Acme Ltd", "+1 415 555 0100", None, None, None, None])
    path = tmp_path / "leads.xlsx"
    workbook.save(path)

    summary = run_import(app, read_table(path), zone=UTC)

    assert summary.imported == 2
    yunfan, acme = all_customers(app)
    assert (yunfan.name, yunfan.phone, yunfan.employees) == ("杭州云帆", "13800138000", 120)
    assert yunfan.expected_value == Decimal("35000.50")
    assert yunfan.created_at == datetime(2026, 3, 1, tzinfo=UTC)
    assert yunfan.custom == {"budget": 80000}
    assert acme.created_at == app.now()


def test_one_bad_row_fails_the_whole_file_naming_every_bad_cell(
    app: Fenpei, tmp_path: Path
) -> None:
    add_existing_customer(app, "OLD-1")
    lines = [
        "name,email,level",
        "Row Two,two@example.com,A",
        "Row Three,not-an-email,B",
        "Row Four,four@example.com,C",
        "Row Five,five@example.com,Z",
        "Row Six,six@example.com,D",
    ]

    error = failure_of(app, read_table(write_csv(tmp_path, lines)))

    assert [e.field for e in error.errors] == ["row 3.email", "row 5.level"]
    assert "'Z' is not a level (one of A, B, C, D)" in error.errors[1].message
    assert [c.name for c in all_customers(app)] == ["已有客户"]


def test_a_file_without_a_name_column_lists_the_columns_it_has(app: Fenpei, tmp_path: Path) -> None:
    error = failure_of(app, read_table(write_csv(tmp_path, ["phone,城市", "13800138000,杭州"])))

    assert [e.field for e in error.errors] == ["columns"]
    assert "found 'phone', '城市'" in error.errors[0].message


def test_two_columns_for_one_field_are_refused(app: Fenpei, tmp_path: Path) -> None:
    error = failure_of(app, read_table(write_csv(tmp_path, ["name,姓名", "A,B"])))

    assert str(error) == (
        "columns: 'name' and '姓名' both fill name; remove one or map it to another field"
    )


def test_duplicate_external_ids_in_the_file_and_in_the_database_are_named(
    app: Fenpei, tmp_path: Path
) -> None:
    existing_id = add_existing_customer(app, "C-9")
    lines = ["external_id,name", "C-1,A", "C-9,B", "C-1,C", "C-2,D"]

    error = failure_of(app, read_table(write_csv(tmp_path, lines)))

    assert [str(e) for e in error.errors] == [
        f"row 3.external_id: 'C-9' is already used by customer {existing_id}",
        "row 4.external_id: 'C-1' is also in row 2",
    ]
    assert len(all_customers(app)) == 1


def test_dry_run_validates_and_writes_nothing(app: Fenpei, tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    table = read_table(write_csv(tmp_path, [ZH_HEADER, *ZH_ROWS]))

    summary = run_import(app, table, dry_run=True, progress=lambda *p: calls.append(p))

    assert (summary.dry_run, summary.rows, summary.imported) == (True, 3, 0)
    assert calls[-1] == (3, 3)
    assert all_customers(app) == []
    with app.uow() as uow:
        assert [e for e in uow.audit.find() if e.action == "import"] == []


def test_explicit_mapping_overrides_and_skips_columns(app: Fenpei, tmp_path: Path) -> None:
    table = read_table(write_csv(tmp_path, [ZH_HEADER, *ZH_ROWS]))
    mapping = {"备注": "product_interest", "公司": None}

    summary = run_import(app, table, mapping=mapping)

    assert summary.ignored_columns == ["公司"]
    assert all_customers(app)[0].product_interest == "老客户介绍"
    assert all_customers(app)[0].company_name is None


def test_a_mapping_to_an_unknown_field_or_column_is_named(app: Fenpei, tmp_path: Path) -> None:
    table = read_table(write_csv(tmp_path, [ZH_HEADER, *ZH_ROWS]))

    error = failure_of(app, table, mapping={"备注": "shoe_size", "Fax": "phone"})

    assert [e.field for e in error.errors] == ["mapping.备注", "mapping.Fax"]


def test_many_bad_rows_are_listed_up_to_a_cap_with_a_count_of_the_rest(
    app: Fenpei, tmp_path: Path
) -> None:
    lines = ["name,email", *(f"N{i},bad-{i}" for i in range(150))]

    error = failure_of(app, read_table(write_csv(tmp_path, lines)))

    assert len(error.errors) == 101
    assert error.errors[0].field == "row 2.email"
    assert str(error.errors[-1]) == (
        "rows: 50 more problem(s) not listed; 150 of 150 rows need fixing"
    )


def test_a_header_without_rows_is_refused(app: Fenpei) -> None:
    error = failure_of(app, Table(name="customers.csv", headers=["name", "phone"], rows=[]))

    assert str(error) == "file: 'customers.csv' has a header but no rows under it"


@pytest.mark.parametrize(
    ("cell", "problem"),
    [
        ("A\x00B", "must not contain NUL characters"),
        ("A\ud800B", "must not contain lone surrogates"),
    ],
)
def test_a_cell_no_database_can_store_is_a_row_error_and_nothing_is_imported(
    app: Fenpei, cell: str, problem: str
) -> None:
    rows = [
        (2, {"name": "Good", "备注": "ignored", "编号": "E-1"}),
        (3, {"name": cell, "备注": cell, "编号": cell}),
    ]
    table = Table(name="bad.csv", headers=["name", "备注", "编号"], rows=rows)

    error = failure_of(app, table)

    assert [e.field for e in error.errors] == ["row 3.name", "row 3.external_id"]
    assert all(e.message.startswith(problem) for e in error.errors)
    assert all_customers(app) == []


def test_a_date_no_page_can_show_is_a_row_error(app: Fenpei, tmp_path: Path) -> None:
    with app.uow() as uow:
        uow.custom_fields.add(CustomField(key="renewal", label="续约", kind=FieldKind.date))
        uow.commit()
    lines = ["name,created_at,续约", "A,2026-03-01,2026-04-01", "B,2500-01-01,2600-01-01"]

    error = failure_of(app, read_table(write_csv(tmp_path, lines)), zone=UTC)

    assert [str(e) for e in error.errors] == [
        "row 3.created_at: must be between 1900-01-01 and 2199-12-31",
        "row 3.custom.renewal: must be between 1900-01-01 and 2199-12-31",
    ]
    assert all_customers(app) == []


def words(text: str) -> str:
    """Output with rich's line wrapping undone, so asserts do not depend on terminal width."""
    return " ".join(text.split())


class ImportCommand:
    """`fenpei import customers …` against the app's database."""

    def __init__(self, app: Fenpei, monkeypatch: pytest.MonkeyPatch) -> None:
        url = app.engine.url.render_as_string(hide_password=False)
        monkeypatch.setenv("FENPEI_DATABASE_URL", url)
        self.runner = CliRunner()

    def invoke(self, *args: str) -> Result:
        return self.runner.invoke(cli, ["import", "customers", *args])


def test_cli_rejects_a_bad_file_naming_the_row_and_writes_nothing(
    app: Fenpei, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    command = ImportCommand(app, monkeypatch)
    path = write_csv(tmp_path, ["姓名,邮箱", "张三,zhang@example.com", "李四,li-at-example"])

    result = command.invoke(str(path))

    assert result.exit_code == 1, result.output
    assert "row 3.email: 'li-at-example' is not an email address" in words(result.stderr)
    assert "Nothing was changed" in words(result.stderr)
    assert all_customers(app) == []


def test_cli_row_errors_show_cells_as_typed_never_as_markup(
    app: Fenpei, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    command = ImportCommand(app, monkeypatch)
    lines = ["name,email,external_id", "[red]A,[/bold],:smile:", "B\x00,b@example.com,[/red]"]
    path = write_csv(tmp_path, lines)

    result = command.invoke(str(path))

    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [
        "Invalid input (2 problem(s)):",
        "  row 2.email: '[/bold]' is not an email address (expected name@example.com)",
        "  row 3.name: must not contain NUL characters",
        "Nothing was changed.",
    ]
    assert all_customers(app) == []


def test_cli_imports_a_good_gbk_file_and_prints_a_summary(
    app: Fenpei, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    command = ImportCommand(app, monkeypatch)
    path = write_csv(tmp_path, [ZH_HEADER, *ZH_ROWS], encoding="gbk")

    dry = command.invoke(str(path), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "Dry run: every row is valid; nothing was written." in words(dry.stdout)
    assert all_customers(app) == []

    result = command.invoke(str(path))

    assert result.exit_code == 0, result.output
    assert "imported │ 3" in words(result.stdout)
    assert "column '备注' matches no customer field; ignored" in words(result.stdout)
    assert [c.name for c in all_customers(app)] == ["张三", "李四", "王芳"]


def test_cli_forced_wrong_encoding_suggests_the_option(
    app: Fenpei, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    command = ImportCommand(app, monkeypatch)
    path = write_csv(tmp_path, [ZH_HEADER, *ZH_ROWS], encoding="gbk")

    result = command.invoke(str(path), "--encoding", "utf-8")

    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    message = result.stderr
    assert message.startswith(f"Error: FILE {str(path)!r}: ")
    assert "could not be decoded as utf-8 (byte 0xb1 at offset 0, line 1)" in message
    assert "--encoding" in message
