"""The Maven CRM data set, imported for real on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from fenpei.adapters.db import tables as t
from fenpei.adapters.maven import read_maven
from fenpei.bootstrap import Fenpei
from fenpei.domain.errors import ValidationFailed
from fenpei.domain.users import SYSTEM
from fenpei.services.categories import value_counts
from fenpei.services.maven_import import MavenSummary, import_maven
from tests.conftest import MAVEN_DIR


def _import(app: Fenpei, directory: Path = MAVEN_DIR) -> MavenSummary:
    with app.uow() as uow:
        summary = import_maven(uow=uow, data=read_maven(directory), actor=SYSTEM, now=app.now())
        uow.commit()
    return summary


def _count(app: Fenpei, table: sa.Table) -> int:
    with app.engine.connect() as connection:
        return connection.scalar(sa.select(sa.func.count()).select_from(table)) or 0


def test_maven_import_builds_org_companies_and_customers_with_their_history(app: Fenpei) -> None:
    summary = _import(app)

    assert summary.created["offices"] == 3
    assert summary.created["reps"] == 36  # 35 documented agents + the file's extra row
    assert summary.created["companies"] == 85
    assert summary.created["customers"] == 8800
    assert summary.skipped == {"sales_pipeline.csv: account not in accounts.csv": 1}
    assert summary.skipped_lines["sales_pipeline.csv: account not in accounts.csv"] == [8802]
    assert summary.fixed["product 'GTXPro' → 'GTX Pro'"] == 1480
    assert summary.fixed["sector 'technolgy' → 'technology'"] == 12
    assert summary.notes == [
        "reps with no opportunities: Carl Lin, Carol Thompson, "
        "Elizabeth Anderson, Lucas de Paula, Mei-Mei Johns, Natalya Ivanova"
    ]

    with app.engine.connect() as connection:
        stages = Counter(
            dict(
                connection.execute(
                    sa.select(t.customers.c.stage, sa.func.count()).group_by(t.customers.c.stage)
                ).all()
            )
        )
        methods = connection.execute(sa.select(t.assignments.c.method).distinct()).scalars()
        history_matches_owner = connection.scalar(
            sa.select(sa.func.count())
            .select_from(
                t.customers.join(t.assignments, t.assignments.c.customer_id == t.customers.c.id)
            )
            .where(t.assignments.c.to_rep_id == t.customers.c.owner_id)
        )
        gtx_pro = connection.scalar(
            sa.select(sa.func.count()).where(t.customers.c.product_interest == "GTX Pro")
        )
        bluth_parent = connection.scalar(
            sa.select(t.companies.c.parent_id).where(t.companies.c.name == "Bluth Company")
        )
        acme = connection.scalar(
            sa.select(t.companies.c.id).where(t.companies.c.name == "Acme Corporation")
        )
    assert stages == {"won": 4238, "lost": 2473, "contacted": 1591, "new": 498}
    assert list(methods) == ["import"]
    assert history_matches_owner == 8800 == _count(app, t.assignments)
    assert gtx_pro == 1480
    assert bluth_parent == acme
    with app.uow() as uow:
        industries = {v.code: n for v, n in value_counts(uow=uow, key="industry")}
        regions = {v.code: n for v, n in value_counts(uow=uow, key="region")}
    assert "technolgy" not in industries and industries["technology"] > 0
    assert set(regions) == {"Central", "East", "West"}
    assert sum(regions.values()) == 8800


def test_importing_twice_adds_nothing(app: Fenpei) -> None:
    _import(app)
    counts = {
        table.name: _count(app, table)
        for table in (t.reps, t.teams, t.companies, t.customers, t.assignments)
    }

    again = _import(app)

    assert sum(again.created.values()) == 0
    assert again.existing["customers"] == 8800
    assert {
        table.name: _count(app, table)
        for table in (t.reps, t.teams, t.companies, t.customers, t.assignments)
    } == counts


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "maven"
    shutil.copytree(MAVEN_DIR, target)
    for path in target.iterdir():
        path.chmod(0o644)
    return target


def test_missing_required_columns_are_named_and_nothing_is_written(
    app: Fenpei, tmp_path: Path
) -> None:
    data = _copy(tmp_path)
    pipeline = data / "sales_pipeline.csv"
    lines = pipeline.read_text(encoding="utf-8").splitlines()
    pipeline.write_text(
        "\n".join(",".join(line.split(",")[:4]) for line in lines), encoding="utf-8"
    )
    (data / "products.csv").unlink()

    with pytest.raises(ValidationFailed) as caught:
        _import(app, data)

    fields = {e.field: e.message for e in caught.value.errors}
    assert fields["sales_pipeline.csv.columns"].startswith(
        "missing deal_stage, engage_date, close_date, close_value"
    )
    assert "products.csv" in fields
    assert _count(app, t.customers) == _count(app, t.reps) == 0


def test_messy_pipeline_rows_are_skipped_with_their_line_and_reason(
    app: Fenpei, tmp_path: Path
) -> None:
    data = _copy(tmp_path)
    (data / "sales_pipeline.csv").write_text(
        "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n"
        "OK000001,Moses Frase,GTX Basic,Cancity,Won,2016-10-20,2017-03-01,1054\n"
        "BAD00001,Nobody Known,GTX Basic,Cancity,Won,2016-10-20,2017-03-01,1054\n"
        "BAD00002,Moses Frase,GTX Basic,Cancity,Maybe,2016-10-20,,\n"
        "BAD00003,Moses Frase,GTX Basic,Cancity,Won,20-10-2016,2017-03-01,1054\n"
        "OK000001,Moses Frase,GTX Basic,Cancity,Won,2016-10-20,2017-03-01,1054\n"
        "OK000002,Moses Frase,GTX Basic,,Prospecting,,,\n",
        encoding="utf-8",
    )

    summary = _import(app, data)

    assert summary.created["customers"] == 2
    assert summary.skipped_lines == {
        "sales_pipeline.csv: sales agent not in sales_teams.csv": [3],
        "sales_pipeline.csv: deal_stage not Won/Lost/Engaging/Prospecting": [4],
        "sales_pipeline.csv: bad date or close_value": [5],
        "sales_pipeline.csv: opportunity_id repeated": [6],
    }
    with app.engine.connect() as connection:
        lead = connection.execute(
            sa.select(t.customers.c.name, t.customers.c.company_id).where(
                t.customers.c.external_id == "maven:OK000002"
            )
        ).one()
    assert lead == ("Lead OK000002 · GTX Basic", None)
