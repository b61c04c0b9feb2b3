"""`fenpei model train` and `fenpei model evaluate`: learn a model from the history and
see how it does against its baselines on a time split. ``register`` adds them to the
`fenpei model` group (cli/model.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from fenpei.cli._common import console, fenpei_app
from fenpei.cli._errors import BadArgument
from fenpei.domain.users import SYSTEM
from fenpei.engine.scoring.evaluation import Evaluation
from fenpei.services.scoring.training import evaluate_models, train_model

Kind = Annotated[
    str, typer.Option("--kind", help="score: p(win | customer); affinity: p(win | customer, rep).")
]
SplitAt = Annotated[
    str | None,
    typer.Option(
        "--split-at",
        help="Train on outcomes before this date (YYYY-MM-DD, UTC), test on the rest "
        "(default: when 80% of the outcomes were known).",
    ),
]
_SHOWN = {"learned": "learned", "naive_bayes": "naive Bayes", "logistic": "logistic (plain)",
          "segment_table": "segment table", "constant": "base rate"}  # fmt: skip


def _split(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise BadArgument("--split-at", f"{text!r} is not a date (YYYY-MM-DD)") from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _number(value: Any, digits: int) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _show(report: Evaluation | dict[str, Any]) -> None:
    figures = report.metrics() if isinstance(report, Evaluation) else report
    console.print(
        f"time split {figures['split_at'][:10]}: trained on {figures['rows']}, tested on "
        f"{figures['test_rows']}; base rate {figures['base_rate']:.1%}"
    )
    table = Table("model", "AUC", "Brier", "log loss")
    rows = {"learned": figures, **figures["baselines"]}
    for name, m in rows.items():
        table.add_row(_SHOWN.get(name, name), _number(m["auc"], 3), _number(m["brier"], 4),
                      _number(m["log_loss"], 4))  # fmt: skip
    console.print(table)
    calibration = Table("predicted", "observed", "n", title="calibration (test)")
    for b in figures["calibration"]:
        calibration.add_row(f"{b['predicted']:.1%}", f"{b['observed']:.1%}", str(b["n"]))
    console.print(calibration)
    per_rep = figures["per_rep"]
    if per_rep:
        worst = sorted(per_rep.items(), key=lambda kv: -abs(kv[1]["predicted"] - kv[1]["observed"]))
        reps = Table("rep", "predicted", "observed", "n", title="per rep (largest gaps first)")
        for rep, r in worst[:10]:
            reps.add_row(rep, f"{r['predicted']:.1%}", f"{r['observed']:.1%}", str(r["n"]))
        console.print(reps)


def train(
    kind: Kind = "score",
    split_at: SplitAt = None,
    activate: Annotated[bool, typer.Option("--activate", help="Use the new version now.")] = False,
    name: Annotated[str | None, typer.Option("--name", help="The version's name.")] = None,
) -> None:
    """Train a learned model on every closed customer, evaluate it on a time split and keep
    it as a new version (inactive unless --activate)."""
    when = _split(split_at)
    with fenpei_app() as fenpei, fenpei.uow() as uow, console.status("training…") as status:
        model = train_model(
            uow=uow,
            kind=kind,
            actor=SYSTEM,
            now=fenpei.now(),
            split_at=when,
            name=name,
            activate=activate,
            progress=lambda step: status.update(f"{step}…"),
        )
        uow.commit()
    state = "active" if model.active else "inactive (activate it when its figures convince)"
    console.print(f"{model.kind.value} version {model.version} “{model.name}”: {state}")
    _show(model.metrics)


def evaluate(kind: Kind = "score", split_at: SplitAt = None) -> None:
    """Compare the learned model with naive Bayes, a plain logistic regression and the base
    rate on a time split (nothing is stored)."""
    when = _split(split_at)
    with fenpei_app() as fenpei, fenpei.uow(read_only=True) as uow, console.status("evaluating…"):
        report = evaluate_models(uow=uow, now=fenpei.now(), split_at=when, kind=kind)
    _show(report)


def register(app: typer.Typer) -> None:
    """Add `train` and `evaluate` to the `fenpei model` group."""
    app.command("train")(train)
    app.command("evaluate")(evaluate)
