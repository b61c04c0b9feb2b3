"""`fenpei pool …`: the public pool (公海) from the command line: list the pools and who
waits in them, claim (领取), return (退回), push to a rep (分配给…), move between pools,
reclaim (回收), and redistributing a pool by batch optimal (公海再分配).

The day-to-day commands (``cli/_pool_work.py``) act as the rep named by ``--as`` or, without
it, as the system (an admin); a refusal ends with exit code 2 and one line naming the field,
in the language of ``--lang``."""

from __future__ import annotations

from typing import Annotated

import typer

from fenpei.cli import _pool_work
from fenpei.cli._common import console, fenpei_app
from fenpei.cli._errors import CannotRun
from fenpei.domain.reclaim import reason_words
from fenpei.domain.users import SYSTEM
from fenpei.jobs.reclaim import run_reclaim
from fenpei.services.pool import reclaim as reclaiming
from fenpei.services.routing_optimal import redistribute_pool

app = typer.Typer(
    help="The public pool (公海): list, claim (领取), return (退回), push, move, reclaim (回收), "
    "redistribution (再分配).",
    no_args_is_help=True,
)
_pool_work.register(app)


@app.command("reclaim")
def reclaim(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be reclaimed now, and why.")
    ] = False,
    pool: Annotated[
        str | None, typer.Option("--pool", help="Only this pool's rules (e.g. `public`).")
    ] = None,
) -> None:
    """Warn owners of customers soon due, then reclaim the due ones to their pool (or
    route them again, as the pool says); with --dry-run only list them with why."""
    with fenpei_app() as fenpei:
        if dry_run:
            with fenpei.uow(read_only=True) as uow:
                found = reclaiming.dry_run(uow=uow, now=fenpei.now(), pool=pool)
            items = found.items
            for item in items:  # one line each, whole at any width (greppable)
                console.print(
                    f"#{item.customer_id} {item.name} · owner {item.owner_id} · {item.pool} · "
                    f"{reason_words(item.rule, item.days, item.level)} · since "
                    f"{item.since:%Y-%m-%d %H:%M} · due {item.due:%Y-%m-%d %H:%M} · then "
                    f"{item.action.value}",
                    soft_wrap=True,
                )
            if found.partial:
                console.print(
                    f"showing the first {len(items)} of {found.total}, earliest due first"
                )
            console.print(f"{found.total} would be reclaimed now")
            return
        report = run_reclaim(fenpei, pool=pool)
    if report is None:
        raise CannotRun("another process is reclaiming now; try again when it is done")
    console.print(report.summary())


@app.command("redistribute")
def redistribute(
    pool: Annotated[str, typer.Argument(help="The pool, e.g. `public` or `team:3`.")],
    rule: Annotated[int, typer.Option("--rule", help="The rule whose target and limits apply.")],
    apply: Annotated[
        bool, typer.Option("--apply", help="Do it (without: a dry run that changes nothing).")
    ] = False,
) -> None:
    """Solve every customer waiting in POOL in one batch under a rule: as many placed as
    the reps' room allows, then the most expected wins (batch optimal). A dry run unless
    --apply."""
    with fenpei_app() as fenpei, fenpei.uow() as uow:
        done = redistribute_pool(
            uow=uow, rulebook=fenpei.rulebook, pool=pool, rule_id=rule, actor=SYSTEM,
            now=fenpei.now(), rng=fenpei.rng(), dry_run=not apply,
        )  # fmt: skip
        if apply:
            uow.commit()
    for rep_id, count in done.placed.items():
        console.print(f"{done.rep_names[rep_id]} (#{rep_id}): {count}", soft_wrap=True)
    wins = "" if done.expected_wins is None else f", expected wins {done.expected_wins:.2f}"
    verb = "given" if apply else "would be given"
    console.print(
        f"{done.considered - done.staying} of {done.considered} {verb} by rule "
        f"'{done.rule_name}', {done.staying} stay in {pool}{wins}",
        soft_wrap=True,
    )
    if not apply:
        console.print("dry run: nothing changed; add --apply to do it")
