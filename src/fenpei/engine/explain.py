"""Decisions as data (stored with the assignment) and as one plain sentence (shown to people)."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from typing import Any

from fenpei.engine.model import Decision, Outcome


def decision_json(decision: Decision) -> dict[str, Any]:
    """A JSON-ready dict of the whole decision, for the assignment record and the API."""
    data = asdict(decision)
    data["outcome"] = decision.outcome.value
    if decision.arm is None:  # no holdout: the record reads as it always has
        del data["arm"]
    return data


def explained_json(decision: Decision) -> dict[str, Any]:
    """``decision_json`` plus the readable sentence under ``"text"``."""
    return {**decision_json(decision), "text": explain(decision)}


def explain(decision: Decision, *, max_rules: int = 5, max_reps: int = 10) -> str:
    """E.g. "Rule 'East' matched · skipped 'VIP': level = 'A' (was 'B') ·
    Alice excluded: at capacity: 40/40 open customers · Bob chosen: least loaded 12/40".
    Long lists are cut: the first ``max_rules`` rules skipped and ``max_reps`` reps
    excluded by name, the rest counted (reps by kind of reason); the data keeps them all."""
    parts: list[str] = []
    # The rule that decided is told at the end, not as "skipped".
    tried = [t for t in decision.trace if t.result != "matched" and t.rule_id != decision.rule_id]
    for trace in tried[:max_rules]:
        why = trace.failed_condition or trace.result.replace("_", " ")
        parts.append(f"skipped '{trace.rule_name}': {why}")
    if len(tried) > max_rules:
        parts.append(f"… {len(tried) - max_rules} more rules skipped")
    parts += [f"{e.rep_name} excluded: {e.reason}" for e in decision.exclusions[:max_reps]]
    if len(decision.exclusions) > max_reps:
        kinds = Counter(_kind(e.reason) for e in decision.exclusions[max_reps:])
        counted = ", ".join(f"{kind} {n}" for kind, n in kinds.most_common())
        parts.append(f"… {len(decision.exclusions) - max_reps} more excluded ({counted})")
    if decision.outcome is Outcome.assigned:
        chosen = next(
            (c.rep_name for c in decision.candidates if c.rep_id == decision.rep_id),
            str(decision.rep_id),
        )
        parts.append(f"{chosen} chosen: {decision.reason}")
        if decision.arm is not None:
            parts.append(f"experiment arm: {decision.arm}")
    else:
        parts.append(decision.reason)
    return " · ".join(parts)


def _kind(reason: str) -> str:
    """ "at capacity: 5/5 open customers" -> "at capacity"; "on leave until …" -> "on leave"."""
    return reason.split(":")[0].split(" until ")[0]
