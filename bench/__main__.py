"""Run every benchmark: `python -m bench` (or `make bench`); `--only http` runs one."""

from __future__ import annotations

import argparse

from bench import (
    affinity_bench,
    assign_bench,
    attachments_bench,
    backup_bench,
    bulk_bench,
    dedupe_bench,
    export_bench,
    http_bench,
    import_bench,
    import_upload_bench,
    loads_bench,
    optimal_bench,
    outbox_bench,
    pages_bench,
    reclaim_bench,
    routing_bench,
    scoring_bench,
    spread_bench,
    task_routing_bench,
)

BENCHMARKS = {
    "import": import_bench.run,
    "assign": assign_bench.run,
    "loads": loads_bench.run,
    "routing": routing_bench.run,
    "bulk": bulk_bench.run,
    "outbox": outbox_bench.run,
    "pages": pages_bench.run,
    "spread": spread_bench.run,
    "reclaim": reclaim_bench.run,
    "tasks": task_routing_bench.run,
    "optimal": optimal_bench.run,
    "affinity": affinity_bench.run,
    "scoring": scoring_bench.run,
    "attachments": attachments_bench.run,
    "export": export_bench.run,
    "import_upload": import_upload_bench.run,
    "dedupe": dedupe_bench.run,
    "backup": backup_bench.run,
}

if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", choices=[*BENCHMARKS, "http"], help="run just this one")
    parser.add_argument("--clients", type=int, default=8, help="HTTP: concurrent clients")
    parser.add_argument("--workers", type=int, default=1, help="HTTP: uvicorn processes")
    parser.add_argument("--seconds", type=float, default=5.0, help="HTTP: seconds per endpoint")
    parser.add_argument(
        "--quick", action="store_true", help="optimal: a tenth of the size, no database"
    )
    options = parser.parse_args()
    for name, run in BENCHMARKS.items():
        if options.only in (None, name):
            if name == "optimal":
                optimal_bench.run(quick=options.quick)
            else:
                run()
    if options.only in (None, "http"):
        http_bench.run(clients=options.clients, workers=options.workers, seconds=options.seconds)
