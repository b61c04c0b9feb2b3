"""`fenpei customers …`, `fenpei assign`, `fenpei history`: customers and their owners."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

import typer
from rich.table import Table

from fenpei.cli._common import console, fenpei_app
from fenpei.cli._words import LangOption, Words, words
from fenpei.cli.routing import route_pending
from fenpei.domain.customers import Stage
from fenpei.domain.users import SYSTEM
from fenpei.engine.explain import decision_json
from fenpei.engine.model import Decision, Outcome
from fenpei.services import assignments
from fenpei.services import customers as customer_service
from fenpei.services.intake import create_and_route
from fenpei.services.org import find_rep
from fenpei.services.ports import CustomerQuery, UnitOfWork
from fenpei.web._conditions_text import field_name
from fenpei.web._explain import reason_words
from fenpei.web.i18n import Translate

app = typer.Typer(help="Customers (客户).", no_args_is_help=True)


def _rep_names(uow: UnitOfWork) -> dict[int | None, str]:
    return {rep.id: rep.name for rep in uow.reps.all()} | {None: "—"}


@app.command("list")
def list_(
    search: Annotated[
        str | None,
        typer.Option("--search", "-s", help="Text in name, company, email, phone or external id."),
    ] = None,
    owner: Annotated[str | None, typer.Option(help="Owner: rep id or name.")] = None,
    unowned: Annotated[bool, typer.Option(help="Only customers nobody owns.")] = False,
    stage: Annotated[Stage | None, typer.Option(help="Stage.")] = None,
    level: Annotated[str | None, typer.Option(help="Level code, e.g. A.")] = None,
    region: Annotated[str | None, typer.Option(help="Region, e.g. East.")] = None,
    industry: Annotated[str | None, typer.Option(help="Industry.")] = None,
    sort: Annotated[str, typer.Option(help="Sort key; prefix '-' for descending.")] = "-created_at",
    page: Annotated[int, typer.Option(min=1, help="Page number.")] = 1,
    per_page: Annotated[int, typer.Option(min=1, max=500, help="Rows per page.")] = 20,
    lang: LangOption = None,
) -> None:
    """List customers with filters, newest first, in the configured language."""
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        said = words(fenpei.settings, lang)
        owner_id = find_rep(uow=uow, ref=owner).id if owner else None
        query = CustomerQuery(
            text=search,
            owner_id=owner_id,
            unowned=unowned,
            stage=stage,
            level=level,
            region=region,
            industry=industry,
            sort=sort,
            offset=(page - 1) * per_page,
            limit=per_page,
        )
        found, total = customer_service.list_customers(uow=uow, query=query, actor=SYSTEM)
        names = _rep_names(uow)
    first, last = query.offset + 1 if found else 0, query.offset + len(found)
    n, t = said.number, said.t
    table = Table(title=t("cli.list.title", first=n(first), last=n(last), total=n(total)))
    for column in ("id", "name", "company", "region", "industry", "stage", "owner"):
        table.add_column(t(f"cli.list.{column}"))
    for c in found:
        table.add_row(
            str(c.id),
            c.name,
            c.company_name or "",
            c.region or "",
            c.industry or "",
            t(f"stage.{c.stage.value}"),
            names.get(c.owner_id, "?"),
        )
    console.print(table)


@app.command()
def show(
    customer: Annotated[str, typer.Argument(help="Customer id or external id.")],
    lang: LangOption = None,
) -> None:
    """Show one customer's attributes and current owner, in the configured language."""
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        said = words(fenpei.settings, lang)
        found = customer_service.find_customer(uow=uow, ref=customer, actor=SYSTEM)
        names = _rep_names(uow)
    t = said.t
    table = Table(show_header=False, title=t("cli.show.title", id=found.id))
    for name in (
        "name",
        "external_id",
        "company_name",
        "phone",
        "email",
        "wechat",
        "country",
        "province",
        "city",
        "region",
        "industry",
        "employees",
        "revenue",
        "level",
        "customer_type",
        "source",
        "product_interest",
        "expected_value",
        "stage",
        "tags",
        "score",
        "created_at",
        "assigned_at",
        "closed_at",
    ):
        value = getattr(found, name)
        if value not in (None, [], ""):
            table.add_row(field_name(t, name), _shown(said, value))
    table.add_row(t("field.owner"), names.get(found.owner_id, "?"))
    console.print(table)


