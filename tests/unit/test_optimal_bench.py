"""The batch_optimal bench's quick size runs (as CI would) and its checks hold: the flow's
objective equals the LP optimum, and route_optimal's equals the raw solver's."""

from __future__ import annotations

import pytest
from bench import optimal_bench


def test_the_flow_matches_the_lp_optimum() -> None:
    assert optimal_bench.against_lp(300, 30, 10) == pytest.approx(1.0, abs=1e-6)


def test_the_quick_engine_run_places_everyone_within_capacity(
    capsys: pytest.CaptureFixture[str],
) -> None:
    optimal_bench.engine(optimal_bench.QUICK)

    line = capsys.readouterr().out
    assert "capacity breaches 0" in line and "placed 1,000" in line
    objective, raw = line.split("objective ")[1].split(" = raw ")
    assert objective.strip() == raw.strip()
