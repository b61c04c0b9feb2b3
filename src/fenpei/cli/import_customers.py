"""`fenpei import customers FILE`: customers from a CSV or Excel file, every row or none;
`fenpei import jobs`: the imports made so far.

The file is streamed (memory stays flat whatever its size) and imported as a recorded job
(services/import_jobs.py): checked whole first, then written in batches that wait in the
routing queue until routed, so an import killed at any point loses and strands nothing.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress
from rich.table import Table

from fenpei.adapters.files import tabular
from fenpei.cli import _files
from fenpei.cli._common import console, fenpei_app
from fenpei.cli._errors import BadArgument
from fenpei.cli._files import file_argument
from fenpei.cli._import_mapping import (
    check_each_row,
    chosen_mapping,
    default_errors_path,
    errors_path,
    read_mapping_file,
    write_error_file,
)
from fenpei.cli._output import labelled
from fenpei.domain.errors import ValidationFailed
from fenpei.domain.import_jobs import ImportJob
from fenpei.domain.limits import clean_text
from fenpei.domain.users import SYSTEM
from fenpei.services import import_jobs as jobs
from fenpei.services._import_columns import resolve_columns
from fenpei.services.customer_import import ImportSummary
from fenpei.services.imports import mapping as mappings
from fenpei.services.imports.checking import GoodRows

FILE = "FILE"


def open_customer_file(path: Path, *, encoding: str, sheet: str | None) -> tabular.StreamedTable:
    """A customer file named on the command line, checked and hashed, its rows streamed;
    one that cannot be read as a table ends the command (exit 2). As ``read_bytes``, only a
    regular file of at most ``MAX_FILE_BYTES`` is opened."""
    try:
        info = os.stat(path)
    except (OSError, ValueError) as exc:
        raise BadArgument(FILE, _files._os_problem(exc), path=path) from None
    if problem := _files._kind(info.st_mode):
        raise BadArgument(FILE, problem, path=path)
    if info.st_size > _files.MAX_FILE_BYTES:
        raise BadArgument(FILE, _files._too_big(info.st_size, _files.MAX_FILE_BYTES), path=path)
    with file_argument(path, argument=FILE):
        try:
            # The name is kept in the audit log: an undecodable byte in it becomes U+FFFD.
            return tabular.open_table(path, clean_text(path.name), encoding=encoding, sheet=sheet)
        except OSError as exc:
            raise BadArgument(FILE, _files._os_problem(exc), path=path) from None


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
    again: Annotated[
        bool,
        typer.Option("--again", help="Import a file again that an earlier import job holds."),
    ] = False,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Continue an import of this file that did not finish (killed, failed): "
            "write the rows it had not written, then route what waits.",
        ),
    ] = False,
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help='A column and the field it fills, e.g. --map "公司名称=company" or '
            '--map "备注=ignore"; repeat for more columns.',
        ),
    ] = None,
    mapping_file: Annotated[
        Path | None,
        typer.Option(
            "--mapping", help='A JSON file {"column": "field" or null}; --map wins over it.'
        ),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(
            help="Use the mapping remembered for this source (from the browser or an "
            "earlier import) and remember this import's mapping under it."
        ),
    ] = None,
    skip_bad_rows: Annotated[
        bool,
        typer.Option(
            "--skip-bad-rows",
            help="Import the good rows; write the bad ones to the error file (--errors-to).",
        ),
    ] = False,
    errors_to: Annotated[
        str | None,
        typer.Option(
            "--errors-to",
            help="Where the bad rows go, with an error column, in the file's format "
            "(default: FILE-errors.csv beside the file).",
        ),
    ] = None,
) -> None:
    """Import customers from a CSV or Excel file; if any row is bad, none is imported
    (unless --skip-bad-rows: then the bad rows go to an error file)."""
    if again and resume:
        raise BadArgument("--again", "and --resume exclude each other; pass one")
    mapping_text = read_mapping_file(mapping_file)
    # An output path, checked as one (the file need not exist): not a Path-typed option.
    errors_file = errors_path(errors_to)
    with fenpei_app() as fenpei:
        streamed = open_customer_file(file, encoding=encoding, sheet=sheet)
        table: tabular.StreamedTable | GoodRows = streamed
        with fenpei.uow() as uow:
            mapping = chosen_mapping(
                uow, table.headers, pairs=map_ or [], mapping_file=mapping_text, source=source
            )
        if skip_bad_rows or errors_file is not None:
            with fenpei.uow() as uow:
                row_check = check_each_row(uow, streamed, mapping, zone=fenpei.settings.zone)
            if row_check.bad:
                target = errors_file or default_errors_path(file)
                write_error_file(file, streamed, row_check, target, encoding=encoding)
                console.print(
                    f"{row_check.bad_rows} of {row_check.rows} rows have problems; "
                    f"they are in {target}"
                )
                if not skip_bad_rows:
                    raise ValidationFailed(row_check.first_errors())
                if row_check.bad_rows == row_check.rows:
                    raise BadArgument(FILE, "every row has problems; nothing to import", path=file)
            table = GoodRows(streamed, frozenset(row_check.bad))
        if source and not dry_run:
            with fenpei.uow() as uow:
                resolve_columns(table.headers, mapping, uow.custom_fields.all())
                mappings.remember(
                    uow,
                    source=source,
                    headers=list(table.headers),
                    mapping=mapping or {},
                    actor=SYSTEM,
                    now=fenpei.now(),
                )
                uow.commit()
        with fenpei.uow() as uow:
            try:
                # A dry run writes nothing: it checks a file imported before as well.
                job = jobs.choose_job(
                    uow, sha256=table.sha256, again=again or dry_run, resume=resume
                )
            except jobs.AlreadyImported as exc:
                raise BadArgument(FILE, str(exc), path=file) from None
        with fenpei.uow() as uow, Progress(console=console, transient=True) as bar:
            task = bar.add_task("Checking rows", total=table.count)
            checked = jobs.check_file(
                uow,
                table,
                now=fenpei.now(),
                zone=fenpei.settings.zone,
                mapping=mapping,
                after_row=job.last_row if job else 0,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
            if job is None and not dry_run:
                try:
                    job = jobs.start_job(
                        uow,
                        table,
                        sha256=table.sha256,
                        actor=SYSTEM,
                        now=fenpei.now(),
                        route=not no_route,
                    )
                except jobs.AlreadyImported as exc:
                    raise BadArgument(FILE, str(exc), path=file) from None
                uow.commit()
        if dry_run:
            print_summary(_summary(table, checked, imported=0, dry_run=True))
            return
        assert job is not None and job.id is not None
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task("Importing", total=job.rows, completed=job.rows_imported)
            written = jobs.write_rows(
                uow_factory=fenpei.uow,
                table=table,
                job=job,
                actor=SYSTEM,
                now=fenpei.now,
                zone=fenpei.settings.zone,
                mapping=mapping,
                progress=lambda done, total: bar.update(task, completed=done),
            )
        summary = _summary(table, checked, imported=job.rows_imported + written, dry_run=False)
        print_summary(summary, job_id=job.id, resumed=job.rows_imported if resume else None)
        outcomes: dict[str, int] = {}
        if job.route:
            with Progress(console=console, transient=True) as bar:
                task = bar.add_task("Routing", total=None)
                outcomes = jobs.route_pending(
                    uow_factory=fenpei.uow,
                    rulebook=fenpei.rulebook,
                    job_id=job.id,
                    actor=SYSTEM,
                    now=fenpei.now,
                    rng=fenpei.rng(),
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )
        jobs.finish_job(fenpei.uow, job.id, now=fenpei.now())
    if job.route and (outcomes or not no_route):
        shown = {"assigned": 0, "pool": 0, "queued": 0} | outcomes
        console.print("Routed: " + ", ".join(f"{n} {outcome}" for outcome, n in shown.items()))


def _summary(
    table: tabular.StreamedTable | GoodRows, checked: jobs.Checked, *, imported: int, dry_run: bool
) -> ImportSummary:
    return ImportSummary(
        file_name=table.name,
        rows=table.count,
        imported=imported,
        dry_run=dry_run,
        columns=checked.columns,
        ignored_columns=checked.ignored_columns,
        unknown_companies=checked.unknown_companies,
        customer_ids=[],
        duplicate_rows=checked.duplicate_rows,
    )


def print_summary(
    summary: ImportSummary, *, job_id: int | None = None, resumed: int | None = None
) -> None:
    table = Table(title=f"Customer import: {summary.file_name}", show_header=False)
    table.add_column("what")
    table.add_column("value")
    table.add_row("rows read", str(summary.rows))
    if summary.dry_run:
        table.add_row("would import", str(summary.rows))
    else:
        table.add_row("imported", str(summary.imported))
        if resumed is not None:
            table.add_row("of which before resuming", str(resumed))
    if job_id is not None:
        table.add_row("import job", str(job_id))
    columns = ", ".join(f"{header} → {field}" for header, field in summary.columns.items())
    table.add_row("columns", columns)
    console.print(table)
    for warning in summary.warnings:
        console.print(labelled("warning", "yellow", f": {warning}"), soft_wrap=True)
    if summary.dry_run:
        console.print("Dry run: every row is valid; nothing was written.")


def _when(at: datetime | None) -> str:
    return f"{at:%Y-%m-%d %H:%M}" if at is not None else "—"


def list_jobs(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many, newest first.")] = 20,
) -> None:
    """List customer imports (newest first): file, rows written and routed, status."""
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        rows: list[tuple[ImportJob, int]] = [
            (job, uow.import_jobs.pending_count(job.id) if job.id is not None else 0)
            for job in uow.import_jobs.recent(limit=limit)
        ]
    table = Table(title="Customer imports")
    for column in ("id", "file", "status", "rows", "imported", "routed", "pending", "started"):
        table.add_column(column, justify="right" if column not in ("file", "status") else "left")
    table.add_column("finished")
    for job, pending in rows:
        routed = job.rows_imported - pending if job.route else 0
        table.add_row(
            str(job.id),
            job.file_name,
            job.status.value,
            str(job.rows),
            str(job.rows_imported),
            str(routed) if job.route else "not asked",
            str(pending),
            _when(job.started_at),
            _when(job.finished_at),
        )
    console.print(table)
    if not rows:
        console.print("No customer imports yet.")
