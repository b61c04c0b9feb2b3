"""`fenpei customers duplicates`: the duplicate check (查重) from the command line."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from fenpei.cli._common import console, fenpei_app
from fenpei.cli._words import LangOption, words
from fenpei.domain.users import SYSTEM
from fenpei.services.duplicates import find_duplicates
from fenpei.web._conditions_text import field_name


def duplicates(
    phone: Annotated[str | None, typer.Option(help="Phone, in any writing (+86, spaces…).")] = None,
    email: Annotated[str | None, typer.Option(help="Email address.")] = None,
    company: Annotated[
        str | None, typer.Option(help="Company name (有限公司, Co., Ltd. …).")
    ] = None,
    lang: LangOption = None,
) -> None:
    """Customers that already have this phone, email or company (normalised), with their
    owner, protection (保护期) or pool."""
    with fenpei_app() as fenpei, fenpei.uow(read_only=True) as uow:
        said = words(fenpei.settings, lang)
        matches = find_duplicates(
            uow=uow, actor=SYSTEM, now=fenpei.now(), phone=phone, email=email, company_name=company
        )
    t = said.t
    if not matches:
        console.print(t("dup.none"))
        return
    table = Table(title=t("dup.cli.title", count=said.number(len(matches))))
    for column in ("id", "name", "matched", "owner", "protected", "pool"):
        table.add_column(t(f"dup.cli.{column}"))
    for m in matches:
        table.add_row(
            str(m.customer_id or ""),
            m.name or "",
            ", ".join(field_name(t, f) for f in m.matched),
            m.owner_name or "—",
            said.when(m.protected_until) if m.protected_until else "",
            m.pool_name or "",
        )
    console.print(table)
