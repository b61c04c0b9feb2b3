"""`fenpei pool list|customers|claim|return|push|move`: the pool's daily work from the
command line, through the same services as the pages and the API.

Each acts as the rep named by ``--as`` (a claim needs one) or as the system (an admin).
A refusal exits 2 with one line naming the field (``customer_id: …``), in the language of
``--lang`` (the pages' words)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated

import typer

from fenpei.cli._acting import acting_as
from fenpei.cli._common import console, fenpei_app
from fenpei.cli._errors import CannotRun
from fenpei.cli._words import LangOption, Words, words
from fenpei.domain.assignments import Assignment
from fenpei.domain.errors import (
    CapacityExceeded,
    ClaimRefused,
    FenpeiError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from fenpei.domain.users import SYSTEM, Actor
from fenpei.services.customers import find_customer
from fenpei.services.org import find_rep
from fenpei.services.pool import claims, listing, moves, pushes, terms
from fenpei.services.ports import UnitOfWork
from fenpei.web._said import said

AsOption = Annotated[
    str | None, typer.Option("--as", help="Act as this rep (id or name); default: the system.")
]
IdsArgument = Annotated[list[str], typer.Argument(help="Customer ids (or external ids).")]


@contextmanager
def _refusals(t: Words, field: str) -> Iterator[None]:
    """A refusal of the services as one line naming ``field``, exit code 2."""
    try:
        yield
    except CannotRun:
        raise
    except ValidationFailed as exc:
        shown = "; ".join(f"{e.field or field}: {said(t.t, e.message)}" for e in exc.errors)
        raise CannotRun(shown) from None
    except ClaimRefused as exc:
        key = f"pool.refused.{exc.kind}"
        text = said(t.t, exc.args[0]) if exc.kind == "duplicate" else t.t(key)
        raise CannotRun(f"{field}: {text if text != key else exc}") from None
    except CapacityExceeded:
        raise CannotRun(f"{field}: {t.t('pool.refused.capacity')}") from None
    except NotFound as exc:
        raise CannotRun(f"{field}: {t.t('cli.pool.not_found', key=exc.key)}") from None
    except PermissionDenied:
        raise CannotRun(f"{field}: {t.t('cli.pool.denied')}") from None
    except FenpeiError as exc:
        raise CannotRun(f"{field}: {exc}") from None


def _customer_ids(uow: UnitOfWork, refs: list[str]) -> list[int]:
    found = []
    for ref in refs:
        customer = find_customer(uow=uow, ref=ref, actor=SYSTEM)
        assert customer.id is not None
        found.append(customer.id)
    return found


def register(app: typer.Typer) -> None:
    """Add the commands to ``fenpei pool``."""
    app.command("list")(list_pools)
    app.command("customers")(pool_customers)
    app.command("claim")(claim)
    app.command("return")(return_)
    app.command("push")(push)
    app.command("move")(move)


def list_pools(as_rep: AsOption = None, lang: LangOption = None) -> None:
    """The pools you may see, with how many wait in each."""
    with fenpei_app() as fenpei, fenpei.uow(read_only=True) as uow:
        t = words(fenpei.settings, lang)
        with _refusals(t, "--as"):
            actor = acting_as(uow, as_rep)
            for pool in terms.list_pools(uow=uow, actor=actor):
                waiting = listing.pool_customers(uow=uow, key=pool.key, actor=actor, limit=0)
                console.print(
                    t.t("cli.pool.line", key=pool.key, name=pool.name, count=waiting.total),
                    soft_wrap=True, highlight=False,
                )  # fmt: skip


def pool_customers(
    key: Annotated[str, typer.Argument(help="The pool, e.g. `public` or `team:3`.")],
    as_rep: AsOption = None,
    q: Annotated[str | None, typer.Option("--q", help="Name, company, phone, email.")] = None,
    level: Annotated[str | None, typer.Option(help="A level code.")] = None,
    region: Annotated[str | None, typer.Option(help="A region code.")] = None,
    source: Annotated[str | None, typer.Option(help="A source code.")] = None,
    waiting_days: Annotated[
        int | None, typer.Option(min=0, max=3650, help="Waiting at least this many days.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=listing.MAX_PAGE_SIZE)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    lang: LangOption = None,
) -> None:
    """Who waits in pool KEY, longest first (contacts masked where the pool says)."""
    with fenpei_app() as fenpei, fenpei.uow(read_only=True) as uow:
        t = words(fenpei.settings, lang)
        with _refusals(t, "key"):
            actor = acting_as(uow, as_rep)
            narrow = listing.PoolFilter(q, level, region, source, waiting_days)
            page = listing.pool_customers(
                uow=uow, key=key, actor=actor, offset=offset, limit=limit, narrow=narrow,
                now=fenpei.now(),
            )  # fmt: skip
        for c in page.customers:
            changed = c.updated_at or c.created_at
            since = t.when(changed) if changed is not None else ""
            line = " · ".join(
                str(part)
                for part in (f"#{c.id} {c.name}", c.company_name, c.level, c.region, c.source,
                             c.phone, since)
                if part
            )  # fmt: skip
            console.print(line, soft_wrap=True, highlight=False)
        console.print(t.t("cli.pool.total", count=page.total, shown=len(page.customers)))


def claim(
    customer: Annotated[str, typer.Argument(help="Customer id (or external id).")],
    as_rep: Annotated[str, typer.Option("--as", help="The rep who claims (id or name).")],
    lang: LangOption = None,
) -> None:
    """Claim (领取) a customer waiting in a pool, as rep --as, within the pool's terms."""
    _one(lang, "customer_id", as_rep, lambda uow, actor, now: claims.claim(
        uow=uow, customer_id=_customer_ids(uow, [customer])[0], actor=actor, now=now
    ), "cli.pool.claimed")  # fmt: skip


