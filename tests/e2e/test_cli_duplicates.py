"""`fenpei customers duplicates` on SQLite and PostgreSQL: matches in words, bad input named."""

from __future__ import annotations

from tests.e2e.test_cli import cli_env, run

__all__ = ["cli_env"]


def test_the_duplicate_check_lists_matches_and_names_a_bad_field(cli_env: str) -> None:
    assert run("db", "upgrade")[0] == 0
    fields = ["name=Zhang", "phone=+86 138-0013-8000", "company_name=星辰科技有限公司"]
    code, output = run("customers", "add", *fields, "--no-route")
    assert code == 0, output

    code, output = run("customers", "duplicates", "--phone", "13800138000", "--lang", "en")
    assert code == 0, output
    assert "1 existing customer(s)" in output and "Zhang" in output and "Phone" in output

    code, output = run("customers", "duplicates", "--company", "星辰科技", "--lang", "zh-CN")
    assert code == 0 and "1 个已有客户" in output

    code, output = run("customers", "duplicates", "--email", "nobody@example.com", "--lang", "en")
    assert code == 0 and "No existing customer" in output

    code, output = run("customers", "duplicates", "--phone", "12")
    assert code == 1 and "phone" in output and "Nothing was changed" in output
