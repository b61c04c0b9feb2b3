"""Keep customers' scores current: score, win probability and grade, from the active models.

One hook, ``rescore``, runs on every path that creates or changes a customer (create —
web, API lead, webhook, CLI and intake, before routing —, update, stage changes and
follow-ups, the CSV/Excel import, the durable import job and the Maven import), in the
caller's transaction. ``rescore_stale`` catches up everyone scored before the models or
the grade settings last changed, a batch per transaction (the ``rescore-all`` job).

What is not active is not written: with no active scorecard a customer's score stays as
it is (set by hand or by an import), with no active ``score`` model its probability too;
the grade always follows the settings from whatever values there are.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from fenpei.domain.custom_fields import CustomField
from fenpei.domain.customers import Customer
from fenpei.domain.scoring import ModelKind, ScoreModel, ScoringSettings, grade_of, graded_value
from fenpei.engine.fields import field_catalog
from fenpei.engine.scoring.contract import CustomerScorer
from fenpei.engine.scoring.loading import load_model
from fenpei.engine.scoring.scorecard import CompiledScorecard, build_scorecard
from fenpei.services.ports import UnitOfWork

BATCH = 500
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Scoring:
    """What scoring a customer needs, loaded once per transaction or batch."""

    scorecard: CompiledScorecard | None
    scorer: CustomerScorer | None
    settings: ScoringSettings
    since: datetime | None  # customers scored before this are stale

    @property
    def idle(self) -> bool:
        """Nothing to run: no active scorecard and no active score model."""
        return self.scorecard is None and self.scorer is None


@dataclass(frozen=True)
class ScoreChange:
    """A customer whose score, probability or grade changed, with the values before."""

    customer: Customer
    score: float | None
    win_probability: float | None
    grade: str | None


def _signature(custom_fields: Sequence[CustomField]) -> str:
    return json.dumps(
        [[f.key, str(f.kind), list(f.choices)] for f in custom_fields],
        default=str,
    )


# Compiled once per process and params, not once per customer.
_CACHE: dict[tuple[str, str], CompiledScorecard] = {}


def compile_scorecard(model: ScoreModel, custom_fields: Sequence[CustomField]) -> CompiledScorecard:
    """The version compiled with the custom fields (ValidationFailed if it no longer
    compiles, e.g. a custom field it tests was removed)."""
    key = (json.dumps(model.params, sort_keys=True, default=str), _signature(custom_fields))
    cached = _CACHE.get(key)
    if cached is None:
        cached = build_scorecard(model.params, field_catalog(custom_fields))
        if len(_CACHE) > 32:
            _CACHE.clear()
        _CACHE[key] = cached
    return cached


def load_scoring(*, uow: UnitOfWork, custom_fields: Sequence[CustomField] | None = None) -> Scoring:
    """The active scorecard and score model and the grade settings."""
    models = uow.score_models
    card, learned, settings = (
        models.active(ModelKind.scorecard),
        models.active(ModelKind.score),
        models.settings(),
    )
    scorecard = None
    if card is not None:
        fields = uow.custom_fields.all() if custom_fields is None else custom_fields
        scorecard = compile_scorecard(card, fields)
    scorer = load_model(learned.params) if learned is not None else None
    moments = [m.activated_at for m in (card, learned) if m is not None and m.activated_at]
    if settings.updated_at is not None:
        moments.append(settings.updated_at)
    return Scoring(
        scorecard=scorecard,
        scorer=scorer,  # type: ignore[arg-type]
        settings=settings,
        since=max(moments, default=None),
    )


def score_customer(customer: Customer, scoring: Scoring, *, now: datetime) -> bool:
    """Write the customer's score, probability, grade and scored_at; whether any changed."""
    before = (customer.score, customer.win_probability, customer.grade)
    if scoring.scorecard is not None:
        customer.score = round(scoring.scorecard.points(customer, now), 6)
    if scoring.scorer is not None:
        customer.win_probability = round(float(scoring.scorer.p_win(customer)), 6)
    value = graded_value(
        scoring.settings.grade_basis,
        score=customer.score,
        win_probability=customer.win_probability,
    )
    customer.grade = grade_of(value, scoring.settings.thresholds)
    if not scoring.idle:
        customer.scored_at = now
    return (customer.score, customer.win_probability, customer.grade) != before


def rescore(
    *,
    uow: UnitOfWork,
    customers: Iterable[Customer],
    now: datetime,
    scoring: Scoring | None = None,
    created: bool = False,
) -> list[ScoreChange]:
    """Score ``customers`` (in the caller's transaction); the changed ones, with their
    values before (none for customers being ``created``: their routing follows anyway).

    A change made by an edit, a stage move or a follow-up is seen whole by the entrypoint's
    re-routing (``services.routing_reroute.change_and_reroute`` compares the customer before
    and after, score included); ``rescore_stale`` hands its changes to ``on_change``."""
    scoring = scoring or load_scoring(uow=uow)
    changes = []
    for customer in customers:
        before = ScoreChange(customer, customer.score, customer.win_probability, customer.grade)
        if score_customer(customer, scoring, now=now):
            changes.append(before)
    return [] if created else changes


# What follows a batch's changed scores, in the batch's transaction (the rescore-all job
# re-routes the customers whose new score or grade fires a rule's trigger).
OnChange = Callable[[UnitOfWork, Sequence[ScoreChange], datetime], None]


def rescore_stale(
    *,
    uow_factory: Callable[[], UnitOfWork],
    now: Callable[[], datetime],
    batch: int = BATCH,
    progress: Progress | None = None,
    on_change: OnChange | None = None,
) -> tuple[int, int]:
    """Rescore every live customer scored before the active models or settings last
    changed (or never scored), ``batch`` per transaction; (looked at, changed)."""
    with uow_factory() as uow:
        scoring = load_scoring(uow=uow)
        if scoring.idle:
            return 0, 0
        total = uow.score_models.count_stale(before=scoring.since)
    seen = changed = 0
    after_id = 0
    while True:
        with uow_factory() as uow:
            at = now()
            scoring = load_scoring(uow=uow)
            found = uow.score_models.stale_customers(
                before=scoring.since, after_id=after_id, limit=batch
            )
            if not found:
                break
            changes = rescore(uow=uow, customers=found, now=at, scoring=scoring)
            if changes and on_change is not None:
                on_change(uow, changes, at)
            changed += len(changes)
            uow.commit()
        seen += len(found)
        after_id = max(c.id or 0 for c in found)
        if progress is not None:
            progress(min(seen, max(total, seen)), max(total, seen))
    return seen, changed