def return_(
    customer: Annotated[str, typer.Argument(help="Customer id (or external id).")],
    reason: Annotated[str, typer.Option("--reason", help="A return_reason code.")],
    note: Annotated[str | None, typer.Option(help="A note with the reason.")] = None,
    as_rep: AsOption = None,
    lang: LangOption = None,
) -> None:
    """Return (退回) an owned customer to its pool with a listed reason (as its owner --as,
    or as the system)."""
    _one(lang, "customer_id", as_rep, lambda uow, actor, now: claims.return_to_pool(
        uow=uow, customer_id=_customer_ids(uow, [customer])[0], reason=reason, note=note,
        actor=actor, now=now,
    ), "cli.pool.returned")  # fmt: skip


def _one(
    lang: str | None,
    field: str,
    as_rep: str | None,
    work: Callable[[UnitOfWork, Actor, datetime], Assignment],
    said_key: str,
) -> None:
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        t = words(fenpei.settings, lang)
        with _refusals(t, "--as"):
            actor = acting_as(uow, as_rep)
        with _refusals(t, field):
            record = work(uow, actor, fenpei.now())
            customer = uow.customers.get(record.customer_id)
            pool = customer.pool if customer is not None else None
            uow.commit()
    name = customer.name if customer is not None else ""
    console.print(t.t(said_key, customer=name, rep=actor.name, pool=pool or ""), highlight=False)


def push(
    customers: IdsArgument,
    rep: Annotated[str, typer.Option("--rep", help="The rep who takes them (id or name).")],
    from_pool: Annotated[str | None, typer.Option("--from", help="Only from this pool.")] = None,
    lang: LangOption = None,
) -> None:
    """Push (分配给…) customers waiting in a pool to rep --rep: all or nothing, each one
    that cannot go named with why."""
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        t = words(fenpei.settings, lang)
        with _refusals(t, "--rep"):
            found = find_rep(uow=uow, ref=rep)
        with _refusals(t, "customer_ids"):
            ids = _customer_ids(uow, customers)
            done = pushes.push_many(
                uow=uow, actor=SYSTEM, customer_ids=ids, rep_id=found.id or 0,
                now=fenpei.now(), from_pool=from_pool,
            )  # fmt: skip
            uow.commit()
    console.print(t.t("cli.pool.pushed", count=len(done), rep=found.name), highlight=False)


def move(
    customers: IdsArgument,
    to: Annotated[str, typer.Option("--to", help="The pool they go to, e.g. `team:3`.")],
    reason: Annotated[str | None, typer.Option(help="Why (kept on each record).")] = None,
    from_pool: Annotated[str | None, typer.Option("--from", help="Only from this pool.")] = None,
    lang: LangOption = None,
) -> None:
    """Move customers waiting in a pool to pool --to (移至公海): all or nothing."""
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        t = words(fenpei.settings, lang)
        with _refusals(t, "customer_ids"):
            ids = _customer_ids(uow, customers)
            done = moves.move_to_pool(
                uow=uow, actor=SYSTEM, customer_ids=ids, to_pool=to, reason=reason,
                now=fenpei.now(), from_pool=from_pool,
            )  # fmt: skip
            uow.commit()
    console.print(t.t("cli.pool.moved", count=len(done), pool=to), highlight=False)
