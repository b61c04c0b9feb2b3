"""`fenpei import customers FILE`: customers from a CSV or Excel file, every row or none."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress
from rich.table import Table

from fenpei.adapters.files import tabular
from fenpei.cli._common import console, fenpei_app
from fenpei.cli._files import file_argument, read_bytes
from fenpei.cli._output import labelled
from fenpei.domain.limits import clean_text
from fenpei.domain.users import SYSTEM
from fenpei.services.customer_import import ImportSummary, import_customers
from fenpei.services.routing_batch import route_customers

FILE = "FILE"


def read_customer_file(path: Path, *, encoding: str, sheet: str | None) -> tabular.Table:
    """The rows of a customer file named on the command line; one that cannot be read as
    a table ends the command (exit 2)."""
    data = read_bytes(path, argument=FILE)
    with file_argument(path, argument=FILE):
        # The name is kept in the audit log: an undecodable byte in it becomes U+FFFD.
        return tabular.parse_table(clean_text(path.name), data, encoding=encoding, sheet=sheet)


def customers(
    file: Annotated[
        Path,
        typer.Argument(
            help="A .csv (UTF-8 or GBK) or .xlsx file whose first row names the columns "
            "(name/姓名, phone/手机, level/客户等级, …)."
        ),
    ],
    encoding: Annotated[
        str,
        typer.Option(help="Text encoding of a CSV: auto (UTF-8, else GBK), utf-8, gbk, gb18030."),
    ] = "auto",
    sheet: Annotated[
        str | None, typer.Option(help="Sheet of an Excel workbook (default: the active one).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every row and report; write nothing.")
    ] = False,
    no_route: Annotated[
        bool, typer.Option("--no-route", help="Import only; do not route the new customers.")
    ] = False,
) -> None:
    """Import customers from a CSV or Excel file; if any row is bad, none is imported."""
    with fenpei_app() as fenpei:
        table = read_customer_file(file, encoding=encoding, sheet=sheet)
        with fenpei.uow() as uow, Progress(console=console, transient=True) as bar:
            task = bar.add_task("Checking rows", total=len(table.rows))
            summary = import_customers(
                uow=uow,
                table=table,
                actor=SYSTEM,
                now=fenpei.now(),
                dry_run=dry_run,
                zone=fenpei.settings.zone,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
            if not dry_run:
                uow.commit()
        print_summary(summary)
        if dry_run or no_route or not summary.customer_ids:
            return
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task("Routing", total=len(summary.customer_ids))
            outcomes = route_customers(
                uow_factory=fenpei.uow,
                rulebook=fenpei.rulebook,
                customer_ids=summary.customer_ids,
                actor=SYSTEM,
                now=fenpei.now,
                rng=fenpei.rng(),
                progress=lambda done, total: bar.update(task, completed=done),
            )
    console.print("Routed: " + ", ".join(f"{n} {outcome}" for outcome, n in outcomes.items()))


def print_summary(summary: ImportSummary) -> None:
    table = Table(title=f"Customer import: {summary.file_name}", show_header=False)
    table.add_column("what")
    table.add_column("value")
    table.add_row("rows read", str(summary.rows))
    if summary.dry_run:
        table.add_row("would import", str(summary.rows))
    else:
        table.add_row("imported", str(summary.imported))
    columns = ", ".join(f"{header} → {field}" for header, field in summary.columns.items())
    table.add_row("columns", columns)
    console.print(table)
    for warning in summary.warnings:
        console.print(labelled("warning", "yellow", f": {warning}"), soft_wrap=True)
    if summary.dry_run:
        console.print("Dry run: every row is valid; nothing was written.")
