"""`fenpei dedupe scan|pairs|dismiss|merge|merges|undo`: duplicates in bulk and merge
(查重合并), through the same services as the API and the pages. Commands act as the
system (an admin)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from fenpei.cli._common import console, fenpei_app
from fenpei.domain.dedupe import PairStatus
from fenpei.domain.users import SYSTEM
from fenpei.engine.dedupe import MatchSettings
from fenpei.services.dedupe import merge as merging
from fenpei.services.dedupe import review, scan, undo

app = typer.Typer(help="Duplicates in bulk and merge (查重合并).", no_args_is_help=True)
IdArgument = Annotated[int, typer.Argument(min=1, max=2**31 - 1)]


@app.command("scan")
def scan_(
    similarity: Annotated[
        float, typer.Option(min=50, max=100, help="Company names at least this similar (0-100).")
    ] = 85.0,
) -> None:
    """Check every customer for duplicate pairs (phone, email, company; fuzzy company
    names) and store them for review; dismissed pairs stay dismissed."""
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        result = scan.scan_duplicates(
            uow=uow, actor=SYSTEM, now=fenpei.now(),
            settings=MatchSettings(min_similarity=similarity),
        )  # fmt: skip
        uow.commit()
    console.print(
        f"{result.customers} customers checked: {result.found} pairs "
        f"({result.new} new, {result.updated} updated, {result.kept} already decided, "
        f"{result.dropped} no longer found)"
    )


@app.command("pairs")
def pairs(
    status: Annotated[PairStatus, typer.Option(help="Pairs with this status.")] = PairStatus.open,
    limit: Annotated[int, typer.Option(min=1, max=review.MAX_LIMIT, help="At most.")] = 50,
) -> None:
    """Pairs to review, strongest first, with their reasons."""
    with fenpei_app() as fenpei, fenpei.uow(read_only=True) as uow:
        views, total = review.list_pairs(
            uow=uow, actor=SYSTEM, status=status, limit=limit, offset=0
        )
    table = Table(title=f"{len(views)} of {total} {status.value} pairs")
    for column in ("pair", "score", "reasons", "customer A", "customer B"):
        table.add_column(column)
    for v in views:
        reasons = ", ".join(v.pair.reasons)
        if v.pair.similarity is not None:
            reasons += f" ({v.pair.similarity:.0f}%)"
        table.add_row(
            str(v.pair.id), f"{v.pair.score:.0f}", reasons,
            f"{v.low.id} {v.low.name}", f"{v.high.id} {v.high.name}",
        )  # fmt: skip
    console.print(table)


@app.command("dismiss")
def dismiss(pair: IdArgument) -> None:
    """Mark a pair as not duplicates: later scans leave it dismissed."""
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        review.decide_pair(
            uow=uow, actor=SYSTEM, pair_id=pair, status=PairStatus.dismissed, now=fenpei.now()
        )
        uow.commit()
    console.print(f"pair {pair} dismissed")


@app.command("merge")
def merge(
    survivor: IdArgument,
    other: IdArgument,
    choose: Annotated[
        str | None,
        typer.Option(
            help='Field choices as JSON, e.g. {"phone": "loser"}; default: the '
            "survivor's values, the other's where the survivor has none."
        ),
    ] = None,
) -> None:
    """Merge customer OTHER into SURVIVOR: history carried over, OTHER hidden (kept)."""
    try:
        choices = json.loads(choose) if choose else {}
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"not JSON: {exc}", param_hint="--choose") from None
    if not isinstance(choices, dict) or not all(isinstance(v, str) for v in choices.values()):
        raise typer.BadParameter('an object of field: "survivor" | "loser"', param_hint="--choose")
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        done = merging.merge_customers(
            uow=uow, actor=SYSTEM, survivor_id=survivor, loser_id=other, choices=choices,
            now=fenpei.now(),
        )  # fmt: skip
        uow.commit()
    moved = ", ".join(f"{len(v)} {k}" for k, v in done.moved.items()) or "no rows"
    owner = done.owner_change
    said = f"; owner: rep {owner['from']} → rep {owner['to']} ({owner['rule']})" if owner else ""
    console.print(f"merge {done.id}: customer {other} merged into {survivor}; moved {moved}{said}")


@app.command("merges")
def merges(limit: Annotated[int, typer.Option(min=1, max=200, help="At most.")] = 50) -> None:
    """Merges, newest first, and whether each was undone."""
    with fenpei_app() as fenpei, fenpei.uow(read_only=True) as uow:
        done = uow.dedupe.merges(limit=limit, offset=0)
    table = Table(title="merges")
    for column in ("merge", "at", "by", "survivor", "merged away", "undone"):
        table.add_column(column)
    for m in done:
        undone = f"{m.undone_at:%Y-%m-%d %H:%M} {m.undone_by}" if m.undone_at else ""
        table.add_row(
            str(m.id), f"{m.at:%Y-%m-%d %H:%M}", m.actor, str(m.survivor_id), str(m.loser_id),
            undone,
        )  # fmt: skip
    console.print(table)


@app.command("undo")
def undo_(merge: IdArgument) -> None:
    """Undo a merge: the merged-away customer and its rows come back, the survivor's
    fields and owner revert (refused with the reason if something since forbids it)."""
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        undo.undo_merge(uow=uow, actor=SYSTEM, merge_id=merge, now=fenpei.now())
        uow.commit()
    console.print(f"merge {merge} undone")
