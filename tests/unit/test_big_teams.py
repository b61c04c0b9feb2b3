"""Decisions for a rule whose target is a big team: screening a thousand reps the quick
way decides exactly as checking each one in full does, the explanation lists the best
candidates and counts the rest, and long exclusion lists are summarised by kind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from random import Random

from hypothesis import given, settings
from hypothesis import strategies as st

from fenpei.domain.customers import Customer
from fenpei.domain.org import Leave, Rep
from fenpei.engine.capacity import Usage
from fenpei.engine.conditions import compile_conditions, parse_conditions
from fenpei.engine.eligibility import exclusion_reason
from fenpei.engine.explain import explain
from fenpei.engine.fields import field_catalog
from fenpei.engine.model import (
    TOP_CANDIDATES,
    Outcome,
    RepState,
    RoutingRule,
    Target,
    TargetKind,
)
from fenpei.engine.router import CompiledRule, RoutingContext, route

NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
TEAM = 7
LEAD = Customer(name="Lead", region="East")
EVERYONE = compile_conditions(parse_conditions({}, field_catalog()))


def _rule(strategy: str = "round_robin", required_skills: tuple[str, ...] = ()) -> CompiledRule:
    return CompiledRule(
        RoutingRule(
            id=1,
            name="Big team",
            priority=10,
            conditions={},
            target=Target(TargetKind.team, team_id=TEAM),
            strategy=strategy,
            required_skills=required_skills,
        ),
        EVERYONE,
    )


@st.composite
def _members(draw: st.DrawFn) -> RepState:
    """A team member in any of the states that can exclude a rep, or none. Half of them
    are steady (active, here, no leave, no limits), so that only their working hours, in
    one of two time zones, can exclude them: the screening's shift look-up."""
    rep_id = draw(st.integers(1, 5_000))
    steady = draw(st.booleans())
    limit = st.none() if steady else st.none() | st.integers(0, 5)
    rep = Rep(
        name=f"Rep {rep_id}",
        id=rep_id,
        team_id=TEAM,
        active=True if steady else draw(st.booleans() | st.just(True)),
        away=False if steady else draw(st.booleans() | st.just(False)),
        tags=draw(st.sampled_from([[], ["vip"]])),
        max_open=draw(limit),
        max_per_day=draw(limit),
        max_per_week=draw(limit),
        max_per_month=draw(limit),
        working_hours=draw(st.sampled_from(SHIFTS)),
        time_zone=draw(st.sampled_from(["Asia/Shanghai", "America/New_York"])),
    )
    leave = Leave(rep_id=rep_id, starts_at=NOW, ends_at=NOW + timedelta(days=1))
    leaves = () if steady else draw(st.sampled_from([(), (leave,)]))
    usage = Usage(*(draw(st.integers(0, 6)) for _ in range(4)))
    return RepState(rep=rep, usage=usage, team_ids=(TEAM,), leaves=leaves)


# No hours; Monday mornings (on shift at NOW in Shanghai, not in New York); Sunday
# evenings (on shift at NOW in New York only); never on Tuesdays.
SHIFTS: tuple[dict[str, list[list[str]]], ...] = (
    {},
    {"mon": [["09:00", "12:00"]]},
    {"sun": [["20:00", "24:00"]]},
    {"tue": []},
)


@settings(max_examples=60, deadline=None)
@given(
    members=st.lists(_members(), min_size=1, max_size=300, unique_by=lambda s: s.id),
    skills=st.sampled_from([(), ("vip",)]),
)
def test_quick_screening_decides_as_checking_every_rep_in_full(
    members: list[RepState], skills: tuple[str, ...]
) -> None:
    ctx = RoutingContext(rules=(_rule(required_skills=skills),), reps={s.id: s for s in members})
    decision = route(LEAD, ctx, now=NOW, rng=Random(0))

    reasons = {
        s.id: exclusion_reason(s, now=NOW, required_skills=skills)
        for s in sorted(members, key=lambda s: s.id)
    }
    eligible = [rep_id for rep_id, why in reasons.items() if why is None]
    if not eligible:
        assert decision.outcome is not Outcome.assigned
        return
    names = {s.id: s.rep.name for s in members}
    assert [(e.rep_id, e.rep_name, e.reason) for e in decision.exclusions] == [
        (rep_id, names[rep_id], why) for rep_id, why in reasons.items() if why is not None
    ]
    assert decision.rep_id == eligible[0]  # round robin's first turn: the lowest id
    assert len(decision.candidates) + decision.more_candidates == len(eligible)


