"""`fenpei holdout report`: how each rule's smart arm converts against its holdout."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from typing import Annotated

import typer
from rich.table import Table

from fenpei.api.holdout_schemas import HoldoutReportRead
from fenpei.cli._common import console, fenpei_app
from fenpei.cli._errors import BadArgument
from fenpei.domain.users import SYSTEM
from fenpei.services.holdout.report import ArmResult, holdout_report

app = typer.Typer(
    help="The randomised holdout (对照组) of the routing rules.", no_args_is_help=True
)
Day = Annotated[
    str | None,
    typer.Option(help="A day YYYY-MM-DD (in the server's time zone).", show_default=False),
]


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _arm_cells(arm: ArmResult) -> list[str]:
    return [str(arm.customers), str(arm.won), str(arm.lost), str(arm.open),
            _percent(arm.conversion), f"{arm.won_value:,.2f}"]  # fmt: skip


@app.command("report")
def report(
    since: Day = None,
    until: Day = None,
    as_json: Annotated[bool, typer.Option("--json", help="The API's JSON instead.")] = False,
) -> None:
    """Per rule with a holdout: customers, won, lost, open, conversion and won value per
    arm, and the smart − holdout difference with its 95% interval (Newcombe)."""
    with fenpei_app() as fenpei, fenpei.uow(read_only=True) as uow:
        zone = fenpei.settings.zone

        def moment(value: str | None, option: str) -> datetime | None:
            if value is None:
                return None
            try:
                return datetime.combine(date.fromisoformat(value), time(), tzinfo=zone)
            except ValueError:
                raise BadArgument(option, "must be a day YYYY-MM-DD") from None

        found = holdout_report(
            uow=uow, actor=SYSTEM, since=moment(since, "--since"), until=moment(until, "--until")
        )
    if as_json:
        console.print_json(json.dumps(HoldoutReportRead.of(found).model_dump(mode="json")))
        return
    if not found.experiments:
        console.print("no rule runs a holdout")
        return
    table = Table("rule", "arm", "strategy", "customers", "won", "lost", "open", "conversion",
                  "won value")  # fmt: skip
    for experiment in found.experiments:
        table.add_row(experiment.rule_name, "smart", experiment.strategy or "-",
                      *_arm_cells(experiment.smart))  # fmt: skip
        held = f"holdout {_percent(experiment.share)}" if experiment.share else "holdout"
        table.add_row("", held, experiment.baseline or "-", *_arm_cells(experiment.holdout))
    console.print(table)
    for experiment in found.experiments:
        diff = experiment.difference
        if diff is None:
            console.print(f"{experiment.rule_name}: no difference yet (an arm has nothing closed)")
            continue
        verdict = "significant" if diff.significant else "not significant"
        console.print(
            f"{experiment.rule_name}: smart − holdout {diff.estimate:+.1%}, 95% CI "
            f"[{diff.interval.low:+.1%}, {diff.interval.high:+.1%}] — {verdict}"
        )