def _shown(said: Words, value: object) -> str:
    """A customer's value as the language writes it: stages in words, moments in the
    configured zone, numbers grouped; text as it is."""
    if isinstance(value, Stage):
        return said.t(f"stage.{value.value}")
    if isinstance(value, datetime):
        return said.when(value)
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return said.number(value)
    if isinstance(value, list):
        return said.t("cond.list_separator").join(map(str, value))
    return str(value)


@app.command("add")
def add(
    fields: Annotated[
        list[str], typer.Argument(help="field=value pairs, e.g. name=Acme region=East level=A")
    ],
    no_route: Annotated[
        bool, typer.Option("--no-route", help="Store it without routing it.")
    ] = False,
    lang: LangOption = None,
) -> None:
    """Add a customer and route it at once (unless --no-route); prints the decision in
    the configured language."""
    values: dict[str, object] = {}
    for pair in fields:
        name, sep, value = pair.partition("=")
        if not sep:
            raise typer.BadParameter(f"{pair!r} is not field=value")
        values[name.strip()] = value
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        t = words(fenpei.settings, lang).t
        created, decision = create_and_route(
            uow=uow,
            rulebook=fenpei.rulebook,
            fields=values,
            actor=SYSTEM,
            now=fenpei.now(),
            rng=fenpei.rng(),
            route=not no_route,
        )
        uow.commit()
    console.print(t("cli.add.created", id=created.id, name=created.name))
    if decision is not None:
        console.print(_decision_words(t, decision))


def _decision_words(t: Translate, decision: Decision) -> str:
    """Where the customer went and why: "分配给 张伟（规则「华东」：轮流分配，第一位）"."""
    data = decision_json(decision)
    why = reason_words(t, data)
    if decision.outcome is Outcome.assigned:
        chosen = next((c.rep_name for c in decision.candidates if c.rep_id == decision.rep_id), "")
        return t("cli.add.assigned", rep=chosen, rule=decision.rule_name or "", why=why)
    return why


def assign(
    customer: Annotated[str | None, typer.Argument(help="Customer id or external id.")] = None,
    rep: Annotated[str | None, typer.Argument(help="Rep id or name.")] = None,
    pending: Annotated[
        bool, typer.Option("--pending", help="Route every queued customer through the rules.")
    ] = False,
    reason: Annotated[
        str | None, typer.Option(help="Why (required when taking the customer from another rep).")
    ] = None,
    override_capacity: Annotated[
        bool, typer.Option(help="Assign even above the rep's capacity (recorded).")
    ] = False,
    lang: LangOption = None,
) -> None:
    """Give a customer to a rep by hand (capacity applies unless overridden), or with
    --pending route the queue."""
    if pending:
        route_pending()
        return
    if customer is None or rep is None:
        raise typer.BadParameter("give CUSTOMER and REP, or --pending")
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        t = words(fenpei.settings, lang).t  # an unknown --lang stops before anything changes
        found = customer_service.find_customer(uow=uow, ref=customer, actor=SYSTEM)
        target = find_rep(uow=uow, ref=rep)
        assert found.id is not None and target.id is not None
        record = assignments.assign(
            uow=uow,
            customer_id=found.id,
            rep_id=target.id,
            actor=SYSTEM,
            now=fenpei.now(),
            reason=reason,
            override_capacity=override_capacity,
        )
        uow.commit()
    method = t(f"method.{record.method.value}")
    note = t("cli.history.capacity_overridden") if record.capacity_override else ""
    console.print(" ".join(filter(None, (f"{found.name} → {target.name} ({method})", note))))


def history(
    customer: Annotated[str, typer.Argument(help="Customer id or external id.")],
    lang: LangOption = None,
) -> None:
    """Show every change of a customer's owner, oldest first, in the configured language."""
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        said = words(fenpei.settings, lang)
        found = customer_service.find_customer(uow=uow, ref=customer, actor=SYSTEM)
        assert found.id is not None
        records = assignments.history(uow=uow, customer_id=found.id, actor=SYSTEM)
        names = _rep_names(uow)
    t = said.t
    table = Table(title=t("cli.history.title", name=found.name, id=said.number(found.id)))
    for column in ("when", "method", "from", "to", "by", "reason"):
        table.add_column(t(f"cli.history.{column}"))
    for r in records:
        overridden = t("cli.history.capacity_overridden") if r.capacity_override else ""
        table.add_row(
            said.when(r.at),
            t(f"method.{r.method.value}"),
            names.get(r.from_rep_id, "?"),
            names.get(r.to_rep_id, "?") if r.to_rep_id else t("cli.history.pool"),
            t("actor.system") if r.actor == SYSTEM.name else r.actor,
            " ".join(filter(None, (r.reason, overridden))),
        )
    console.print(table)
