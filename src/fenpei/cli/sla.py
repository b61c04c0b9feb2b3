"""`fenpei holidays …` and `fenpei sla …`: the holiday calendar and SLA policies."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from fenpei.cli._common import console, fenpei_app
from fenpei.cli._errors import BadArgument, problems_of
from fenpei.cli._files import read_text
from fenpei.domain.errors import ValidationFailed
from fenpei.domain.users import SYSTEM
from fenpei.services.sla import calendars, policies

holidays_app = typer.Typer(
    help="Holidays and make-up workdays (节假日 / 调休) that SLA clocks skip and count.",
    no_args_is_help=True,
)
sla_app = typer.Typer(
    help="First- and next-contact SLA policies (首次联系时限, 下次联系时限).", no_args_is_help=True
)
# Ranges are the services' to check: their refusal is one line naming the field.
Year = Annotated[int, typer.Option("--year", help="The calendar year.")]


@holidays_app.command("import")
def import_holidays(
    file: Annotated[
        Path, typer.Argument(help="CSV rows `date,kind,name` (kind: holiday|workday).")
    ],
    year: Year,
) -> None:
    """Replace the year's imported days with the file's (all or nothing); they override
    the chinese-calendar package's days."""
    text = read_text(file, argument="FILE")
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        try:
            count = calendars.import_year(uow=uow, actor=SYSTEM, year=year, text=text)
        except ValidationFailed as refused:
            in_file = [e for e in refused.errors if e.field != "year"]
            if in_file:  # what is wrong with the file, on one line naming it
                raise BadArgument(
                    "FILE", problems_of(ValidationFailed(in_file)), path=file
                ) from None
            raise
        uow.commit()
    console.print(f"imported {count} days for {year}")


@holidays_app.command("list")
def list_holidays(year: Year) -> None:
    """The year's holidays and make-up workdays, from the package and imported."""
    with fenpei_app() as fenpei, fenpei.uow(read_only=True) as uow:
        days = calendars.year_days(uow=uow, year=year)
    table = Table("day", "kind", "name", "source")
    for day in days:
        source = day.source + (" (overrides)" if day.overrides else "")
        table.add_row(day.day.isoformat(), day.kind.value, day.name, source)
    console.print(table)
    if not calendars.package_covers(year):
        console.print(f"the chinese-calendar package does not cover {year}: import its days")


@holidays_app.command("delete")
def delete_holidays(year: Year) -> None:
    """Drop the year's imported days (the package's apply again)."""
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        count = calendars.delete_year(uow=uow, actor=SYSTEM, year=year)
        uow.commit()
    console.print(f"deleted {count} imported days of {year}")


@sla_app.command("list")
def list_policies() -> None:
    """Every SLA policy, in the order ties are broken."""
    with fenpei_app() as fenpei, fenpei.uow(read_only=True) as uow:
        found = policies.list_policies(uow=uow, actor=SYSTEM)
    table = Table("id", "name", "level", "rule", "minutes", "remind", "manager", "reassign",
                  "calendar", "active", "next contact")  # fmt: skip
    for p in found:
        table.add_row(
            str(p.id), p.name, p.level or "*", str(p.rule_id or "*"), str(p.first_contact_minutes),
            str(p.remind_before_minutes), "yes" if p.notify_manager else "no",
            "" if p.reassign_after_minutes is None else str(p.reassign_after_minutes),
            p.calendar, "yes" if p.active else "no",
            "" if p.next_contact_minutes is None else str(p.next_contact_minutes),
        )  # fmt: skip
    console.print(table)


@sla_app.command("add")
def add_policy(
    name: Annotated[str, typer.Argument(help="What the policy is, e.g. 'A 级 2 小时'.")],
    minutes: Annotated[int, typer.Option("--minutes", help="Business minutes.")],
    level: Annotated[str | None, typer.Option(help="Only customers of this level.")] = None,
    rule_id: Annotated[int | None, typer.Option(help="Only this rule's assignments.")] = None,
    remind_before: Annotated[int, typer.Option(help="Remind N minutes before; 0: no.")] = 0,
    notify_manager: Annotated[bool, typer.Option(help="Tell the manager on a breach.")] = False,
    reassign_after: Annotated[
        int | None, typer.Option(help="Re-route N business minutes after a breach.")
    ] = None,
    calendar: Annotated[str, typer.Option(help="CN (holidays and 调休) or none.")] = "CN",
    next_contact: Annotated[
        int | None,
        typer.Option(
            "--next-contact-minutes",
            "--next-contact",
            help="After each contact, the next is due within N business minutes; none if left out.",
        ),
    ] = None,
) -> None:
    """Add an SLA policy."""
    fields = {
        "name": name, "first_contact_minutes": minutes, "level": level, "rule_id": rule_id,
        "remind_before_minutes": remind_before, "notify_manager": notify_manager,
        "reassign_after_minutes": reassign_after, "calendar": calendar,
        "next_contact_minutes": next_contact,
    }  # fmt: skip
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        policy = policies.create_policy(uow=uow, fields=fields, actor=SYSTEM, now=fenpei.now())
        uow.commit()
    then = policy.next_contact_minutes
    after = f", next contact {then} minutes after each" if then is not None else ""
    console.print(
        f"policy {policy.id} ({policy.name}): {policy.first_contact_minutes} minutes{after}"
    )
