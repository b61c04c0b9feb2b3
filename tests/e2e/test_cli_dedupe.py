"""`fenpei dedupe` on SQLite and PostgreSQL: scan, list the pairs, merge, list and undo the
merge; a bad choice and an unsafe undo are refused with nothing changed."""

from __future__ import annotations

import re

from tests.e2e.test_cli import cli_env, run

__all__ = ["cli_env"]


def test_scan_merge_and_undo_from_the_command_line(cli_env: str) -> None:
    assert run("db", "upgrade")[0] == 0
    for fields in (
        ["name=Zhang", "phone=+86 138-0013-8000", "company_name=星辰科技有限公司"],
        ["name=Zhang 2", "phone=13800138000", "email=zhang@example.cn"],
        ["name=Acme", "company_name=Acme Trading Co., Ltd."],
        ["name=Acme 2", "company_name=Trading Acme Inc"],
    ):
        code, output = run("customers", "add", *fields, "--no-route")
        assert code == 0, output

    code, output = run("dedupe", "scan")
    assert code == 0 and "4 customers checked: 2 pairs (2 new" in output, output
    code, output = run("dedupe", "pairs")
    assert code == 0 and "phone" in output and "company_similar (100%)" in output, output

    code, output = run("dedupe", "merge", "1", "2", "--choose", '{"phone": "sideways"}')
    assert code == 1 and "choices.phone" in output, output
    code, output = run("dedupe", "merge", "1", "2", "--choose", "{not json")
    assert code == 2 and "--choose" in output, output

    code, output = run("dedupe", "merge", "1", "2", "--choose", '{"name": "loser"}')
    assert code == 0 and "customer 2 merged into 1" in output, output
    merge_id = re.search(r"merge (\d+):", output)
    assert merge_id is not None
    code, output = run("dedupe", "merge", "1", "2")
    assert code == 1 and "merged or deleted already" in output, output
    code, output = run("dedupe", "merges")
    assert code == 0 and "system" in output

    code, output = run("dedupe", "undo", merge_id.group(1))
    assert code == 0 and "undone" in output, output
    code, output = run("dedupe", "undo", merge_id.group(1))
    assert code == 1 and "undone already" in output, output
