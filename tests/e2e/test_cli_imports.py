"""`fenpei import customers` with a mapping, on SQLite and PostgreSQL: ``--map`` and
``--mapping`` name columns, ``--source`` remembers the mapping and reuses it next time,
``--skip-bad-rows --errors-to`` imports the good rows and writes exactly the bad ones."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from click.testing import Result
from typer.testing import CliRunner

from fenpei.adapters.db import tables
from fenpei.bootstrap import Fenpei
from fenpei.cli.main import app as cli
from tests._import_files import gbk_leads
from tests.e2e.test_api_tokens import count


def _run(app: Fenpei, *args: str) -> Result:
    url = app.engine.url.render_as_string(hide_password=False)
    return CliRunner().invoke(cli, list(args), env={"FENPEI_DATABASE_URL": url})


def test_skip_bad_rows_imports_the_good_and_writes_the_bad_to_the_error_file(
    app: Fenpei, tmp_path: Path
) -> None:
    file = gbk_leads(good=7, bad=3)
    path = tmp_path / "leads.csv"
    path.write_bytes(file.data)
    before = count(app, tables.customers)
    errors = tmp_path / "bad.csv"

    result = _run(
        app,
        "import",
        "customers",
        str(path),
        "--map",
        "联系人=name",
        "--map",
        "备注=ignore",
        "--skip-bad-rows",
        "--errors-to",
        str(errors),
    )

    assert result.exit_code == 0, result.output
    assert "3 of 10 rows have problems" in result.output
    assert count(app, tables.customers) == before + 7
    rows = list(csv.reader(io.StringIO(errors.read_bytes().decode("utf-8-sig"))))
    assert rows[0][-1] == "错误 / error"
    assert [r[1] for r in rows[1:]] == file.bad_names


def test_without_skipping_a_bad_row_imports_nothing_but_the_error_file_is_written(
    app: Fenpei, tmp_path: Path
) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(gbk_leads(good=4, bad=1).data)
    before = count(app, tables.customers)
    errors = tmp_path / "bad.csv"

    result = _run(
        app, "import", "customers", str(path), "--map", "联系人=name", "--errors-to", str(errors)
    )

    assert result.exit_code != 0
    assert "row 4.phone" in result.output
    assert count(app, tables.customers) == before
    assert len(errors.read_bytes().decode("utf-8-sig").splitlines()) == 2


def test_a_source_remembers_the_mapping_and_the_next_file_uses_it(
    app: Fenpei, tmp_path: Path
) -> None:
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"联系人": "name", "备注": None}, ensure_ascii=False))
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_bytes(gbk_leads(good=2, bad=0).data)
    second.write_bytes(gbk_leads(good=3, bad=0, name="b.csv").data.replace(b"\r\n", b"\n"))

    assert (
        _run(
            app,
            "import",
            "customers",
            str(first),
            "--no-route",
            "--mapping",
            str(mapping),
            "--source",
            "展会",
        ).exit_code
        == 0
    )
    without = _run(app, "import", "customers", str(second), "--no-route")
    assert without.exit_code != 0 and "no column holds the customer name" in without.output
    again = _run(app, "import", "customers", str(second), "--no-route", "--source", "展会")
    assert again.exit_code == 0, again.output
    assert "联系人 → name" in again.output


def test_a_bad_map_is_refused_naming_it(app: Fenpei, tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(gbk_leads(good=1, bad=0).data)
    result = _run(app, "import", "customers", str(path), "--map", "联系人")
    assert result.exit_code == 2 and "--map" in result.output and "COLUMN=FIELD" in result.output
