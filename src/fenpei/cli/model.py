"""`fenpei model …`: scoring model versions (评分模型) — list, activate, deactivate, the
scorecard (show / import), explain a customer's score, rescore everyone who is stale.

``train`` and ``evaluate`` come from ``cli/model_training.py``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress
from rich.table import Table

from fenpei.cli import model_training
from fenpei.cli._common import console, fenpei_app
from fenpei.cli._files import read_json_object
from fenpei.domain.scoring import ModelKind, ScoreModel
from fenpei.domain.users import SYSTEM
from fenpei.engine.scoring.contract import Contribution
from fenpei.services import customers as customer_service
from fenpei.services.routing_reroute import on_rescore
from fenpei.services.scoring import models
from fenpei.services.scoring.rescore import rescore_stale

app = typer.Typer(
    help="Scoring models (评分): versions, the scorecard, explanations.", no_args_is_help=True
)
scorecard_app = typer.Typer(help="The scorecard (打分卡): rule-based points.", no_args_is_help=True)
app.add_typer(scorecard_app, name="scorecard")
model_training.register(app)

KindOption = Annotated[
    ModelKind | None, typer.Option("--kind", help="Only this kind: scorecard, score or affinity.")
]


def _metric(model: ScoreModel, name: str) -> str:
    value = model.metrics.get(name)
    return f"{value:.3f}" if isinstance(value, int | float) else ""


@app.command("list")
def list_models(kind: KindOption = None) -> None:
    """Every version, newest first, with its headline metrics (AUC, Brier)."""
    with fenpei_app() as fenpei, fenpei.uow(read_only=True) as uow:
        found = models.list_versions(uow=uow, actor=SYSTEM, kind=kind)
    table = Table("id", "kind", "version", "name", "active", "auc", "brier", "created")
    for m in found:
        created = m.created_at.strftime("%Y-%m-%d %H:%M") if m.created_at else ""
        table.add_row(str(m.id), m.kind.value, str(m.version), m.name, "yes" if m.active else "",
                      _metric(m, "auc"), _metric(m, "brier"), created)  # fmt: skip
    console.print(table if found else "no model versions yet")


@app.command("activate")
def activate(model_id: Annotated[int, typer.Argument(help="The version's id (see list).")]) -> None:
    """Make a version its kind's active one; customers are rescored (`fenpei model rescore`
    or the rescore-all job)."""
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        model = models.activate(uow=uow, actor=SYSTEM, model_id=model_id, now=fenpei.now())
        uow.commit()
        console.print(f"activated {model.kind.value} version {model.version} ({model.name})")


@app.command("deactivate")
def deactivate(
    kind: Annotated[str, typer.Argument(help="scorecard, score or affinity.")],
) -> None:
    """Stop the active version of a kind (the values it wrote stay)."""
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        models.deactivate(uow=uow, actor=SYSTEM, kind=models.parse_kind(kind), now=fenpei.now())
        uow.commit()
    console.print(f"no {kind.strip().lower()} version is active")


def _parts(title: str, parts: list[Contribution] | tuple[Contribution, ...]) -> None:
    if not parts:
        return
    console.print(title)
    for part in parts:
        console.print(f"  {part.effect:+g}  {part.feature}: {part.value}")


@app.command("explain")
def explain(
    customer: Annotated[str, typer.Argument(help="Customer id or external id.")],
) -> None:
    """Why a customer scores what it does: scorecard lines met, the model's top factors."""
    with fenpei_app() as fenpei, fenpei.uow(read_only=True) as uow:
        found = customer_service.find_customer(uow=uow, ref=customer, actor=SYSTEM)
        why = models.explain(uow=uow, actor=SYSTEM, customer_id=found.id or 0, now=fenpei.now())
    c = why.customer
    probability = "" if c.win_probability is None else f"{c.win_probability:.1%}"
    console.print(f"{c.name} (#{c.id}): score {c.score if c.score is not None else '-'}, "
                  f"win probability {probability or '-'}, grade {c.grade or '-'}")  # fmt: skip
    card = why.scorecard
    _parts(f"scorecard v{card.version} lines met:" if card else "", list(why.lines))
    model = why.model
    _parts(f"model v{model.version} ({model.name}) factors:" if model else "", list(why.factors))
    if card is None and model is None:
        console.print("no scorecard and no score model is active")


@app.command("rescore")
def rescore() -> None:
    """Rescore every customer scored before the active models or the grade settings last
    changed (the rescore-all job's work, now, with progress)."""
    with fenpei_app() as fenpei, Progress(console=console, transient=True) as bar:
        task = bar.add_task("rescoring", total=None)
        looked, changed = rescore_stale(
            uow_factory=fenpei.uow,
            now=fenpei.now,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
            on_change=on_rescore(rulebook=fenpei.rulebook, rng=fenpei.rng, actor=SYSTEM),
        )
    console.print(f"rescored {looked} customers, {changed} changed")


@scorecard_app.command("show")
def show_scorecard() -> None:
    """The active scorecard (else the newest version) as JSON, ready to edit and import."""
    with fenpei_app() as fenpei, fenpei.uow(read_only=True) as uow:
        versions = models.list_versions(uow=uow, actor=SYSTEM, kind=ModelKind.scorecard)
    chosen = next((m for m in versions if m.active), versions[0] if versions else None)
    if chosen is None:
        console.print("no scorecard yet: write one (see `fenpei model scorecard import --help`)")
        return
    shown = {
        "name": chosen.name,
        "version": chosen.version,
        "active": chosen.active,
        "base": chosen.params.get("base", 0),
        "lines": chosen.params.get("lines", []),
    }
    typer.echo(json.dumps(shown, ensure_ascii=False, indent=2))


@scorecard_app.command("import")
def import_scorecard(
    file: Annotated[Path, typer.Argument(help='JSON: {"name", "base", "lines": [...]}.')],
    activate_it: Annotated[
        bool, typer.Option("--activate", help="Make it the active scorecard too.")
    ] = False,
) -> None:
    """Save a scorecard from a JSON file as a new version (unless it equals the newest)."""
    raw = read_json_object(file, argument="FILE")
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        now = fenpei.now()
        model, added = models.save_scorecard(
            uow=uow, actor=SYSTEM, name=str(raw.get("name") or file.stem),
            lines=raw.get("lines"), base=raw.get("base", 0), now=now, note=raw.get("note"),
        )  # fmt: skip
        if activate_it and model.id is not None:
            models.activate(uow=uow, actor=SYSTEM, model_id=model.id, now=now)
        uow.commit()
        what = "saved" if added else "unchanged:"
        extra = ", active" if activate_it else ""
        console.print(f"{what} scorecard version {model.version} (id {model.id}){extra}")
