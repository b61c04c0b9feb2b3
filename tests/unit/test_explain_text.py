"""``explain`` and ``decision_json`` on decisions built by hand: only rules that did not
match are called skipped, and the JSON holds exactly the decision's fields."""

from __future__ import annotations

import json
from dataclasses import fields, replace

from fenpei.engine.explain import decision_json, explain, explained_json
from fenpei.engine.model import Candidate, Decision, Outcome, RuleTrace


def test_a_rule_that_matched_is_never_called_skipped_even_without_a_deciding_rule() -> None:
    trace = (RuleTrace(1, "West", "no_match", "region = 'West' (was 'East')"),
             RuleTrace(2, "East", "matched"))  # fmt: skip
    decision = Decision(
        Outcome.assigned,
        "given by hand",
        rep_id=7,
        trace=trace,
        candidates=(Candidate(7, "Li", 1),),
    )

    assert explain(decision) == (
        "skipped 'West': region = 'West' (was 'East') · Li chosen: given by hand"
    )


def test_decision_json_has_exactly_the_decisions_fields_with_the_outcome_as_text() -> None:
    decision = Decision(Outcome.pool, "rule 'VIP' sends it to pool vip", rule_id=1, pool="vip")

    data = decision_json(decision)
    in_holdout = decision_json(replace(decision, arm="holdout"))

    # The arm is written only when the rule runs a holdout: older records read the same.
    assert set(data) == {f.name for f in fields(Decision)} - {"arm"}
    assert set(in_holdout) == {f.name for f in fields(Decision)}
    assert in_holdout["arm"] == "holdout"
    assert type(data["outcome"]) is str and data["outcome"] == "pool"
    assert json.loads(json.dumps(data))["outcome"] == "pool"


def test_explained_json_adds_only_the_sentence() -> None:
    decision = Decision(Outcome.queued, "no rule could place the customer")

    data = explained_json(decision)

    assert set(data) == {f.name for f in fields(Decision)} - {"arm"} | {"text"}
    assert data["text"] == "no rule could place the customer"
