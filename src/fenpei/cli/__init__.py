"""The `fenpei` command line (Typer)."""
