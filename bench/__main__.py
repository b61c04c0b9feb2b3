"""Run every benchmark: `python -m bench` (or `make bench`)."""

from __future__ import annotations

from bench import assign_bench, import_bench, routing_bench

if __name__ == "__main__":
    import_bench.run()
    assign_bench.run()
    routing_bench.run()
