"""`fenpei model …` on SQLite and PostgreSQL: the scorecard imported, shown, activated;
customers rescored; a score explained; bad files refused naming the line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.test_cli import cli_env, run

__all__ = ["cli_env"]  # the fixture, used by name

CARD = {
    "name": "线索打分",
    "base": 10,
    "lines": [
        {"label": "零售", "points": 40,
         "conditions": {"field": "industry", "op": "eq", "value": "retail"}},
    ],
}  # fmt: skip


@pytest.fixture(autouse=True)
def _migrated(cli_env: str) -> None:
    assert run("db", "upgrade")[0] == 0


def test_a_scorecard_is_imported_activated_and_customers_rescored_and_explained(
    tmp_path: Path,
) -> None:
    card = tmp_path / "card.json"
    card.write_text(json.dumps(CARD, ensure_ascii=False))
    assert run("customers", "add", "name=甲公司", "industry=retail", "--no-route")[0] == 0

    saved = run("model", "scorecard", "import", str(card))
    again = run("model", "scorecard", "import", str(card), "--activate")
    listed = run("model", "list")
    shown = run("model", "scorecard", "show")
    rescored = run("model", "rescore")
    explained = run("model", "explain", "1")
    deactivated = run("model", "deactivate", "scorecard")

    assert saved == (0, "saved scorecard version 1 (id 1)\n")
    assert again == (0, "unchanged: scorecard version 1 (id 1), active\n")
    assert "scorecard" in listed[1] and "线索打分" in listed[1] and "yes" in listed[1]
    assert json.loads(shown[1])["lines"] == CARD["lines"]
    assert rescored[0] == 0 and rescored[1].strip() == "rescored 1 customers, 1 changed"
    assert "score 50" in explained[1] and "+40  零售" in explained[1]
    assert deactivated == (0, "no scorecard version is active\n")


def test_bad_scorecards_and_versions_are_refused_with_what_to_fix(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    gt_on_text = {"field": "industry", "op": "gt", "value": "a"}
    bad.write_text(json.dumps({"name": "x", "lines": [{"points": 1, "conditions": gt_on_text}]}))
    broken = tmp_path / "broken.json"
    broken.write_text("{lines: ")

    refused = run("model", "scorecard", "import", str(bad))
    not_json = run("model", "scorecard", "import", str(broken))
    missing = run("model", "activate", "99")
    no_kind = run("model", "deactivate", "mood")

    assert refused[0] != 0 and "lines[0].conditions" in refused[1]
    assert not_json[0] != 0 and "is not valid JSON" in not_json[1]
    assert missing[0] != 0 and "99" in missing[1]
    assert no_kind[0] != 0 and "scorecard, score, affinity" in no_kind[1]
    assert "no model versions yet" in run("model", "list")[1]
