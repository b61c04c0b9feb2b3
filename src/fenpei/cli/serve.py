"""`fenpei serve`: the web UI and API (uvicorn)."""

from __future__ import annotations

import ipaddress
from typing import Annotated

import typer

from fenpei.bootstrap import Fenpei
from fenpei.cli._common import console, err_console, fenpei_app, load_settings
from fenpei.cli._errors import CannotRun
from fenpei.cli._output import labelled
from fenpei.config import INSECURE_SECRET


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable only from this machine: 127.0.0.0/8, ::1, localhost."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:  # any other name may resolve to a public address
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def _run(fenpei: Fenpei, host: str, port: int, *, worker: bool | None) -> None:
    import uvicorn

    from fenpei.app import create_app
    from fenpei.jobs.worker import start_in_background

    settings = fenpei.settings
    in_process = settings.runs_worker_in_process if worker is None else worker
    stop = (
        start_in_background(fenpei, poll_seconds=settings.worker_poll_seconds)
        if in_process
        else None
    )
    console.print(f"fenpei on http://{host}:{port}  (docs: http://{host}:{port}/docs)")
    console.print(
        "messages and scheduled jobs: "
        + ("a worker in this process" if stop else "not here (run `fenpei worker`)")
    )
    try:
        uvicorn.run(create_app(fenpei), host=host, port=port, log_level="info")
    finally:
        if stop is not None:
            stop.set()


def serve(
    demo: Annotated[
        bool,
        typer.Option(
            help="Load the Maven CRM data and an admin user (password printed once) into "
            "a fresh ./fenpei-demo.db, or into FENPEI_DATABASE_URL if set (an empty one)."
        ),
    ] = False,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    worker: Annotated[
        bool | None,
        typer.Option(
            "--worker/--no-worker",
            help="Deliver messages and run scheduled jobs in this process too. Default: "
            "yes on SQLite, no on PostgreSQL (run `fenpei worker` there); "
            "FENPEI_WORKER_IN_PROCESS sets it.",
        ),
    ] = None,
) -> None:
    """Serve the web UI and the REST API (OpenAPI docs at /docs)."""
    if demo:
        from fenpei.cli.demo import prepare_demo

        fenpei = prepare_demo()
        try:
            _run(fenpei, host, port, worker=worker)
        finally:
            fenpei.close()
        return
    settings = load_settings()
    # Only dev and demo accept the public default key; anyone who can reach the server
    # could sign session cookies with it.
    insecure = settings.secret_key == INSECURE_SECRET
    if insecure and not is_loopback(host):
        raise CannotRun(f"set FENPEI_SECRET_KEY and FENPEI_MODE=production to serve on {host}")
    with fenpei_app(settings=settings) as fenpei:
        if insecure:
            warning = (
                f": FENPEI_SECRET_KEY is the public default ({settings.mode.value} mode); "
                "serving on this machine only"
            )
            err_console.print(labelled("warning", "yellow", warning), soft_wrap=True)
        _run(fenpei, host, port, worker=worker)
