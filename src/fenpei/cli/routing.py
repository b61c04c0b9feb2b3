"""`fenpei route` (dry run), `fenpei rules …` and routing the queue."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress
from rich.table import Table

from fenpei.cli._common import console, fenpei_app
from fenpei.cli._files import json_object, read_json_object
from fenpei.domain.users import SYSTEM
from fenpei.engine.explain import explained_json
from fenpei.services import rules as rule_service
from fenpei.services.routing_batch import route_queued
from fenpei.services.rule_tester import preview

rules_app = typer.Typer(help="Assignment rules (分配规则).", no_args_is_help=True)


def _customer_fields(customer: str | None, file: Path | None) -> dict[str, Any]:
    if (customer is None) == (file is None):
        raise typer.BadParameter("give the customer with --customer JSON or --file PATH")
    if file is not None:
        return read_json_object(file, argument="--file")
    assert customer is not None
    return json_object(customer, argument="--customer")


def route(
    customer: Annotated[
        str | None,
        typer.Option(
            "--customer",
            "-c",
            help='The customer as a JSON object, e.g. \'{"name": "Acme", "region": "East"}\'.',
        ),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", "-f", help="A UTF-8 JSON file holding the customer instead."),
    ] = None,
) -> None:
    """Dry run: which rule fires for this customer and who would get it (writes nothing)."""
    with fenpei_app() as fenpei:
        fields = _customer_fields(customer, file)
        with fenpei.uow(read_only=True) as uow:
            decision = preview(
                uow=uow,
                rulebook=fenpei.rulebook,
                fields=fields,
                actor=SYSTEM,
                now=fenpei.now(),
                rng=fenpei.rng(),
            )
    print(
        json.dumps(
            explained_json(decision),
            ensure_ascii=False,
            indent=2,
            default=str,
        )
    )


def route_pending() -> None:
    """Route every queued customer again (capacity may have freed), one at a time."""
    with fenpei_app() as fenpei, Progress(console=console) as bar:
        task = bar.add_task("routing the queue", total=None)
        outcomes = route_queued(
            uow_factory=fenpei.uow,
            rulebook=fenpei.rulebook,
            actor=SYSTEM,
            now=fenpei.now,
            rng=fenpei.rng(),
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    console.print(", ".join(f"{n} {outcome}" for outcome, n in outcomes.items()))


@rules_app.command("list")
def list_rules() -> None:
    """The rules in the order they are tried."""
    with fenpei_app() as fenpei, fenpei.uow(read_only=True) as uow:
        rules = rule_service.list_rules(uow=uow, actor=SYSTEM)
    table = Table(title="Rules, in the order they are tried")
    for column in ("id", "priority", "name", "on", "target", "strategy", "fallback", "v"):
        table.add_column(column)
    for rule in rules:
        table.add_row(
            str(rule.id),
            str(rule.priority),
            rule.name,
            "✓" if rule.enabled else "–",
            json.dumps(rule.target, ensure_ascii=False),
            rule.strategy,
            rule.fallback,
            str(rule.version),
        )
    console.print(table)


@rules_app.command("add")
def add_rule(
    file: Annotated[
        Path,
        typer.Argument(
            help="A JSON file with the rule: name, priority, "
            "conditions, target, strategy, fallback …"
        ),
    ],
) -> None:
    """Add a rule from a JSON file (validated; errors give the JSON path)."""
    with fenpei_app() as fenpei:
        fields = read_json_object(file, argument="FILE")
        with fenpei.uow() as uow:
            rule = rule_service.create_rule(uow=uow, fields=fields, actor=SYSTEM, now=fenpei.now())
            uow.commit()
    console.print(f"rule {rule.id} '{rule.name}' added at priority {rule.priority}")


@rules_app.command("versions")
def versions(rule_id: Annotated[int, typer.Argument(help="Rule id.")]) -> None:
    """Every saved version of a rule, oldest first."""
    with fenpei_app() as fenpei, fenpei.uow(read_only=True) as uow:
        saved = rule_service.rule_versions(uow=uow, rule_id=rule_id, actor=SYSTEM)
    for version in saved:
        console.print(
            f"v{version.version} {version.at:%Y-%m-%d %H:%M} by {version.actor}: "
            f"{json.dumps(version.snapshot, ensure_ascii=False)}",
        )


@rules_app.command("restore")
def restore(
    rule_id: Annotated[int, typer.Argument(help="Rule id.")],
    version: Annotated[int, typer.Argument(help="The version to bring back.")],
) -> None:
    """Make an old version of a rule current again (saved as a new version)."""
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        rule = rule_service.restore_version(
            uow=uow, rule_id=rule_id, version=version, actor=SYSTEM, now=fenpei.now()
        )
        uow.commit()
    console.print(f"rule {rule_id} is now v{rule.version} (content of v{version})")
