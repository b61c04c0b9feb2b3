"""`fenpei serve`: the web UI and API (uvicorn)."""

from __future__ import annotations

from typing import Annotated

import typer

from fenpei.cli._common import console


def serve(
    demo: Annotated[
        bool,
        typer.Option(
            help="Fresh SQLite file with the Maven CRM data and an "
            "admin user (password printed once)."
        ),
    ] = False,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve the web UI and the REST API (OpenAPI docs at /docs)."""
    import uvicorn

    from fenpei.api.app import create_app
    from fenpei.bootstrap import bootstrap
    from fenpei.cli.demo import prepare_demo

    fenpei = prepare_demo() if demo else bootstrap()
    console.print(f"fenpei on http://{host}:{port}  (docs: http://{host}:{port}/docs)")
    uvicorn.run(create_app(fenpei), host=host, port=port, log_level="info")
