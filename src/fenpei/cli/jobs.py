"""`fenpei jobs …`: run scheduled work now, or every N seconds."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from fenpei.cli._common import console, fenpei_app
from fenpei.jobs.queue import retry_queue as retry_queue_job

app = typer.Typer(help="Scheduled jobs (one process at a time runs each).", no_args_is_help=True)


@app.command("retry-queue")
def retry_queue(
    every: Annotated[
        int | None, typer.Option(min=1, help="Repeat every N seconds until interrupted.")
    ] = None,
) -> None:
    """Route queued customers again (capacity may have freed since)."""
    with fenpei_app() as fenpei:
        while True:
            outcomes = retry_queue_job(fenpei)
            if outcomes is None:
                console.print("another process is routing the queue; skipped")
            else:
                console.print(", ".join(f"{n} {what}" for what, n in outcomes.items()))
            if every is None:
                return
            time.sleep(every)
