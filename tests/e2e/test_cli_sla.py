"""`fenpei holidays …` and `fenpei sla …` on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_cli import cli_env, run

__all__ = ["cli_env"]  # the fixture, used by name


@pytest.fixture(autouse=True)
def _migrated(cli_env: str) -> None:
    assert run("db", "upgrade")[0] == 0


def test_a_years_holidays_are_imported_listed_and_deleted(tmp_path: Path) -> None:
    good = tmp_path / "2027.csv"
    good.write_text("date,kind,name\n2027-10-01,holiday,国庆节\n2027-09-26,workday,国庆调休\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("2027-10-01,holiday,国庆节\n2027-10-02,maybe,x\n")

    imported = run("holidays", "import", str(good), "--year", "2027")
    refused = run("holidays", "import", str(bad), "--year", "2027")
    listed = run("holidays", "list", "--year", "2027")
    official = run("holidays", "list", "--year", "2026")
    deleted = run("holidays", "delete", "--year", "2027")

    assert imported == (0, "imported 2 days for 2027\n")
    assert refused[0] != 0 and "row 2" in refused[1] and "holiday or workday" in refused[1]
    assert "2027-09-26" in listed[1] and "imported" in listed[1]
    assert "does not cover 2027" in listed[1] and "2027-10-02" not in listed[1]
    assert "2026-10-10" in official[1] and "workday" in official[1] and "official" in official[1]
    assert deleted == (0, "deleted 2 imported days of 2027\n")


def test_sla_policies_are_added_and_listed_and_bad_ones_refused() -> None:
    added = run("sla", "add", "A 级", "--minutes", "120", "--level", "A", "--remind-before", "30")
    refused = run("sla", "add", "x", "--minutes", "30", "--remind-before", "30")
    listed = run("sla", "list")

    assert added == (0, "policy 1 (A 级): 120 minutes\n")
    assert refused[0] != 0 and "remind_before_minutes" in refused[1]
    assert "A 级" in listed[1] and "120" in listed[1]


def test_a_policy_with_a_next_contact_target_is_added_and_a_bad_one_refused() -> None:
    added = run("sla", "add", "再联系", "--minutes", "120", "--next-contact-minutes", "1440")
    short = run("sla", "add", "短", "--minutes", "60", "--next-contact", "0")
    listed = run("sla", "list")

    assert added == (0, "policy 1 (再联系): 120 minutes, next contact 1440 minutes after each\n")
    assert short[0] != 0 and "next_contact_minutes" in short[1]
    assert "1440" in listed[1]
