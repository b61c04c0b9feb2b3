"""`fenpei follow-ups add|correct|list`: log a follow-up (跟进记录), correct one (更正), and
read a customer's."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from fenpei.cli._acting import TIME_FORMATS, acting_as, aware
from fenpei.cli._common import console, fenpei_app
from fenpei.cli._words import LangOption, words
from fenpei.domain.users import SYSTEM
from fenpei.services import routing_reroute
from fenpei.services.customers import find_customer
from fenpei.services.follow_ups import corrections, records

app = typer.Typer(help="Follow-ups (跟进记录).", no_args_is_help=True)
CustomerArgument = Annotated[str, typer.Argument(help="Customer id or external id.")]


@app.command("add")
def add(
    customer: CustomerArgument,
    content: Annotated[str, typer.Option("--content", "-c", help="What happened.")],
    kind: Annotated[
        str, typer.Option("--kind", "-k", help="A follow_up_type code: phone, visit, email, …")
    ] = "phone",
    at: Annotated[
        datetime | None,
        typer.Option(formats=TIME_FORMATS, help="When it happened (default now)."),
    ] = None,
    outcome: Annotated[str | None, typer.Option(help="The outcome.")] = None,
    next_at: Annotated[
        datetime | None,
        typer.Option("--next", formats=TIME_FORMATS, help="When to follow up next."),
    ] = None,
    stage: Annotated[str | None, typer.Option(help="Move the customer to this stage too.")] = None,
    reason: Annotated[str | None, typer.Option(help="Why (required for lost).")] = None,
    rep: Annotated[
        str | None, typer.Option(help="The rep who followed up (id or name); they must own it.")
    ] = None,
    lang: LangOption = None,
) -> None:
    """Log a follow-up with a customer: resets its reclaim clock, plans the next one."""
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        said = words(fenpei.settings, lang)
        zone = fenpei.settings.zone
        actor = acting_as(uow, rep)
        found = find_customer(uow=uow, ref=customer, actor=SYSTEM)
        assert found.id is not None
        now = fenpei.now()
        customer_id = found.id
        # A follow-up may move the customer on (a stage): that can fire a re-routing trigger.
        follow_up, _ = routing_reroute.change_and_reroute(
            uow=uow, rulebook=fenpei.rulebook, customer_id=customer_id, actor=actor, now=now,
            rng=fenpei.rng(),
            change=lambda: records.record_follow_up(
                uow=uow, customer_id=customer_id, actor=actor, kind=kind,
                at=aware(at, zone) or now, content=content, outcome=outcome,
                next_at=aware(next_at, zone), stage=stage, reason=reason, now=now,
            ),
        )  # fmt: skip
        uow.commit()
    console.print(said.t("cli.follow_ups.added", id=follow_up.id, customer=found.name))


@app.command("correct")
def correct(
    customer: CustomerArgument,
    follow_up: Annotated[int, typer.Argument(min=1, help="The follow-up's id.")],
    content: Annotated[str | None, typer.Option("--content", "-c", help="What happened.")] = None,
    kind: Annotated[str | None, typer.Option("--kind", "-k", help="A follow_up_type code.")] = None,
    outcome: Annotated[str | None, typer.Option(help="The outcome.")] = None,
    next_at: Annotated[
        datetime | None,
        typer.Option("--next", formats=TIME_FORMATS, help="When to follow up next."),
    ] = None,
    clear_next: Annotated[bool, typer.Option("--clear-next", help="No next follow-up.")] = False,
    rep: Annotated[
        str | None, typer.Option(help="Correct as this rep (its author, within a day).")
    ] = None,
    lang: LangOption = None,
) -> None:
    """Correct a follow-up: only the options given change; when it happened never does."""
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        said = words(fenpei.settings, lang)
        actor = acting_as(uow, rep)
        found = find_customer(uow=uow, ref=customer, actor=SYSTEM)
        assert found.id is not None
        given = {"content": content, "kind": kind, "outcome": outcome,
                 "next_at": aware(next_at, fenpei.settings.zone)}  # fmt: skip
        changes: dict[str, object] = {k: v for k, v in given.items() if v is not None}
        if clear_next:
            changes["next_at"] = None
        corrections.correct_follow_up(
            uow=uow, customer_id=found.id, follow_up_id=follow_up, actor=actor,
            changes=changes, now=fenpei.now(),
        )  # fmt: skip
        uow.commit()
    console.print(said.t("cli.follow_ups.corrected", id=follow_up, customer=found.name))


@app.command("list")
def list_(
    customer: CustomerArgument,
    limit: Annotated[int, typer.Option(min=1, max=records.MAX_LISTED, help="At most.")] = 20,
    lang: LangOption = None,
) -> None:
    """A customer's follow-ups, newest first."""
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        said = words(fenpei.settings, lang)
        found = find_customer(uow=uow, ref=customer, actor=SYSTEM)
        assert found.id is not None
        listed = records.list_follow_ups(uow=uow, customer_id=found.id, actor=SYSTEM, limit=limit)
    t = said.t
    table = Table(title=t("cli.follow_ups.title", customer=found.name))
    for column in ("at", "kind", "content", "outcome", "next", "author"):
        table.add_column(t(f"cli.follow_ups.{column}"))
    for f in listed:
        table.add_row(
            said.when(f.at), f.kind, f.content, f.outcome or "",
            said.when(f.next_at) if f.next_at else "", f.author,
        )  # fmt: skip
    console.print(table)