def _team(size: int) -> dict[int, RepState]:
    reps = {}
    for rep_id in range(1, size + 1):
        rep = Rep(name=f"Rep {rep_id}", id=rep_id, team_id=TEAM, max_open=10)
        reps[rep_id] = RepState(rep=rep, usage=Usage(rep_id % 11), team_ids=(TEAM,))
    return reps


def test_a_decision_lists_the_best_candidates_by_score_and_counts_the_rest() -> None:
    reps = _team(1_000)  # every 11th rep holds 10 of 10: at capacity
    ctx = RoutingContext(rules=(_rule("least_loaded"),), reps=reps)
    decision = route(LEAD, ctx, now=NOW, rng=Random(0))

    full = [s for s in reps.values() if s.usage.open_count == 10]
    eligible = len(reps) - len(full)
    assert decision.rep_id == 11  # the first rep holding nothing
    assert len(decision.candidates) == TOP_CANDIDATES
    assert decision.more_candidates == eligible - TOP_CANDIDATES
    # Every empty rep scores 1.0: the ten listed are the ten lowest ids among them.
    assert [c.rep_id for c in decision.candidates] == [11 * n for n in range(1, 11)]
    assert {c.score for c in decision.candidates} == {1.0}
    assert [c.rep_name for c in decision.candidates][:2] == ["Rep 11", "Rep 22"]
    assert len(decision.exclusions) == len(full)


def test_a_team_smaller_than_the_list_is_listed_whole_best_first() -> None:
    reps = _team(4)
    decision = route(LEAD, RoutingContext((_rule("least_loaded"),), reps), now=NOW, rng=Random(0))
    assert [c.rep_id for c in decision.candidates] == [1, 2, 3, 4]
    assert [c.score for c in decision.candidates] == [0.9, 0.8, 0.7, 0.6]
    assert decision.more_candidates == 0


def test_round_robin_over_a_big_team_takes_the_next_id_with_room_and_wraps() -> None:
    reps = _team(1_000)  # 1,000 holds 1,000 % 11 = 10 of 10: full

    def after(last: int) -> int | None:
        ctx = RoutingContext(rules=(_rule(),), reps=reps, states={1: {"last_rep_id": last}})
        return route(LEAD, ctx, now=NOW, rng=Random(0)).rep_id

    assert after(998) == 999
    assert after(999) == 1  # 1,000 is full: the turn wraps to the lowest id
    assert after(0) == 1


def test_the_sentence_names_ten_exclusions_and_counts_the_rest_by_kind() -> None:
    reps = _team(30)
    for rep_id in range(1, 30):  # all but the last: 20 away, 9 at capacity
        state = reps[rep_id]
        if rep_id <= 20:
            reps[rep_id] = RepState(
                rep=Rep(name=state.rep.name, id=rep_id, team_id=TEAM, away=True),
                usage=state.usage,
                team_ids=(TEAM,),
            )
        else:
            reps[rep_id] = RepState(rep=state.rep, usage=Usage(10), team_ids=(TEAM,))
    decision = route(LEAD, RoutingContext((_rule(),), reps), now=NOW, rng=Random(0))

    assert decision.rep_id == 30 and len(decision.exclusions) == 29
    text = explain(decision)
    assert text.count(" excluded: ") == 10
    assert "… 19 more excluded (away (manual switch) 10, at capacity 9)" in text


