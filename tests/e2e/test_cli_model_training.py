"""`fenpei model train` / `evaluate` on the Maven history (SQLite), through a model group
built here as cli/model.py builds it (``register``)."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from fenpei.cli.main import GuardedGroup
from fenpei.cli.model_training import register
from tests.e2e.test_cli import cli_env, run

__all__ = ["cli_env"]  # the fixture, used by name

root = typer.Typer(cls=GuardedGroup, no_args_is_help=True)
model_app = typer.Typer(no_args_is_help=True)
register(model_app)
root.add_typer(model_app, name="model")


def model(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(root, ["model", *args])
    return result.exit_code, result.output


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_model_is_evaluated_then_trained_and_activated_and_bad_input_refused(
    cli_env: str,
) -> None:
    assert run("db", "upgrade")[0] == 0
    none_yet = model("train", "--kind", "score")
    assert run("import", "maven")[0] == 0

    evaluated = model("evaluate", "--kind", "affinity", "--split-at", "2017-09-01")
    trained = model("train", "--kind", "score", "--split-at", "2017-09-01", "--activate")
    bad_date = model("train", "--split-at", "1 Sept")
    bad_kind = model("train", "--kind", "scorecard")
    after_all = model("train", "--split-at", "2030-01-01")

    assert none_yet[0] == 1 and "history: 0 closed customers" in none_yet[1]
    assert evaluated[0] == 0, evaluated[1]
    assert "time split 2017-09-01: trained on 4091, tested on 2620" in evaluated[1]
    for name in ("learned", "naive Bayes", "logistic (plain)", "segment table", "base rate"):
        assert name in evaluated[1]
    assert "per rep" in evaluated[1]
    assert trained[0] == 0, trained[1]
    assert "score version 1 “score v1”: active" in trained[1]
    assert "segment table" not in trained[1] and "calibration (test)" in trained[1]
    assert bad_date[0] == 2 and "--split-at: '1 Sept' is not a date" in bad_date[1]
    assert bad_kind[0] == 1 and "kind: 'scorecard' is not a learned model" in bad_kind[1]
    assert after_all[0] == 1 and "split_at: 2030-01-01: no outcome known" in after_all[1]
