"""`fenpei import …`: bring data in from files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress
from rich.table import Table

from fenpei.adapters.maven import REQUIRED_COLUMNS, parse_maven
from fenpei.cli._common import console, fenpei_app
from fenpei.cli._errors import BadArgument
from fenpei.cli._files import check_directory, file_argument, read_text
from fenpei.cli._output import labelled
from fenpei.cli.import_customers import customers, list_jobs
from fenpei.domain.users import SYSTEM
from fenpei.services.maven_import import MavenData, MavenSummary, import_maven

app = typer.Typer(help="Import data from files.", no_args_is_help=True)
app.command("customers")(customers)
app.command("jobs")(list_jobs)

BUNDLED_MAVEN = Path(__file__).resolve().parents[1] / "demo_data" / "maven-crm"
DIRECTORY = "DIRECTORY"


def read_maven_directory(directory: Path) -> MavenData:
    """The Maven CRM files in ``directory``; what cannot be read ends the command (exit 2)."""
    check_directory(directory, argument=DIRECTORY)
    problems: list[str] = []
    texts: dict[str, str] = {}
    for name in REQUIRED_COLUMNS:
        # Each file is read once, bounded, and must be a regular UTF-8 file.
        try:
            texts[name] = read_text(directory / name, argument=name)
        except BadArgument as exc:
            problems.append(f"{name} {exc.problem}")
    if problems:
        raise BadArgument(DIRECTORY, "; ".join(problems), path=directory)
    with file_argument(directory, argument=DIRECTORY):
        return parse_maven(texts)


def print_maven_summary(summary: MavenSummary) -> None:
    table = Table(title="Maven CRM import", show_lines=False)
    table.add_column("what")
    table.add_column("created", justify="right")
    table.add_column("already present", justify="right")
    for kind in ("offices", "teams", "reps", "companies", "customers"):
        table.add_row(kind, str(summary.created[kind]), str(summary.existing[kind]))
    console.print(table)
    for what, rows in sorted(summary.fixed.items()):
        console.print(f"  fixed: {what} ({rows} rows)")
    for note in summary.notes:
        console.print(f"  note: {note}")
    for reason, rows in sorted(summary.skipped.items()):
        lines = summary.skipped_lines[reason]
        shown = ", ".join(map(str, lines[:5])) + (" …" if len(lines) > 5 else "")
        line = labelled("  skipped", "yellow", f" {rows}: {reason} (line {shown})")
        console.print(line, soft_wrap=True)


@app.command()
def maven(
    directory: Annotated[
        Path, typer.Argument(help="Folder holding the four Maven CSV files.")
    ] = BUNDLED_MAVEN,
) -> None:
    """Import the Maven CRM data set: offices, teams, reps, companies, opportunities."""
    with fenpei_app() as fenpei:
        data = read_maven_directory(directory)
        with fenpei.uow() as uow, Progress(console=console) as bar:
            task = bar.add_task("opportunities", total=len(data.pipeline))
            summary = import_maven(
                uow=uow,
                data=data,
                actor=SYSTEM,
                now=fenpei.now(),
                progress=lambda done, total: bar.update(task, completed=done),
            )
            uow.commit()
    print_maven_summary(summary)