def test_eleven_candidates_with_distinct_scores_list_the_ten_best_in_order() -> None:
    reps = _team(11)  # rep n holds n of 10 ... rep 10 is full, rep 11 holds 0
    reps[10] = RepState(rep=reps[10].rep, usage=Usage(9), team_ids=(TEAM,))
    decision = route(LEAD, RoutingContext((_rule("least_loaded"),), reps), now=NOW, rng=Random(0))

    assert [c.rep_id for c in decision.candidates] == [11, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert decision.more_candidates == 1  # rep 10 also holds 9: tied with 9, the higher id


def test_a_rep_off_shift_or_on_leave_is_excluded_among_plainly_available_ones() -> None:
    reps = _team(30)
    monday_morning = {"mon": [["09:00", "09:30"]]}  # NOW is 10:00 in Shanghai: off shift
    for rep_id in range(1, 12):
        state = reps[rep_id]
        rep = Rep(name=state.rep.name, id=rep_id, team_id=TEAM, working_hours=monday_morning)
        leave = (Leave(rep_id=rep_id, starts_at=NOW, ends_at=NOW + timedelta(days=1)),)
        reps[rep_id] = RepState(
            rep=rep, usage=Usage(0), team_ids=(TEAM,), leaves=leave if rep_id > 8 else ()
        )
    decision = route(LEAD, RoutingContext((_rule(),), reps), now=NOW, rng=Random(0))

    assert decision.rep_id == 12
    assert [e.rep_id for e in decision.exclusions] == [*range(1, 12), 21]  # 21: full
    assert decision.exclusions[0].reason == "off shift"
    text = explain(decision)
    assert "… 2 more excluded (on leave 1, at capacity 1)" in text


def test_exactly_ten_exclusions_are_all_named_and_none_counted() -> None:
    reps = _team(11)
    for rep_id in range(1, 11):
        rep = Rep(name=reps[rep_id].rep.name, id=rep_id, team_id=TEAM, away=True)
        reps[rep_id] = RepState(rep=rep, usage=Usage(0), team_ids=(TEAM,))
    decision = route(LEAD, RoutingContext((_rule(),), reps), now=NOW, rng=Random(0))

    text = explain(decision)
    assert text.count(" excluded: ") == 10 and "more excluded" not in text


def test_a_context_with_fresh_states_routes_on_them_and_keeps_its_team_grouping() -> None:
    reps = _team(20)
    ctx = RoutingContext((_rule(),), reps)
    grouped = ctx.rep_ids_by_team
    assert route(LEAD, ctx, now=NOW, rng=Random(0)).rep_id == 1
    full = RepState(rep=reps[1].rep, usage=Usage(10), team_ids=(TEAM,))  # rep 1 fills up

    fresh = ctx.with_states({1: full})

    assert fresh.rep_ids_by_team is grouped  # carried over, not worked out again
    assert ctx.reps[1] is reps[1]  # the original is untouched
    decision = route(LEAD, fresh, now=NOW, rng=Random(0))
    assert decision.rep_id == 2
    assert [(e.rep_id, e.reason) for e in decision.exclusions] == [
        (rep_id, "at capacity: 10/10 open customers")
        for rep_id in (1, 10)  # 10 was full
    ]


def test_round_robin_over_a_big_team_lists_ten_turns_and_counts_the_rest() -> None:
    reps = _team(1_000)  # reps 10, 21, ... 1,000 are full: 909 eligible
    ctx = RoutingContext(rules=(_rule(),), reps=reps, states={1: {"last_rep_id": 995}})
    decision = route(LEAD, ctx, now=NOW, rng=Random(0))

    eligible = [rep_id for rep_id, s in reps.items() if s.usage.open_count < 10]
    assert len(eligible) == 909
    turns = [996, 997, 998, 999, 1, 2, 3, 4, 5, 6]  # 1,000 is full; the turn wraps
    assert [c.rep_id for c in decision.candidates] == turns
    assert [c.score for c in decision.candidates] == [float(909 - k) for k in range(10)]
    assert decision.more_candidates == 899


def test_a_team_of_one_is_screened_like_any_other() -> None:
    alone = {7: _team(1)[1]}
    alone[7] = RepState(rep=Rep(name="Solo", id=7, team_id=TEAM, max_open=10), usage=Usage(0))
    assert route(LEAD, RoutingContext((_rule(),), alone), now=NOW, rng=Random(0)).rep_id == 7
    full = {7: RepState(rep=alone[7].rep, usage=Usage(10))}
    decision = route(LEAD, RoutingContext((_rule(),), full), now=NOW, rng=Random(0))
    assert decision.outcome is not Outcome.assigned
    assert [(e.rep_id, e.reason) for e in decision.exclusions] == [
        (7, "at capacity: 10/10 open customers")
    ]
